/* libpowerhose-jni: the JNI layer of io.powerhose.internal.zmq.Native over libzmq.
 *
 * Works on the libzmq socket under a jzmq ZMQ.Socket: its handle is read from jzmq's private
 * "socketHandle" field through a field id cached once by init(). Whole messages cross in one call
 * each way, frames are copied once between libzmq's buffers and Java arrays, and nothing is kept
 * between calls. Small and dumb on purpose: every function returns 0, a count or an errno (negated
 * where a count is returned), and Java decides what is an error and throws. Never crashes on what
 * Java passes: a null array, a closed socket (handle 0) or a short buffer is an error code.
 * Local references are deleted as they are used, so a 1000-frame message holds a handful at once.
 */
#define _DEFAULT_SOURCE
#include <jni.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "shim.h"

/* Bumped when a native method changes; io.powerhose.internal.zmq.Native checks it at load. */
#define PH_ABI_VERSION 2
#define UNUSED(x) (void)(x)

static jfieldID socket_handle_field;
static jclass byte_array_class;    /* global reference to byte[].class */

#define NATIVE(name) JNICALL Java_io_powerhose_internal_zmq_Native_##name

JNIEXPORT jint JNICALL JNI_OnLoad(JavaVM *vm, void *reserved)
{
    UNUSED(vm);
    UNUSED(reserved);
    return JNI_VERSION_1_8;
}

JNIEXPORT jint NATIVE(abiVersion)(JNIEnv *env, jclass cls)
{
    UNUSED(env);
    UNUSED(cls);
    return PH_ABI_VERSION;
}

/* Caches the field id of jzmq's ZMQ.Socket.socketHandle and byte[].class. Called once, from the
 * static initialiser of Native. Returns 0, EINVAL (no class given), ENOENT (no such field: not jzmq
 * 3.x) or ENOMEM. */
JNIEXPORT jint NATIVE(init)(JNIEnv *env, jclass cls, jclass socket_class)
{
    UNUSED(cls);
    if (socket_class == NULL)
        return EINVAL;
    jfieldID field = (*env)->GetFieldID(env, socket_class, "socketHandle", "J");
    if (field == NULL) {
        (*env)->ExceptionClear(env);
        return ENOENT;
    }
    if (byte_array_class == NULL) {
        jclass local = (*env)->FindClass(env, "[B");
        if (local == NULL) {
            (*env)->ExceptionClear(env);
            return ENOMEM;
        }
        byte_array_class = (*env)->NewGlobalRef(env, local);
        (*env)->DeleteLocalRef(env, local);
        if (byte_array_class == NULL)
            return ENOMEM;
    }
    socket_handle_field = field;
    return 0;
}

JNIEXPORT jstring NATIVE(errorText)(JNIEnv *env, jclass cls, jint error)
{
    UNUSED(cls);
    return (*env)->NewStringUTF(env, zmq_strerror(error));
}

/* The libzmq socket of a jzmq socket, or NULL (null object, closed socket, init() not called). */
static void *socket_of(JNIEnv *env, jobject socket)
{
    if (socket == NULL || socket_handle_field == NULL)
        return NULL;
    return (void *)(intptr_t)(*env)->GetLongField(env, socket, socket_handle_field);
}

/* A new Java array with a copy of one frame, or NULL with an exception pending (OutOfMemoryError). */
static jbyteArray to_array(JNIEnv *env, zmq_msg_t *frame)
{
    jsize size = (jsize)zmq_msg_size(frame);
    jbyteArray array = (*env)->NewByteArray(env, size);
    if (array != NULL && size > 0) {
        (*env)->SetByteArrayRegion(env, array, 0, size, (const jbyte *)zmq_msg_data(frame));
        if ((*env)->ExceptionCheck(env)) {
            (*env)->DeleteLocalRef(env, array);
            return NULL;
        }
    }
    return array;
}

/* Stores an element and drops the local reference to it. Returns 0, or EINVAL when Java threw
 * (the index is past the end of the array). */
