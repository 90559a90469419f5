package io.cohort.transport;

import java.util.Comparator;
import java.util.Objects;

/**
 * A host and port a member listens on, as other members should dial it.
 *
 * @param host host name or literal address
 * @param port TCP port
 */
public record Endpoint(String host, int port) implements Comparable<Endpoint> {

    private static final Comparator<Endpoint> ORDER =
            Comparator.comparing(Endpoint::host).thenComparingInt(Endpoint::port);

    /**
     * Validates the fields.
     *
     * @param host host name or literal address
     * @param port TCP port, 0 to 65535
     */
    public Endpoint {
        Objects.requireNonNull(host, "host");
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port out of range: " + port);
        }
    }

    /**
     * The same endpoint with its host resolved to an address literal, so that "localhost:7601"
     * and "127.0.0.1:7601" compare equal. An unresolvable host stays as written.
     *
     * @return the normalized endpoint
     */
    public Endpoint normalized() {
        try {
            return new Endpoint(java.net.InetAddress.getByName(host).getHostAddress(), port);
        } catch (java.net.UnknownHostException e) {
            return this;
        }
    }

    @Override
    public int compareTo(Endpoint o) {
        return ORDER.compare(this, o);
    }

    @Override
    public String toString() {
        return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
    }
}
