package io.cohort.simulation.replica;

/**
 * What happened in one simulated replica run, counted: enough for a test to assert that the
 * faults it asked for really happened and that clients really got work done.
 *
 * @param commandsAcknowledged commands answered OK to clients
 * @param linearizableReads    LINEARIZABLE reads answered OK
 * @param staleReads           STALE reads answered OK
 * @param crashes              members crashed
 * @param restarts             members restarted as a new incarnation
 * @param partitions           partitions (isolations included)
 * @param isolations           partitions that cut one replica off
 * @param leaves               clean leaves
 * @param joins                joins (new members, or restarts once every name was used)
 * @param divergences          times the replica core reported a replica diverged
 * @param rejoins              divergent replicas that left and rejoined
 * @param highestViewId        the newest view installed
 * @param finalAppliedIndex    the applied index the live replicas ended at (highest, if they differ)
 * @param eventsExecuted       simulation events run
 * @param framesSent           network frames offered
 * @param framesLost           network frames lost
 * @param simulatedMillis      simulated time the run took
 */
public record RunStats(long commandsAcknowledged, long linearizableReads, long staleReads, int crashes, int restarts,
                       int partitions, int isolations, int leaves, int joins, int divergences, int rejoins,
                       long highestViewId, long finalAppliedIndex, long eventsExecuted, long framesSent,
                       long framesLost, long simulatedMillis) {

    @Override
    public String toString() {
        return "acked=" + commandsAcknowledged + " reads=" + linearizableReads + "+" + staleReads + "stale crashes="
                + crashes + " restarts=" + restarts + " partitions=" + partitions + "(" + isolations + " isolating)"
                + " leaves=" + leaves + " joins=" + joins + " divergences=" + divergences + " rejoins=" + rejoins
                + " views=" + highestViewId + " index=" + finalAppliedIndex + " events=" + eventsExecuted
                + " frames=" + framesSent + " lost=" + framesLost + " simulated=" + simulatedMillis + "ms";
    }
}
