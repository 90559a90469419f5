/**
 * The contract a Cohort user programs against: member identities, views, delivery orders and the
 * {@link io.cohort.api.StateMachine} interface. This package depends on the JDK only.
 */
package io.cohort.api;
