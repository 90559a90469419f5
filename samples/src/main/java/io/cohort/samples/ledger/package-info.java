/**
 * A bank-transfer ledger, the sample state machine of the test kit (docs/testkit.md): money moves
 * between accounts and is never created or destroyed. {@link io.cohort.samples.ledger.BuggyBankLedger}
 * is a deliberately wrong version that the kit must catch.
 */
package io.cohort.samples.ledger;
