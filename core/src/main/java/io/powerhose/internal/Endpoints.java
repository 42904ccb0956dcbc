package io.powerhose.internal;

import io.powerhose.ConfigurationException;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Set;

/**
 * Checks ZeroMQ endpoints before a socket sees them, so that a typo is a {@link ConfigurationException} naming
 * the option (exit 3 in the commands) rather than an error on a socket thread. Pure, but for {@link
 * #unresolvedHost}, which asks the resolver.
 */
public final class Endpoints {
    /** The transports libzmq knows. */
    private static final Set<String> TRANSPORTS = Set.of("tcp", "ipc", "inproc", "pgm", "epgm", "tipc", "vmci",
        "udp", "ws", "wss");

    private Endpoints() {
    }

    /**
     * Checks an endpoint's form: a known transport, an address, and for tcp and udp a {@code host:port} with a port
     * from 1 to 65535 (or {@code *} where binding).
     *
     * @param name the option's name, for the message
     * @param endpoint the endpoint
     * @throws ConfigurationException saying what is wrong
     */
    public static void check(String name, String endpoint) {
        if (endpoint == null) {
            throw new ConfigurationException(name + " is not set");
        }
        int scheme = endpoint.indexOf("://");
        if (scheme <= 0 || scheme + 3 == endpoint.length()) {
            throw new ConfigurationException(name + "=" + endpoint
                + " is not a ZeroMQ endpoint (expected e.g. ipc:///tmp/x.ipc or tcp://127.0.0.1:5555)");
        }
        if (endpoint.indexOf(',') >= 0) {
            throw new ConfigurationException(name + "=" + endpoint + ": one endpoint expected here, not a list"
                + " (lists of brokers are for clients, pools and workers; a broker binds one endpoint each)");
        }
        String transport = endpoint.substring(0, scheme);
        if (!TRANSPORTS.contains(transport)) {
            throw new ConfigurationException(name + "=" + endpoint + ": unknown transport " + transport
                + " (tcp, ipc, inproc, ...)");
        }
        if (transport.equals("tcp") || transport.equals("udp")) {
            String address = endpoint.substring(scheme + 3);
            int colon = address.lastIndexOf(':');
            String port = colon < 0 ? "" : address.substring(colon + 1);
            if (colon <= 0 || !(port.equals("*") || validPort(port))) {
                throw new ConfigurationException(name + "=" + endpoint + ": expected " + transport
                    + "://HOST:PORT with a port from 1 to 65535");
            }
        }
    }

    /**
     * The host of a tcp endpoint when the resolver does not know it, for the commands that connect once and
     * should say so at once (libzmq would retry in silence).
     *
     * @param endpoint a checked endpoint
     * @return the unknown host name, or null (not tcp, a wildcard, a literal address, or known)
     */
    public static String unresolvedHost(String endpoint) {
        if (!endpoint.startsWith("tcp://")) {
            return null;
        }
        String address = endpoint.substring("tcp://".length());
        int semicolon = address.indexOf(';');
        if (semicolon >= 0) {
            address = address.substring(semicolon + 1);
        }
        int colon = address.lastIndexOf(':');
        String host = colon < 0 ? address : address.substring(0, colon);
        if (host.isEmpty() || host.equals("*") || host.startsWith("[") || host.matches("[0-9.]+")) {
            return null;
        }
        try {
            InetAddress.getAllByName(host);
            return null;
        } catch (UnknownHostException e) {
            return host;
        }
    }

    private static boolean validPort(String port) {
        if (!port.matches("\\d{1,5}")) {
            return false;
        }
        int value = Integer.parseInt(port);
        return value >= 1 && value <= 65_535;
    }
}
