package io.cohort.api;

/**
 * Executes a client request on the one member that handles it, in primary-backup and
 * coordinator-cohort modes, and turns it into an update that every replica then applies with
 * {@link StateMachine#apply}. Execution may be non-deterministic (read a clock, call another
 * service, draw a random number): only its update is replicated, so every replica applies the same
 * outcome.
 *
 * <p>Called on the apply thread, never concurrently with {@link StateMachine#apply}. In
 * primary-backup mode the primary has already applied every update it produced before, so the
 * state seen here includes them. In coordinator-cohort mode the state reflects the commands
 * applied so far; requests handled at the same time by other members are not yet visible, so the
 * update must be meaningful whatever is applied before it.
 */
@FunctionalInterface
public interface RequestExecutor {

    /**
     * @param context where the request stands: the index its update will most likely take (exact
     *                in primary-backup mode), the view, the handler's logical time and the member
     *                that received the request
     * @param request the request bytes as the client sent them
     * @return the update every replica applies; never null
     */
    byte[] execute(CommandContext context, byte[] request);
}
