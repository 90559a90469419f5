/** The view change: ballots, the next view's membership and donors, and checks on received proposals. */
package io.cohort.protocol.membership;
