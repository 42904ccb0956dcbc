package io.powerhose.internal.broker;

/**
 * Where the {@link Dispatcher} sends messages. The conductor implements it with its sockets; tests record.
 * Called only on the broker thread.
 */
public interface Outbox {
    /**
     * Sends to a worker through the backend.
     *
     * @param routingId the worker's routing id
     * @param frames the message
     * @return false when the worker is not connected any more
     */
    boolean toWorker(byte[] routingId, byte[][] frames);

    /**
     * Sends to a client through the frontend.
     *
     * @param routingId the client's routing id
     * @param frames the message
     * @return false when the client is not connected any more
     */
    boolean toClient(byte[] routingId, byte[][] frames);

    /** Publishes one heartbeat. */
    void beat();
}
