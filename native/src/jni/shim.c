/* See shim.h. */
#define _DEFAULT_SOURCE
#include "shim.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void ph_message_init(ph_message *m)
{
    m->frames = m->inline_frames;
    m->count = 0;
    m->capacity = PH_INLINE_FRAMES;
}

void ph_message_clear(ph_message *m)
{
    for (size_t i = 0; i < m->count; i++)
        zmq_msg_close(&m->frames[i]);
    m->count = 0;
}

void ph_message_release(ph_message *m)
{
    ph_message_clear(m);
    if (m->frames != m->inline_frames)
        free(m->frames);
    ph_message_init(m);
}

int ph_message_reserve(ph_message *m, size_t n)
{
    if (n <= m->capacity)
        return 0;
    size_t capacity = m->capacity * 2 > n ? m->capacity * 2 : n;
    if (capacity > SIZE_MAX / sizeof(zmq_msg_t))
        return ENOMEM;
    zmq_msg_t *frames = malloc(capacity * sizeof(zmq_msg_t));
    if (frames == NULL)
        return ENOMEM;
    /* libzmq's messages are moved with zmq_msg_move, never copied byte for byte. */
    for (size_t i = 0; i < m->count; i++) {
        zmq_msg_init(&frames[i]);
        zmq_msg_move(&frames[i], &m->frames[i]);
        zmq_msg_close(&m->frames[i]);
    }
    if (m->frames != m->inline_frames)
        free(m->frames);
    m->frames = frames;
    m->capacity = capacity;
    return 0;
}

void *ph_message_add(ph_message *m, size_t size)
{
    if (m->count >= m->capacity)
        return NULL;
    zmq_msg_t *frame = &m->frames[m->count];
    if (zmq_msg_init_size(frame, size) != 0)
        return NULL;
    m->count++;
    return zmq_msg_data(frame);
}

/* Reads and drops what is left of a message whose first frames were read. */
static void drop_rest(void *socket)
{
    zmq_msg_t frame;
    zmq_msg_init(&frame);
    int more;
    do {
        while (zmq_msg_recv(&frame, socket, 0) < 0) {
            if (zmq_errno() != EINTR) {
                zmq_msg_close(&frame);
                return;
            }
        }
        more = zmq_msg_more(&frame);
    } while (more);
    zmq_msg_close(&frame);
}

int ph_message_recv(ph_message *m, void *socket, int flags)
{
    ph_message_clear(m);
    int more;
    do {
        if (ph_message_reserve(m, m->count + 1) != 0) {
            ph_message_clear(m);
            drop_rest(socket);   /* m->count > 0 here: the inline frames are never short */
            return ENOMEM;
        }
        zmq_msg_t *frame = &m->frames[m->count];
        zmq_msg_init(frame);
        /* After the first frame the others are there already: libzmq delivers whole messages. */
        while (zmq_msg_recv(frame, socket, m->count == 0 ? flags : 0) < 0) {
            int error = zmq_errno();
            if (error != EINTR) {
                zmq_msg_close(frame);
                ph_message_clear(m);
                return error;
            }
        }
        m->count++;
        more = zmq_msg_more(frame);
    } while (more);
    return 0;
}

int ph_message_send(ph_message *m, void *socket, int flags)
{
    int error = m->count == 0 ? EINVAL : 0;
    for (size_t i = 0; i < m->count && error == 0; i++) {
        int f = (i + 1 < m->count ? ZMQ_SNDMORE : 0) | (i == 0 ? (flags & ZMQ_DONTWAIT) : 0);
        while (zmq_msg_send(&m->frames[i], socket, f) < 0) {
            error = zmq_errno();
            if (error != EINTR)
                break;
            error = 0;
        }
    }
    ph_message_clear(m);   /* sent frames are empty; closing them is harmless */
    return error;
}

int ph_z85_encode(char *text, size_t text_capacity, const uint8_t *data, size_t size)
{
    if (size % 4 != 0 || text_capacity < size / 4 * 5)
        return EINVAL;
    if (size == 0)
        return 0;
    char *encoded = malloc(size / 4 * 5 + 1);
    if (encoded == NULL)
        return ENOMEM;
    int error = zmq_z85_encode(encoded, data, size) == NULL ? EINVAL : 0;
    if (error == 0)
        memcpy(text, encoded, size / 4 * 5);
    free(encoded);
    return error;
}

int ph_z85_decode(uint8_t *data, size_t data_capacity, const char *text, size_t text_length)
{
    if (text_length % 5 != 0 || data_capacity < text_length / 5 * 4 || memchr(text, '\0', text_length) != NULL)
        return EINVAL;
    if (text_length == 0)
        return 0;
    char *terminated = malloc(text_length + 1);
    if (terminated == NULL)
        return ENOMEM;
    memcpy(terminated, text, text_length);
    terminated[text_length] = '\0';
    int error = zmq_z85_decode(data, terminated) == NULL ? EINVAL : 0;
    free(terminated);
    return error;
}

int ph_curve_keypair(char *public_z85, char *secret_z85)
{
    char public_key[PH_Z85_KEY_LENGTH + 1], secret_key[PH_Z85_KEY_LENGTH + 1];
    int error = zmq_curve_keypair(public_key, secret_key) == 0 ? 0 : zmq_errno();
    if (error == 0) {
        memcpy(public_z85, public_key, PH_Z85_KEY_LENGTH);
        memcpy(secret_z85, secret_key, PH_Z85_KEY_LENGTH);
    }
    explicit_bzero(secret_key, sizeof secret_key);
    return error;
}

int ph_curve_public(char *public_z85, const char *secret_z85)
{
    char secret_key[PH_Z85_KEY_LENGTH + 1], public_key[PH_Z85_KEY_LENGTH + 1];
    if (memchr(secret_z85, '\0', PH_Z85_KEY_LENGTH) != NULL)
        return EINVAL;
    memcpy(secret_key, secret_z85, PH_Z85_KEY_LENGTH);
    secret_key[PH_Z85_KEY_LENGTH] = '\0';
    int error = zmq_curve_public(public_key, secret_key) == 0 ? 0 : zmq_errno();
    if (error == 0)
        memcpy(public_z85, public_key, PH_Z85_KEY_LENGTH);
    explicit_bzero(secret_key, sizeof secret_key);
    return error;
}