static int store(JNIEnv *env, jobjectArray array, jsize index, jobject value)
{
    (*env)->SetObjectArrayElement(env, array, index, value);
    (*env)->DeleteLocalRef(env, value);
    return (*env)->ExceptionCheck(env) ? EINVAL : 0;
}

/* Hands one received message to Java: messages[index] = its frames as byte[][]; with
 * first_frames, the first frame goes to first_frames[index] and messages[index] holds the rest
 * (a ROUTER's routing id, split off without a copy of the array). Returns 0, EMSGSIZE (a frame
 * longer than a Java array) or ENOMEM/EINVAL with an exception pending. */
static int hand_over(JNIEnv *env, ph_message *m, jobjectArray first_frames, jobjectArray messages, jsize index)
{
    size_t skip = first_frames != NULL && m->count > 0 ? 1 : 0;
    for (size_t i = 0; i < m->count; i++)
        if (zmq_msg_size(&m->frames[i]) > INT32_MAX)
            return EMSGSIZE;
    jobjectArray body = (*env)->NewObjectArray(env, (jsize)(m->count - skip), byte_array_class, NULL);
    if (body == NULL)
        return ENOMEM;
    for (size_t i = skip; i < m->count; i++) {
        jbyteArray frame = to_array(env, &m->frames[i]);
        if (frame == NULL) {
            (*env)->DeleteLocalRef(env, body);
            return ENOMEM;
        }
        if (store(env, body, (jsize)(i - skip), frame) != 0) {
            (*env)->DeleteLocalRef(env, body);
            return EINVAL;
        }
    }
    if (skip) {
        jbyteArray first = to_array(env, &m->frames[0]);
        if (first == NULL) {
            (*env)->DeleteLocalRef(env, body);
            return ENOMEM;
        }
        if (store(env, first_frames, index, first) != 0) {
            (*env)->DeleteLocalRef(env, body);
            return EINVAL;
        }
    }
    return store(env, messages, index, body);
}

/* Receives up to max whole messages: the first one waits unless flags has ZMQ_DONTWAIT, the others
 * are taken only when already there. Message i goes to messages[i] (and its first frame to
 * first_frames[i] when first_frames is not null). Returns the number of messages received (0 when
 * DONTWAIT found none), or a negated errno when the first receive failed: -ENOTSOCK (null or
 * closed socket), -EINVAL (no array, max < 1), -EMSGSIZE (a frame over 2 GiB: the message was
 * dropped), -ENOMEM (with OutOfMemoryError pending), or what libzmq reported (-ETERM, ...). An error
 * after the first message ends the batch: libzmq's (ETERM, ...) comes again on the next call; a
 * message dropped for EMSGSIZE there is not reported. */
JNIEXPORT jint NATIVE(receive)(JNIEnv *env, jclass cls, jobject socket, jobjectArray first_frames,
                               jobjectArray messages, jint max, jint flags)
{
    UNUSED(cls);
    void *s = socket_of(env, socket);
    if (s == NULL)
        return -ENOTSOCK;
    if (messages == NULL || max < 1)
        return -EINVAL;
    jsize limit = (*env)->GetArrayLength(env, messages);
    if (first_frames != NULL && (*env)->GetArrayLength(env, first_frames) < limit)
        limit = (*env)->GetArrayLength(env, first_frames);
    if (max < limit)
        limit = max;
    if (limit < 1)
        return -EINVAL;
    ph_message m;
    ph_message_init(&m);
    jint received = 0;
    int error = 0;
    while (received < limit) {
        error = ph_message_recv(&m, s, received == 0 ? flags : ZMQ_DONTWAIT);
        if (error != 0)
            break;
        error = hand_over(env, &m, first_frames, messages, received);
        ph_message_clear(&m);
        if (error != 0)
            break;
        received++;
    }
    ph_message_release(&m);
    if (received > 0 || error == 0 || error == EAGAIN)
        return received;
    return -error;
}

/* Frames from this size up never go through the packed buffers: they are copied once, straight between
 * libzmq's buffer and their own Java array (the packed path costs a second copy, in Java). */
