package io.cohort.client;

import java.net.InetSocketAddress;
import java.util.List;

/**
 * Which replica to talk to next, and how long to wait before dialling it: round robin, at once
 * while some replica has not been tried since the last success, then with a backoff that doubles
 * per full cycle of failures up to a cap, so that a client facing a group that is down or
 * reconfiguring does not spin. Touched on the client's event loop only.
 */
final class EndpointRotation {

    static final long FIRST_BACKOFF_MILLIS = 50;
    static final long MAX_BACKOFF_MILLIS = 500;

    private final List<InetSocketAddress> endpoints;
    private int index;
    private int failures;

    /** @param endpoints the replicas, in the order to try them */
    EndpointRotation(List<InetSocketAddress> endpoints) {
        this.endpoints = List.copyOf(endpoints);
    }

    /** @return the endpoint in use or about to be dialled */
    InetSocketAddress current() {
        return endpoints.get(index);
    }

    /**
     * Moves to the next endpoint after a failure.
     *
     * @return how long to wait before dialling it, in milliseconds
     */
    long advance() {
        index = (index + 1) % endpoints.size();
        failures++;
        int cycles = failures / endpoints.size();
        if (cycles == 0) {
            return 0;
        }
        return Math.min(MAX_BACKOFF_MILLIS, FIRST_BACKOFF_MILLIS << Math.min(cycles - 1, 10));
    }

    /** A replica gave a final answer: the next failure starts a fresh cycle. */
    void succeeded() {
        failures = 0;
    }
}
