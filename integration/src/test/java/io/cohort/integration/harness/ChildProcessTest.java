package io.cohort.integration.harness;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The harness's process control, exercised on a trivial child JVM. */
class ChildProcessTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private ChildProcess child;

    private ChildProcess start(String label) throws Exception {
        Path dir = Path.of(System.getProperty("cohort.integration.dir", "target/integration"), "child-process");
        child = new ChildProcess(label, ChildJvm.command(EchoChild.class, Map.of("x.y", "1")), dir);
        child.await(0, l -> l.startsWith("READY "), WAIT);
        return child;
    }

    @AfterEach
    void destroy() {
        if (child != null) {
            child.destroy();
        }
    }

    @Test
    void childClasspathIsTheRealTestClasspath() {
        // Under Surefire's manifest-only jar java.class.path is just the booter jar; the harness must not use it.
        String cp = ChildJvm.classpath();
        assertThat(cp.split(File.pathSeparator)).hasSizeGreaterThan(5)
                .anySatisfy(e -> assertThat(e).endsWith("test-classes"))
                .anySatisfy(e -> assertThat(e).contains("cohort-toolkit"));
        assertThat(ChildJvm.cohortFlags()).contains("--add-opens=java.base/java.nio=ALL-UNNAMED");
    }

    @Test
    void requestsAreAnsweredInOrderAndOldLinesStayVisible() throws Exception {
        ChildProcess p = start("echo");
        assertThat(p.request("one", "ECHO", WAIT)).isEqualTo("ECHO one");
        assertThat(p.request("two", "ECHO", WAIT)).isEqualTo("ECHO two");
        // Waiting never consumes lines: the first answer can be found again from the start.
        assertThat(p.await(0, l -> l.equals("ECHO one"), WAIT).index()).isEqualTo(1);
        p.send("exit");
        assertThat(p.awaitExit(WAIT)).isZero();
    }

    @Test
    void aStoppedChildAnswersOnlyAfterSigcont() throws Exception {
        ChildProcess p = start("stopped");
        p.sigstop();
        assertThat(p.procState()).isEqualTo("T");
        int mark = p.stdout().size();
        p.send("while-stopped");
        // The line is queued in the pipe; a stopped process cannot have answered it.
        assertThatThrownBy(() -> p.await(mark, l -> l.startsWith("ECHO"), Duration.ofMillis(300)))
                .isInstanceOf(AssertionError.class).hasMessageContaining("timed out");
        p.sigcont();
        assertThat(p.await(mark, l -> l.startsWith("ECHO"), WAIT).line()).isEqualTo("ECHO while-stopped");
        assertThat(p.procState()).isNotEqualTo("T");
    }

    @Test
    void kill9EndsTheChildAndWaitsFail() throws Exception {
        ChildProcess p = start("killed");
        long before = System.currentTimeMillis() * 1000;
        long killedAt = p.kill9();
        assertThat(killedAt).isGreaterThanOrEqualTo(before - 1_000_000);
        assertThat(p.isAlive()).isFalse();
        assertThat(p.awaitExit(WAIT)).isEqualTo(137); // 128 + SIGKILL
        assertThatThrownBy(() -> p.await(p.stdout().size(), l -> true, WAIT))
                .isInstanceOf(AssertionError.class).hasMessageContaining("stdout ended");
        assertThatThrownBy(() -> p.send("x")).isInstanceOf(AssertionError.class).hasMessageContaining("not running");
    }
}