#define PH_PACKED_FRAME_LIMIT 8192
#define PH_BATCH_LIMIT 1024

/* Receives up to max whole messages like receive(), but hands them to Java with a fixed number of JNI calls
 * per batch instead of several per frame: the frames of the messages that fit are copied into buffer, one
 * after the other, and layout gets, per message, its frame count and then each frame's length; a message that
 * does not fit (buffer or layout full, or a frame of PH_PACKED_FRAME_LIMIT bytes or more) goes whole to
 * large[i] as byte[][], and layout gets -1 for it. Java makes the frames' arrays from the buffer (allocated in
 * Java's fast path, not zeroed). Returns the number of messages, or a negated errno as receive() does. */
JNIEXPORT jint NATIVE(receivePacked)(JNIEnv *env, jclass cls, jobject socket, jbyteArray buffer,
                                     jintArray layout, jobjectArray large, jint max, jint flags)
{
    UNUSED(cls);
    void *s = socket_of(env, socket);
    if (s == NULL)
        return -ENOTSOCK;
    if (buffer == NULL || layout == NULL || large == NULL || max < 1)
        return -EINVAL;
    jsize limit = (*env)->GetArrayLength(env, large);
    if (max < limit)
        limit = max;
    if (limit > PH_BATCH_LIMIT)
        limit = PH_BATCH_LIMIT;
    jsize capacity = (*env)->GetArrayLength(env, buffer);
    jsize layout_capacity = (*env)->GetArrayLength(env, layout);
    if (limit < 1 || layout_capacity < 1)
        return -EINVAL;
    jint *lay = malloc((size_t)layout_capacity * sizeof(jint));
    if (lay == NULL)
        return -ENOMEM;
    size_t starts[PH_BATCH_LIMIT + 1];
    char packed[PH_BATCH_LIMIT];
    ph_message all;      /* the frames of every message of the batch, one after the other */
    ph_message one;
    ph_message_init(&all);
    ph_message_init(&one);
    jint received = 0;
    jsize used = 0, laid = 0;
    int error = 0;
    while (received < limit && laid < layout_capacity) {   /* room for a message's count, or its -1 */
        error = ph_message_recv(&one, s, received == 0 ? flags : ZMQ_DONTWAIT);
        if (error != 0)
            break;
        size_t bytes = 0;
        int fits = laid + 1 + (jsize)one.count <= layout_capacity;
        for (size_t i = 0; i < one.count && fits; i++) {
            size_t size = zmq_msg_size(&one.frames[i]);
            bytes += size;
            fits = size < PH_PACKED_FRAME_LIMIT && bytes <= (size_t)(capacity - used);
        }
        error = ph_message_reserve(&all, all.count + one.count);
        if (error != 0) {
            ph_message_clear(&one);
            break;
        }
        starts[received] = all.count;
        for (size_t i = 0; i < one.count; i++) {
            zmq_msg_init(&all.frames[all.count]);
            zmq_msg_move(&all.frames[all.count++], &one.frames[i]);
        }
        ph_message_clear(&one);
        packed[received] = (char)fits;
        if (fits) {
            lay[laid++] = (jint)(all.count - starts[received]);
            for (size_t i = starts[received]; i < all.count; i++)
                lay[laid++] = (jint)zmq_msg_size(&all.frames[i]);
            used += (jsize)bytes;
        } else {
            lay[laid++] = -1;
        }
        received++;
    }
    starts[received] = all.count;
    if (used > 0) {
        jbyte *dst = (*env)->GetPrimitiveArrayCritical(env, buffer, NULL);
        if (dst == NULL) {
            error = ENOMEM;      /* OutOfMemoryError pending; the batch is lost */
            received = 0;
        } else {
            jsize at = 0;
            for (jint m = 0; m < received; m++) {
                for (size_t i = starts[m]; packed[m] && i < starts[m + 1]; i++) {
                    size_t size = zmq_msg_size(&all.frames[i]);
                    memcpy(dst + at, zmq_msg_data(&all.frames[i]), size);
                    at += (jsize)size;
                }
            }
            (*env)->ReleasePrimitiveArrayCritical(env, buffer, dst, 0);
        }
    }
    if (received > 0) {
        (*env)->SetIntArrayRegion(env, layout, 0, laid, lay);
        for (jint m = 0; m < received; m++) {
            if (!packed[m]) {
                ph_message view;     /* the message's frames inside "all"; hand_over only reads them */
                view.frames = all.frames + starts[m];
                view.count = starts[m + 1] - starts[m];
                int rc = hand_over(env, &view, NULL, large, m);
                if (rc != 0) {
                    received = m;    /* the rest is lost with an exception pending (OutOfMemoryError) */
                    error = rc;
                    break;
                }
            }
        }
    }
    ph_message_release(&all);
    ph_message_release(&one);
    free(lay);
    if (received > 0 || error == 0 || error == EAGAIN)
        return received;
    return -error;
}

