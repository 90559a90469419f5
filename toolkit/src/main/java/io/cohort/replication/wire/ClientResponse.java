package io.cohort.replication.wire;

import java.util.Objects;

/**
 * A replica's answer to one {@link ClientRequest}.
 *
 * @param clientId the request's client
 * @param sequence the request's sequence
 * @param status   the outcome
 * @param viewId   the replica's view when it answered (0 if it has none)
 * @param payload  the result or answer when {@link ResponseStatus#OK}, else a UTF-8 explanation
 */
public record ClientResponse(long clientId, long sequence, ResponseStatus status, long viewId, byte[] payload) {

    /** Validates the fields. */
    public ClientResponse {
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(payload, "payload");
    }

    /**
     * @param request the request answered
     * @param status  a non-OK status
     * @param viewId  the replica's view
     * @param reason  why
     * @return the failure response
     */
    public static ClientResponse failure(ClientRequest request, ResponseStatus status, long viewId, String reason) {
        return new ClientResponse(request.clientId(), request.sequence(), status, viewId,
                reason.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
}
