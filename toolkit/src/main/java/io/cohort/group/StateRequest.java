package io.cohort.group;

import io.cohort.api.MemberId;

/**
 * What a donor knows about the state transfer it is asked for.
 *
 * @param joiner     the joining incarnation
 * @param viewId     the view the joiner enters
 * @param joinerHint what the joiner's {@link Group.Builder#joinHint} supplied when it asked to join
 *                   (empty if nothing): for example how much of the state it still has on disk, so
 *                   that the donor can send only what is missing
 */
public record StateRequest(MemberId joiner, long viewId, byte[] joinerHint) {
}