/* Sends count frames whose bytes lie one after the other in buffer, their lengths in lengths[0..count), as one
 * message, like send() (flags: 0 or ZMQ_DONTWAIT) but with a fixed number of JNI calls. Returns 0 or an errno
 * with nothing sent (EINVAL: no frame, or lengths beyond the buffer). */
JNIEXPORT jint NATIVE(sendPacked)(JNIEnv *env, jclass cls, jobject socket, jbyteArray buffer, jintArray lengths,
                                  jint count, jint flags)
{
    UNUSED(cls);
    void *s = socket_of(env, socket);
    if (s == NULL)
        return ENOTSOCK;
    if (buffer == NULL || lengths == NULL || count < 1 || (*env)->GetArrayLength(env, lengths) < count)
        return EINVAL;
    jint small[64];
    jint *len = count <= 64 ? small : malloc((size_t)count * sizeof(jint));
    if (len == NULL)
        return ENOMEM;
    (*env)->GetIntArrayRegion(env, lengths, 0, count, len);
    jlong total = 0;
    int error = 0;
    for (jint i = 0; i < count && error == 0; i++) {
        total += len[i];
        error = len[i] < 0 ? EINVAL : 0;
    }
    if (error == 0 && total > (*env)->GetArrayLength(env, buffer))
        error = EINVAL;
    ph_message m;
    ph_message_init(&m);
    if (error == 0)
        error = ph_message_reserve(&m, (size_t)count);
    for (jint i = 0; i < count && error == 0; i++)
        error = ph_message_add(&m, (size_t)len[i]) == NULL ? ENOMEM : 0;
    if (error == 0) {
        jbyte *src = (*env)->GetPrimitiveArrayCritical(env, buffer, NULL);
        if (src == NULL) {
            error = ENOMEM;
        } else {
            jlong at = 0;
            for (jint i = 0; i < count; i++) {
                memcpy(zmq_msg_data(&m.frames[i]), src + at, (size_t)len[i]);
                at += len[i];
            }
            (*env)->ReleasePrimitiveArrayCritical(env, buffer, src, JNI_ABORT);
        }
    }
    if (error == 0)
        error = ph_message_send(&m, s, flags);
    ph_message_release(&m);
    if (len != small)
        free(len);
    return error;
}

/* Appends a Java array as a frame. Returns 0, EINVAL (null) or ENOMEM. */
static int add_frame(JNIEnv *env, ph_message *m, jbyteArray array)
{
    if (array == NULL)
        return EINVAL;
    jsize size = (*env)->GetArrayLength(env, array);
    void *data = ph_message_add(m, (size_t)size);
    if (data == NULL)
        return ENOMEM;
    if (size > 0)
        (*env)->GetByteArrayRegion(env, array, 0, size, (jbyte *)data);
    return (*env)->ExceptionCheck(env) ? EINVAL : 0;
}

/* Sends routing_id (when not null) and then every frame of frames as one message, in one call.
 * flags: 0 or ZMQ_DONTWAIT, for the whole message. Every frame is checked and copied before
 * anything is sent, so a null frame sends nothing. Returns 0 or an errno with nothing sent:
 * EAGAIN, EHOSTUNREACH, ENOTSOCK, EINVAL (null array or frame, no frame at all), ENOMEM, ... */
