package io.cohort.protocol;

import io.cohort.api.MemberId;
import io.cohort.api.View;
import io.cohort.protocol.wire.Frame;
import io.cohort.protocol.wire.FrameCodec;
import io.cohort.protocol.wire.MalformedFrameException;
import io.cohort.protocol.wire.ProtocolMessage;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiPredicate;

/** Protocol cores wired in memory, for tests of the core: frames can be dropped by a rule and members crashed. */
final class CoreWire {
    final Map<String, GroupMember> members = new LinkedHashMap<>();
    final Map<String, List<Effect>> seen = new LinkedHashMap<>();
    final Set<String> crashed = new HashSet<>();
    BiPredicate<MemberId, ProtocolMessage> drop = (to, m) -> false;
    /** Like {@link #drop}, knowing the sender too. */
    DirectedRule dropDirected = (from, to, m) -> false;

    /** Decides whether a message from one member to another is lost. */
    interface DirectedRule {
        boolean drop(MemberId from, MemberId to, ProtocolMessage m);
    }

    CoreWire(MemberId... ids) {
        this(ProtocolConfig.defaults(), ids);
    }

    CoreWire(ProtocolConfig config, MemberId... ids) {
        View view = new View(1, List.of(ids));
        for (MemberId id : ids) {
            GroupMember m = new GroupMember(id, config);
            members.put(id.name(), m);
            seen.put(id.name(), new ArrayList<>());
            m.bootstrap(view);
        }
        run(0);
    }

    /** Moves frames until quiet; then fires retransmission timers up to {@code rounds} times. */
    void run(int rounds) {
        for (int round = 0; round <= rounds; round++) {
            ArrayDeque<Object[]> queue = new ArrayDeque<>();
            boolean moved = true;
            while (moved) {
                moved = false;
                for (var e : members.entrySet()) {
                    if (crashed.contains(e.getKey())) {
                        continue;
                    }
                    for (Effect effect : e.getValue().takeEffects()) {
                        seen.get(e.getKey()).add(effect);
                        if (effect instanceof Effect.Send s && !dropped(s)) {
                            queue.add(new Object[] {s.to(), s.frame()});
                        }
                    }
                }
                while (!queue.isEmpty()) {
                    Object[] f = queue.poll();
                    MemberId to = (MemberId) f[0];
                    if (!crashed.contains(to.name()) && members.containsKey(to.name())) {
                        members.get(to.name()).receive((byte[]) f[1]);
                        moved = true;
                    }
                }
            }
            if (round < rounds) {
                for (var e : members.entrySet()) {
                    if (!crashed.contains(e.getKey())) {
                        e.getValue().timerFired(TimerKind.RETRANSMIT);
                        e.getValue().timerFired(TimerKind.BALLOT_RETRY);
                    }
                }
            }
        }
    }

    private boolean dropped(Effect.Send s) {
        try {
            Frame f = FrameCodec.decode(s.frame());
            return f.message() != null && (drop.test(s.to(), f.message()) || dropDirected.drop(f.from(), s.to(), f.message()));
        } catch (MalformedFrameException e) {
            throw new AssertionError(e);
        }
    }

    GroupMember get(MemberId id) {
        return members.get(id.name());
    }

    boolean saw(MemberId id, Class<? extends Effect> kind) {
        return seen.get(id.name()).stream().anyMatch(kind::isInstance);
    }
}
