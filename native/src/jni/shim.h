/* The parts of libpowerhose-jni that do not touch the JVM: whole multipart messages in and out of
 * a libzmq socket, and the CURVE key and Z85 helpers. Every function returns 0 (or a count) on
 * success and an errno on failure; none keeps state between calls. Tested on its own under
 * valgrind (tests/test_shim.c). Internal to native/: not part of the C worker library's API.
 */
#ifndef POWERHOSE_SHIM_H
#define POWERHOSE_SHIM_H

#include <stddef.h>
#include <stdint.h>
#include <zmq.h>

/* Frames kept inline before a message spills to the heap. */
#define PH_INLINE_FRAMES 16
/* Length of a CURVE key in Z85 text, without the terminating NUL. */
#define PH_Z85_KEY_LENGTH 40

/* The frames of one multipart message, owned by the caller (on its stack). */
typedef struct {
    zmq_msg_t *frames;          /* inline_frames, or a heap array when more are needed */
    size_t count;               /* initialised frames, frames[0..count) */
    size_t capacity;
    zmq_msg_t inline_frames[PH_INLINE_FRAMES];
} ph_message;

/* Makes m empty, with room for PH_INLINE_FRAMES frames and no heap memory. */
void ph_message_init(ph_message *m);

/* Closes every frame of m; keeps its storage for the next message. */
void ph_message_clear(ph_message *m);

/* Closes every frame of m and frees its heap storage; m may be initialised again. */
void ph_message_release(ph_message *m);

/* Makes room for at least n frames, keeping the frames m holds. Returns 0 or ENOMEM. */
int ph_message_reserve(ph_message *m, size_t n);

/* Appends a frame of size bytes and returns its data (to be filled by the caller), or NULL when
 * memory ran out or no room was reserved. */
void *ph_message_add(ph_message *m, size_t size);

/* Receives one whole message into m (emptied first). flags: 0 to wait for it, or ZMQ_DONTWAIT.
 * A signal that interrupts libzmq (EINTR) is retried. Returns 0, or an errno with m empty: EAGAIN
 * when ZMQ_DONTWAIT found no message, ENOMEM (the message is read to its end and dropped), or what
 * libzmq reported (ETERM, ENOTSOCK, ...). */
int ph_message_recv(ph_message *m, void *socket, int flags);

/* Sends the frames of m as one message and leaves m empty (frames sent or closed). flags: 0, or
 * ZMQ_DONTWAIT to give up when the message cannot be queued at once. The first frame decides: when
 * libzmq takes it, the others follow without waiting (its high-water mark counts whole messages),
 * so the message goes whole or not at all. EINTR is retried. Returns 0, or an errno when nothing
 * was sent: EAGAIN (DONTWAIT and the queue is full, or no peer), EHOSTUNREACH (a ROUTER with
 * ZMQ_ROUTER_MANDATORY and an unknown routing id), EINVAL (no frame), or what libzmq reported.
 * After the first frame, only a dead socket (ETERM, ENOTSOCK) can fail; that error is returned. */
int ph_message_send(ph_message *m, void *socket, int flags);

/* Encodes size bytes (a multiple of 4) as Z85 into text, which has room for size / 4 * 5 bytes
 * (no NUL is written). Returns 0 or EINVAL. */
int ph_z85_encode(char *text, size_t text_capacity, const uint8_t *data, size_t size);

/* Decodes text_length bytes of Z85 text (a multiple of 5, no NUL inside) into data, which has room
 * for text_length / 5 * 4 bytes. Returns 0, EINVAL (bad length or character) or ENOMEM. */
int ph_z85_decode(uint8_t *data, size_t data_capacity, const char *text, size_t text_length);

/* A new CURVE key pair, each key as PH_Z85_KEY_LENGTH characters of Z85 (no NUL written). Returns 0,
 * or ENOTSUP when libzmq was built without CURVE. */
int ph_curve_keypair(char *public_z85, char *secret_z85);

/* The public key of a secret key, both PH_Z85_KEY_LENGTH characters of Z85 (no NUL). Returns 0,
 * EINVAL (not a Z85 key) or ENOTSUP. */
int ph_curve_public(char *public_z85, const char *secret_z85);

#endif