JNIEXPORT jint NATIVE(send)(JNIEnv *env, jclass cls, jobject socket, jbyteArray routing_id,
                            jobjectArray frames, jint flags)
{
    UNUSED(cls);
    void *s = socket_of(env, socket);
    if (s == NULL)
        return ENOTSOCK;
    if (frames == NULL)
        return EINVAL;
    jsize n = (*env)->GetArrayLength(env, frames);
    size_t total = (size_t)n + (routing_id != NULL ? 1 : 0);
    if (total == 0)
        return EINVAL;
    ph_message m;
    ph_message_init(&m);
    int error = ph_message_reserve(&m, total);
    if (error == 0 && routing_id != NULL)
        error = add_frame(env, &m, routing_id);
    for (jsize i = 0; i < n && error == 0; i++) {
        jbyteArray frame = (jbyteArray)(*env)->GetObjectArrayElement(env, frames, i);
        if ((*env)->ExceptionCheck(env))
            error = EINVAL;
        else
            error = add_frame(env, &m, frame);
        if (frame != NULL)
            (*env)->DeleteLocalRef(env, frame);
    }
    if (error == 0)
        error = ph_message_send(&m, s, flags);
    ph_message_release(&m);
    return error;
}

/* getsockopt with EINTR retried (ZMQ_EVENTS processes the socket's commands and can be interrupted). */
static int get_option(void *s, int option, void *value, size_t *size)
{
    while (zmq_getsockopt(s, option, value, size) != 0) {
        int error = zmq_errno();
        if (error != EINTR)
            return error;
    }
    return 0;
}

JNIEXPORT jint NATIVE(setIntOption)(JNIEnv *env, jclass cls, jobject socket, jint option, jint value)
{
    UNUSED(cls);
    void *s = socket_of(env, socket);
    if (s == NULL)
        return ENOTSOCK;
    int v = value;
    return zmq_setsockopt(s, option, &v, sizeof v) == 0 ? 0 : zmq_errno();
}

JNIEXPORT jint NATIVE(setLongOption)(JNIEnv *env, jclass cls, jobject socket, jint option, jlong value)
{
    UNUSED(cls);
    void *s = socket_of(env, socket);
    if (s == NULL)
        return ENOTSOCK;
    int64_t v = value;
    return zmq_setsockopt(s, option, &v, sizeof v) == 0 ? 0 : zmq_errno();
}

/* Sets an option to the bytes of value (which may be empty, not null). */
JNIEXPORT jint NATIVE(setBytesOption)(JNIEnv *env, jclass cls, jobject socket, jint option, jbyteArray value)
{
    UNUSED(cls);
    void *s = socket_of(env, socket);
    if (s == NULL)
        return ENOTSOCK;
    if (value == NULL)
        return EINVAL;
    jsize size = (*env)->GetArrayLength(env, value);
    uint8_t small[256];
    uint8_t *bytes = (size_t)size <= sizeof small ? small : malloc((size_t)size);
    if (bytes == NULL)
        return ENOMEM;
    (*env)->GetByteArrayRegion(env, value, 0, size, (jbyte *)bytes);
    int error = zmq_setsockopt(s, option, bytes, (size_t)size) == 0 ? 0 : zmq_errno();
    explicit_bzero(bytes, (size_t)size);   /* it may have been a secret key */
    if (bytes != small)
        free(bytes);
    return error;
}

/* Reads an int option into value[0]. Returns 0 or an errno. */
JNIEXPORT jint NATIVE(getIntOption)(JNIEnv *env, jclass cls, jobject socket, jint option, jintArray value)
{
    UNUSED(cls);
    void *s = socket_of(env, socket);
    if (s == NULL)
        return ENOTSOCK;
    if (value == NULL || (*env)->GetArrayLength(env, value) < 1)
        return EINVAL;
    int v = 0;
    size_t size = sizeof v;
    int error = get_option(s, option, &v, &size);
    if (error == 0 && size != sizeof v)
        error = EINVAL;
    if (error == 0) {
        jint out = v;
        (*env)->SetIntArrayRegion(env, value, 0, 1, &out);
    }
    return error;
}

