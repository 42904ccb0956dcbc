package io.powerhose.internal.zmq;

import io.powerhose.ConfigurationException;
import io.powerhose.PowerhoseException;
import io.powerhose.TransportException;
import org.zeromq.ZMQ;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * Our JNI layer over libzmq ({@code libpowerhose-jni}, built from {@code native/src/jni}): whole multipart
 * messages in one call each way, the socket options jzmq refuses, CURVE keys and Z85. It works on the libzmq
 * socket under a jzmq {@link ZMQ.Socket}; jzmq stays the context, socket and poller layer.
 *
 * <p>The {@code native} methods return 0, a count, or an errno (negated where a count is returned) and never
 * throw for what they are given: a null array, a closed socket or a short buffer is a code. The public methods
 * here turn codes into exceptions with libzmq's text: {@link ConfigurationException} for a value libzmq refuses
 * (EINVAL), {@link TransportException} for the rest. Policy (what is expected, what to retry, what to log) stays
 * in the callers, {@link Sockets} first. A socket's methods must be called by the thread that owns it; the key
 * and Z85 methods ({@link Curve}) by any thread. {@link NativeLibrary#load()} loads the library ({@link Sockets}
 * and {@link Curve} call it when first used); this class has no initialiser of its own, so that loading, which
 * calls into it, cannot deadlock with it.
 */
public final class Native {
    /** libzmq's {@code ZMQ_DONTWAIT}: give up at once instead of waiting (for a whole message). */
    public static final int DONTWAIT = 1;
    /** EINTR: a signal interrupted a libzmq call (retried inside the native layer). */
    public static final int EINTR = 4;
    /** ENOENT. */
    public static final int ENOENT = 2;
    /** ENOMEM. */
    public static final int ENOMEM = 12;
    /** EAGAIN: nothing to receive, or the send queue is full, with {@link #DONTWAIT}. */
    public static final int EAGAIN = 11;
    /** EINVAL: an argument or an option value libzmq refuses. */
    public static final int EINVAL = 22;
    /** ENOTSOCK: not a socket (null, or closed). */
    public static final int ENOTSOCK = 88;
    /** EMSGSIZE: a frame larger than a Java array can hold. */
    public static final int EMSGSIZE = 90;
    /** ENOTSUP: for CURVE, libzmq was built without it. */
    public static final int ENOTSUP = 95;
    /** EHOSTUNREACH: a ROUTER_MANDATORY socket does not know the routing id. */
    public static final int EHOSTUNREACH = 113;
    /** ETERM: the socket's context was terminated. */
    public static final int ETERM = 156_384_712 + 53;

    /** The ABI of the native methods below; {@code PH_ABI_VERSION} in powerhose_jni.c must match. */
    static final int ABI_VERSION = 2;
    /** Frames from this size up take the unpacked path (one copy, their own array): PH_PACKED_FRAME_LIMIT. */
    static final int PACKED_FRAME_LIMIT = 8192;

    private Native() {
    }

    // ------------------------------------------------------------------------------------ the native methods

    static native int abiVersion();

    static native int init(Class<?> socketClass);

    static native String errorText(int errorCode);

    static native int receive(ZMQ.Socket socket, byte[][] firstFrames, byte[][][] messages, int max, int flags);

    static native int send(ZMQ.Socket socket, byte[] routingId, byte[][] frames, int flags);

    static native int receivePacked(ZMQ.Socket socket, byte[] buffer, int[] layout, byte[][][] large, int max,
                                    int flags);

    static native int sendPacked(ZMQ.Socket socket, byte[] buffer, int[] lengths, int count, int flags);

    static native int setIntOption(ZMQ.Socket socket, int option, int value);

    static native int setLongOption(ZMQ.Socket socket, int option, long value);

    static native int setBytesOption(ZMQ.Socket socket, int option, byte[] value);

    static native int getIntOption(ZMQ.Socket socket, int option, int[] value);

    static native int getLongOption(ZMQ.Socket socket, int option, long[] value);

    static native int getBytesOption(ZMQ.Socket socket, int option, byte[] buffer);

    static native int events(ZMQ.Socket socket);

    static native int fd(ZMQ.Socket socket);

    static native int curveKeypair(byte[] publicZ85, byte[] secretZ85);

    static native int curvePublic(byte[] secretZ85, byte[] publicZ85);

    static native int z85Encode(byte[] data, byte[] text);

    static native int z85Decode(byte[] text, byte[] data);

    // ------------------------------------------------------------------------------------ errors

    /**
     * libzmq's text for an error number, e.g. {@code "Socket operation on non-socket"}.
     *
     * @param errorCode the errno
     * @return the text
     */
    public static String describe(int errorCode) {
        return errorText(errorCode);
    }

    /**
     * The exception for a failed call: {@link ConfigurationException} for EINVAL, else {@link TransportException}.
     *
     * @param what the call and its arguments, e.g. {@code "set ZMQ_CURVE_SERVERKEY (12 bytes)"}
     * @param errorCode the errno
     * @return the exception, to throw
     */
    public static PowerhoseException failure(String what, int errorCode) {
        String message = what + ": " + errorText(errorCode) + " (errno " + errorCode + ")";
        return errorCode == EINVAL ? new ConfigurationException(message) : new TransportException(message, errorCode);
    }

