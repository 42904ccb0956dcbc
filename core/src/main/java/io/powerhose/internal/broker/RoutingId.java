package io.powerhose.internal.broker;

import java.util.Arrays;

/**
 * A ROUTER routing id as a map key (byte arrays compare by identity).
 */
final class RoutingId {
    private final byte[] bytes;
    private final int hash;

    RoutingId(byte[] bytes) {
        this.bytes = bytes;
        this.hash = Arrays.hashCode(bytes);
    }

    byte[] bytes() {
        return bytes;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof RoutingId that && Arrays.equals(bytes, that.bytes);
    }

    @Override
    public int hashCode() {
        return hash;
    }

    @Override
    public String toString() {
        return io.powerhose.internal.protocol.Frames.printable(bytes);
    }
}
