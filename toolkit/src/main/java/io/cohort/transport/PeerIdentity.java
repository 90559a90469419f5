package io.cohort.transport;

/**
 * Who is at the other end of a connection, as its HELLO said.
 *
 * @param name        member name
 * @param incarnation its current incarnation
 * @param endpoint    where it listens
 */
public record PeerIdentity(String name, long incarnation, Endpoint endpoint) {
}