/* Reads an int64 option into value[0]. Returns 0 or an errno. */
JNIEXPORT jint NATIVE(getLongOption)(JNIEnv *env, jclass cls, jobject socket, jint option, jlongArray value)
{
    UNUSED(cls);
    void *s = socket_of(env, socket);
    if (s == NULL)
        return ENOTSOCK;
    if (value == NULL || (*env)->GetArrayLength(env, value) < 1)
        return EINVAL;
    int64_t v = 0;
    size_t size = sizeof v;
    int error = get_option(s, option, &v, &size);
    if (error == 0 && size != sizeof v)
        error = EINVAL;
    if (error == 0) {
        jlong out = v;
        (*env)->SetLongArrayRegion(env, value, 0, 1, &out);
    }
    return error;
}

/* Reads a bytes option into buffer, whose length is the size asked of libzmq (for CURVE keys: 32
 * for binary, 41 for Z85 with its NUL). Returns the length read, or a negated errno. */
JNIEXPORT jint NATIVE(getBytesOption)(JNIEnv *env, jclass cls, jobject socket, jint option, jbyteArray buffer)
{
    UNUSED(cls);
    void *s = socket_of(env, socket);
    if (s == NULL)
        return -ENOTSOCK;
    if (buffer == NULL)
        return -EINVAL;
    jsize capacity = (*env)->GetArrayLength(env, buffer);
    uint8_t small[256];
    uint8_t *bytes = (size_t)capacity <= sizeof small ? small : malloc((size_t)capacity);
    if (bytes == NULL)
        return -ENOMEM;
    size_t size = (size_t)capacity;
    int error = get_option(s, option, bytes, &size);
    if (error == 0 && size > (size_t)capacity)
        error = EINVAL;
    if (error == 0 && size > 0)
        (*env)->SetByteArrayRegion(env, buffer, 0, (jsize)size, (const jbyte *)bytes);
    explicit_bzero(bytes, (size_t)capacity);
    if (bytes != small)
        free(bytes);
    return error == 0 ? (jint)size : -error;
}

/* ZMQ_EVENTS (ZMQ_POLLIN | ZMQ_POLLOUT bits), or a negated errno. */
JNIEXPORT jint NATIVE(events)(JNIEnv *env, jclass cls, jobject socket)
{
    UNUSED(cls);
    void *s = socket_of(env, socket);
    if (s == NULL)
        return -ENOTSOCK;
    int events = 0;
    size_t size = sizeof events;
    int error = get_option(s, ZMQ_EVENTS, &events, &size);
    return error == 0 ? events : -error;
}

/* ZMQ_FD (the file descriptor that signals ZMQ_EVENTS may have changed), or a negated errno. */
JNIEXPORT jint NATIVE(fd)(JNIEnv *env, jclass cls, jobject socket)
{
    UNUSED(cls);
    void *s = socket_of(env, socket);
    if (s == NULL)
        return -ENOTSOCK;
    int fd = -1;
    size_t size = sizeof fd;
    int error = get_option(s, ZMQ_FD, &fd, &size);
    return error == 0 ? fd : -error;
}

/* Fills public_z85 and secret_z85 (40 bytes each at least) with a new CURVE key pair in Z85. */
JNIEXPORT jint NATIVE(curveKeypair)(JNIEnv *env, jclass cls, jbyteArray public_z85, jbyteArray secret_z85)
{
    UNUSED(cls);
    if (public_z85 == NULL || secret_z85 == NULL
        || (*env)->GetArrayLength(env, public_z85) < PH_Z85_KEY_LENGTH
        || (*env)->GetArrayLength(env, secret_z85) < PH_Z85_KEY_LENGTH)
        return EINVAL;
    char public_key[PH_Z85_KEY_LENGTH], secret_key[PH_Z85_KEY_LENGTH];
    int error = ph_curve_keypair(public_key, secret_key);
    if (error == 0) {
        (*env)->SetByteArrayRegion(env, public_z85, 0, PH_Z85_KEY_LENGTH, (const jbyte *)public_key);
        (*env)->SetByteArrayRegion(env, secret_z85, 0, PH_Z85_KEY_LENGTH, (const jbyte *)secret_key);
    }
    explicit_bzero(secret_key, sizeof secret_key);
    return error;
}