    // ------------------------------------------------------------------------------------ options

    /**
     * Sets an int or int64 option.
     *
     * @param socket the socket
     * @param option an option of type INT or LONG
     * @param value the value (an INT option's must fit in an int)
     * @throws ConfigurationException when libzmq refuses the value or the option
     * @throws TransportException when the socket is closed
     */
    public static void setOption(ZMQ.Socket socket, SocketOption option, long value) {
        Objects.requireNonNull(option, "option");
        int rc = switch (option.type()) {
            case INT -> {
                if (value != (int) value) {
                    throw new ConfigurationException(option.zmqName() + "=" + value + " does not fit in an int");
                }
                yield setIntOption(socket, option.number(), (int) value);
            }
            case LONG -> setLongOption(socket, option.number(), value);
            case BYTES -> throw new IllegalArgumentException(option.zmqName() + " takes bytes, not a number");
        };
        if (rc != 0) {
            throw failure("set " + option.zmqName() + "=" + value, rc);
        }
    }

    /**
     * Sets a bytes option (a key, a domain). The value is not kept.
     *
     * @param socket the socket
     * @param option an option of type BYTES
     * @param value the value
     * @throws ConfigurationException when libzmq refuses the value
     * @throws TransportException when the socket is closed
     */
    public static void setOption(ZMQ.Socket socket, SocketOption option, byte[] value) {
        Objects.requireNonNull(value, "value");
        if (option.type() != SocketOption.Type.BYTES) {
            throw new IllegalArgumentException(option.zmqName() + " takes a number, not bytes");
        }
        int rc = setBytesOption(socket, option.number(), value);
        if (rc != 0) {
            throw failure("set " + option.zmqName() + " (" + value.length + " bytes)", rc);
        }
    }

    /**
     * Sets a bytes option to the ASCII bytes of a text (a Z85 key, a ZAP domain).
     *
     * @param socket the socket
     * @param option an option of type BYTES
     * @param value the text
     */
    public static void setOption(ZMQ.Socket socket, SocketOption option, String value) {
        setOption(socket, option, Objects.requireNonNull(value, "value").getBytes(StandardCharsets.US_ASCII));
    }

    /**
     * Reads an int or int64 option.
     *
     * @param socket the socket
     * @param option an option of type INT or LONG
     * @return its value
     */
    public static long option(ZMQ.Socket socket, SocketOption option) {
        int rc;
        long value;
        switch (option.type()) {
            case INT -> {
                int[] out = new int[1];
                rc = getIntOption(socket, option.number(), out);
                value = out[0];
            }
            case LONG -> {
                long[] out = new long[1];
                rc = getLongOption(socket, option.number(), out);
                value = out[0];
            }
            default -> throw new IllegalArgumentException(option.zmqName() + " is bytes, not a number");
        }
        if (rc != 0) {
            throw failure("get " + option.zmqName(), rc);
        }
        return value;
    }

    /**
     * Reads a bytes option.
     *
     * @param socket the socket
     * @param option an option of type BYTES
     * @param size the size to ask libzmq for: 32 for a binary CURVE key, 41 for a Z85 one (with its NUL), 255 for
     *     a ZAP domain
     * @return the bytes libzmq wrote (a Z85 key ends with its NUL)
     */
    public static byte[] bytesOption(ZMQ.Socket socket, SocketOption option, int size) {
        if (option.type() != SocketOption.Type.BYTES) {
            throw new IllegalArgumentException(option.zmqName() + " is a number, not bytes");
        }
        byte[] buffer = new byte[size];
        int length = getBytesOption(socket, option.number(), buffer);
        if (length < 0) {
            throw failure("get " + option.zmqName() + " (" + size + " bytes)", -length);
        }
        return length == size ? buffer : Arrays.copyOf(buffer, length);
    }

    /**
     * Reads {@code ZMQ_EVENTS} in one call: whether a message can be received now ({@code ZMQ_POLLIN}, 1) or
     * sent ({@code ZMQ_POLLOUT}, 2).
     *
     * @param socket the socket
     * @return the bits
     */
    public static int pendingEvents(ZMQ.Socket socket) {
        int rc = events(socket);
        if (rc < 0) {
            throw failure("get ZMQ_EVENTS", -rc);
        }
        return rc;
    }

    /**
     * Reads {@code ZMQ_FD} in one call: the file descriptor that becomes readable when {@code ZMQ_EVENTS} may
     * have changed (edge-triggered; read {@link #pendingEvents} after it fires).
     *
     * @param socket the socket
     * @return the file descriptor
     */
    public static int fileDescriptor(ZMQ.Socket socket) {
        int rc = fd(socket);
        if (rc < 0) {
            throw failure("get ZMQ_FD", -rc);
        }
        return rc;
    }
}
