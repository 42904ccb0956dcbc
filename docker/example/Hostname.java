package example;

import io.powerhose.Job;
import io.powerhose.JobHandler;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;

/**
 * A job class of "your own", packaged outside Powerhose: replies {@code <hostname> <data>}, so a
 * client can tell which container ran each job. docker/test.sh builds it into a jar and mounts it
 * into /opt/powerhose/lib/ (see docker/README.md, "Your own job classes").
 */
public final class Hostname implements JobHandler {
    private final byte[] prefix;

    /** Creates the handler; reads the hostname once. */
    public Hostname() {
        String name = System.getenv("HOSTNAME");
        if (name == null || name.isEmpty()) {
            try {
                name = InetAddress.getLocalHost().getHostName();
            } catch (Exception e) {
                name = "unknown";
            }
        }
        prefix = (name + " ").getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public byte[] handle(Job job) {
        byte[] data = job.data();
        byte[] out = new byte[prefix.length + data.length];
        System.arraycopy(prefix, 0, out, 0, prefix.length);
        System.arraycopy(data, 0, out, prefix.length, data.length);
        return out;
    }
}
