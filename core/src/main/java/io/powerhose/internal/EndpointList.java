package io.powerhose.internal;

import io.powerhose.ConfigurationException;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A list of broker endpoints given as one comma-separated text ({@code tcp://a:5555,tcp://b:5555}): the form
 * clients, pools and workers take to use several brokers (docs/PROTOCOL.md, "Several brokers"). Each element is
 * checked as an {@link Endpoints#check endpoint}; an empty element, a duplicate or more than {@link #MAX_BROKERS}
 * elements are refused with a {@link ConfigurationException} that names the option and the element. Pure;
 * immutable and thread safe.
 *
 * @param name the option's name, for messages
 * @param endpoints the endpoints, in the order given (one or more)
 */
public record EndpointList(String name, List<String> endpoints) {
    /** The most brokers one client or worker may be given: each costs a socket and a connection. */
    public static final int MAX_BROKERS = 16;

    /** Copies the list; see {@link #parse} for the checks. */
    public EndpointList {
        endpoints = List.copyOf(endpoints);
    }

    /**
     * Parses and checks a comma-separated list (spaces around an element are ignored).
     *
     * @param name the option's name, for messages ({@code frontend}, {@code backend}, ...)
     * @param text the list; one endpoint is a list of one
     * @return the list
     * @throws ConfigurationException saying which element is wrong and why
     */
    public static EndpointList parse(String name, String text) {
        if (text == null) {
            throw new ConfigurationException(name + " is not set");
        }
        String[] parts = text.split(",", -1);
        if (parts.length > MAX_BROKERS) {
            throw new ConfigurationException(name + "=" + text + ": " + parts.length + " endpoints, at most "
                + MAX_BROKERS);
        }
        List<String> endpoints = new ArrayList<>(parts.length);
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < parts.length; i++) {
            String endpoint = parts[i].strip();
            String element = parts.length == 1 ? name : name + "[" + i + "]";
            if (endpoint.isEmpty()) {
                throw new ConfigurationException(name + "=" + text + ": element " + i
                    + " is empty (expected e.g. tcp://a:5555,tcp://b:5555)");
            }
            Endpoints.check(element, endpoint);
            if (!seen.add(endpoint)) {
                throw new ConfigurationException(name + "=" + text + ": " + endpoint + " is given twice");
            }
            endpoints.add(endpoint);
        }
        return new EndpointList(name, endpoints);
    }

    /**
     * Checks that another list pairs with this one, element by element (a worker's backends and heartbeats).
     *
     * @param other the other list
     * @throws ConfigurationException when the lengths differ
     */
    public void checkPairsWith(EndpointList other) {
        if (other.size() != size()) {
            throw new ConfigurationException(name + " lists " + size() + " broker(s) but " + other.name + " lists "
                + other.size() + ": give one " + other.name + " for each " + name + ", in the same order ("
                + name + "=" + text() + ", " + other.name + "=" + other.text() + ")");
        }
    }

    /** @return how many endpoints */
    public int size() {
        return endpoints.size();
    }

    /**
     * @param index from 0
     * @return that endpoint
     */
    public String get(int index) {
        return endpoints.get(index);
    }

    /** @return the list as given, comma-separated */
    public String text() {
        return String.join(",", endpoints);
    }
}