/* Fills public_z85 (40 bytes at least) with the public key of secret_z85 (40 bytes of Z85). */
JNIEXPORT jint NATIVE(curvePublic)(JNIEnv *env, jclass cls, jbyteArray secret_z85, jbyteArray public_z85)
{
    UNUSED(cls);
    if (public_z85 == NULL || secret_z85 == NULL
        || (*env)->GetArrayLength(env, secret_z85) != PH_Z85_KEY_LENGTH
        || (*env)->GetArrayLength(env, public_z85) < PH_Z85_KEY_LENGTH)
        return EINVAL;
    char secret_key[PH_Z85_KEY_LENGTH], public_key[PH_Z85_KEY_LENGTH];
    (*env)->GetByteArrayRegion(env, secret_z85, 0, PH_Z85_KEY_LENGTH, (jbyte *)secret_key);
    int error = ph_curve_public(public_key, secret_key);
    if (error == 0)
        (*env)->SetByteArrayRegion(env, public_z85, 0, PH_Z85_KEY_LENGTH, (const jbyte *)public_key);
    explicit_bzero(secret_key, sizeof secret_key);
    return error;
}

/* Encodes data (a multiple of 4 bytes) into text (data.length / 4 * 5 bytes at least). */
JNIEXPORT jint NATIVE(z85Encode)(JNIEnv *env, jclass cls, jbyteArray data, jbyteArray text)
{
    UNUSED(cls);
    if (data == NULL || text == NULL)
        return EINVAL;
    jsize size = (*env)->GetArrayLength(env, data);
    jsize capacity = (*env)->GetArrayLength(env, text);
    if (size % 4 != 0 || capacity < size / 4 * 5)
        return EINVAL;
    if (size == 0)
        return 0;
    uint8_t *bytes = malloc((size_t)size);
    char *encoded = malloc((size_t)size / 4 * 5);
    int error = bytes == NULL || encoded == NULL ? ENOMEM : 0;
    if (error == 0) {
        (*env)->GetByteArrayRegion(env, data, 0, size, (jbyte *)bytes);
        error = ph_z85_encode(encoded, (size_t)size / 4 * 5, bytes, (size_t)size);
    }
    if (error == 0)
        (*env)->SetByteArrayRegion(env, text, 0, size / 4 * 5, (const jbyte *)encoded);
    free(bytes);
    free(encoded);
    return error;
}

/* Decodes text (a multiple of 5 bytes of Z85) into data (text.length / 5 * 4 bytes at least). */
JNIEXPORT jint NATIVE(z85Decode)(JNIEnv *env, jclass cls, jbyteArray text, jbyteArray data)
{
    UNUSED(cls);
    if (data == NULL || text == NULL)
        return EINVAL;
    jsize length = (*env)->GetArrayLength(env, text);
    jsize capacity = (*env)->GetArrayLength(env, data);
    if (length % 5 != 0 || capacity < length / 5 * 4)
        return EINVAL;
    if (length == 0)
        return 0;
    char *chars = malloc((size_t)length);
    uint8_t *decoded = malloc((size_t)length / 5 * 4);
    int error = chars == NULL || decoded == NULL ? ENOMEM : 0;
    if (error == 0) {
        (*env)->GetByteArrayRegion(env, text, 0, length, (jbyte *)chars);
        error = ph_z85_decode(decoded, (size_t)length / 5 * 4, chars, (size_t)length);
    }
    if (error == 0)
        (*env)->SetByteArrayRegion(env, data, 0, length / 5 * 4, (const jbyte *)decoded);
    free(chars);
    free(decoded);
    return error;
}
