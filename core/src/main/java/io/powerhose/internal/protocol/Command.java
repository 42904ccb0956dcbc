package io.powerhose.internal.protocol;

/**
 * The command byte, the second frame of every v1 message (docs/PROTOCOL.md, "Commands").
 */
public enum Command {
    READY(0x01),
    REQUEST(0x02),
    REPLY(0x03),
    HEARTBEAT(0x04),
    DISCONNECT(0x05),
    PING(0x06),
    PONG(0x07),
    STATUS(0x08),
    CANCEL(0x09),
    /** Any byte this version does not know; never sent. */
    UNKNOWN(-1);

    private static final Command[] BY_VALUE = new Command[256];

    static {
        for (Command command : values()) {
            if (command.value >= 0) {
                BY_VALUE[command.value] = command;
            }
        }
    }

    private final int value;

    Command(int value) {
        this.value = value;
    }

    /** @return the wire value */
    public byte value() {
        return (byte) value;
    }

    /**
     * Maps a wire value to its command.
     *
     * @param wire the byte
     * @return the command, or {@link #UNKNOWN}
     */
    public static Command fromWire(byte wire) {
        Command command = BY_VALUE[wire & 0xff];
        return command == null ? UNKNOWN : command;
    }
}
