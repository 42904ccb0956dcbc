package io.powerhose.internal.broker;

import java.util.Arrays;

/**
 * A v1 call as a map key: the client's routing id and its request id (byte arrays compare by identity). Lets the
 * {@link Dispatcher} find the job a CANCEL names. Broker thread only.
 */
final class CallKey {
    private final byte[] clientRoutingId;
    private final byte[] requestId;
    private final int hash;

    CallKey(byte[] clientRoutingId, byte[] requestId) {
        this.clientRoutingId = clientRoutingId;
        this.requestId = requestId;
        this.hash = 31 * Arrays.hashCode(clientRoutingId) + Arrays.hashCode(requestId);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof CallKey that && hash == that.hash && Arrays.equals(requestId, that.requestId)
            && Arrays.equals(clientRoutingId, that.clientRoutingId);
    }

    @Override
    public int hashCode() {
        return hash;
    }
}
