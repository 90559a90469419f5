package io.cohort.integration.harness;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * One child process driven line by line: commands go to its stdin, its stdout lines are kept in
 * a {@link LineLog} (and copied with timestamps to {@code <label>.out}), its stderr goes straight
 * to {@code <label>.log}. Also sends it signals: SIGKILL, SIGSTOP and SIGCONT.
 */
public final class ChildProcess {

    private final String label;
    private final Path stdoutFile;
    private final Path stderrFile;
    private final Process process;
    private final LineLog stdout = new LineLog();
    private final BufferedWriter stdin;
    private final Thread reader;
    private volatile boolean stopped;

    /**
     * Starts the process.
     *
     * @param label   names the process in messages and log file names
     * @param command the command line
     * @param dir     directory for {@code <label>.out} and {@code <label>.log}
     * @throws IOException if it cannot be started
     */
    public ChildProcess(String label, List<String> command, Path dir) throws IOException {
        this.label = label;
        Files.createDirectories(dir);
        this.stdoutFile = dir.resolve(label + ".out");
        this.stderrFile = dir.resolve(label + ".log");
        Files.writeString(stderrFile, String.join(" ", command) + "\n\n", StandardCharsets.UTF_8);
        ProcessBuilder pb = new ProcessBuilder(command);
        // Members take settings from -Dcohort.* only: no stray COHORT_* variables of the test machine.
        pb.environment().keySet().removeIf(k -> k.startsWith("COHORT_"));
        pb.redirectError(ProcessBuilder.Redirect.appendTo(stderrFile.toFile()));
        this.process = pb.start();
        this.stdin = new BufferedWriter(new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8));
        this.reader = new Thread(this::readStdout, "stdout-" + label);
        reader.setDaemon(true);
        reader.start();
    }

    private void readStdout() {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8));
             Writer copy = Files.newBufferedWriter(stdoutFile, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                     StandardOpenOption.TRUNCATE_EXISTING)) {
            String line;
            while ((line = in.readLine()) != null) {
                copy.write(LocalTime.now() + " " + line + "\n");
                copy.flush();
                stdout.add(line);
            }
        } catch (IOException e) {
            // The process died or was destroyed: the log simply ends.
        } finally {
            stdout.close();
        }
    }

    /** @return the label */
    public String label() {
        return label;
    }

    /** @return the operating-system process id */
    public long pid() {
        return process.pid();
    }

    /** @return its stdout lines */
    public LineLog stdout() {
        return stdout;
    }

    /** @return the file its stderr goes to */
    public Path stderrFile() {
        return stderrFile;
    }

    /** @return whether the process is running (possibly stopped by SIGSTOP) */
    public boolean isAlive() {
        return process.isAlive();
    }

    /** @return whether the harness stopped it with SIGSTOP and has not continued it */
    public boolean isStopped() {
        return stopped;
    }

    /** @return a description for failure messages */
    public String describe() {
        if (process.isAlive()) {
            return label + " (pid " + process.pid() + "; stderr " + stderrFile + ")";
        }
        return label + " (pid " + process.pid() + ", exited " + process.exitValue() + "; stderr " + stderrFile
                + " ends with: " + stderrTail(8) + ")";
    }

    private String stderrTail(int n) {
        try {
            List<String> lines = Files.readAllLines(stderrFile, StandardCharsets.UTF_8);
            // The exception lines say why it died; the last lines say where it was.
            List<String> picked = new ArrayList<>(lines.stream()
                    .filter(l -> l.contains("Exception") || l.contains(" ERROR ")).limit(3).toList());
            picked.add("...");
            picked.addAll(lines.subList(Math.max(0, lines.size() - n), lines.size()));
            return String.join(" | ", picked);
        } catch (IOException | RuntimeException e) {
            return "(unreadable: " + e + ")";
        }
    }

    /**
     * Sends one command line.
     *
     * @param command the command
     */
    public synchronized void send(String command) {
        if (!process.isAlive()) {
            throw new AssertionError("cannot send '" + command + "': " + describe() + " is not running");
        }
        try {
            stdin.write(command);
            stdin.write('\n');
            stdin.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot send '" + command + "' to " + describe(), e);
        }
    }

    /**
     * Sends a command and waits for the first line after it that starts with {@code answerPrefix}.
     *
     * @param command      the command
     * @param answerPrefix how the answer starts
     * @param timeout      how long to wait
     * @return the answer
     */
    public String request(String command, String answerPrefix, Duration timeout) {
        int mark = stdout.size();
        send(command);
        return await(mark, l -> l.startsWith(answerPrefix), timeout).line();
    }

    /**
     * Waits for a stdout line at or after index {@code from}.
     *
     * @param from    first index to search
     * @param matches what to look for
     * @param timeout how long to wait
     * @return the line and its index
     */
    public LineLog.Match await(int from, Predicate<String> matches, Duration timeout) {
        return stdout.await(from, matches, timeout, this::describe);
    }

    /**
     * Kills the process with SIGKILL and waits for it to be gone.
     *
     * @return the wall time of the kill, microseconds since the epoch (taken just before the signal)
     */
    public long kill9() {
        Instant now = Instant.now();
        long micros = now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
        // destroyForcibly is SIGKILL on Unix.
        process.destroyForcibly();
        awaitExit(Duration.ofSeconds(10));
        return micros;
    }

    /** Stops the process with SIGSTOP: it keeps its sockets but does nothing until {@link #sigcont()}. */
    public void sigstop() {
        signal("STOP");
        stopped = true;
        // kill(1) returns once the signal is queued; the process stops when the kernel delivers it.
        awaitProcState(true);
    }

    /** Continues a process stopped by {@link #sigstop()}. */
    public void sigcont() {
        signal("CONT");
        stopped = false;
        awaitProcState(false);
    }

    private void awaitProcState(boolean stoppedState) {
        ClusterHarness.awaitCondition(label + (stoppedState ? " to stop" : " to continue"), Duration.ofSeconds(10),
                Duration.ofMillis(2), () -> "T".equals(procState()) == stoppedState, this::describe);
    }

    /**
     * @return the process's scheduler state letter from /proc (e.g. {@code T} when stopped), or "?" if unknown
     */
    public String procState() {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(process.pid()), "stat"));
            // Format: pid (comm) state ...; comm may contain spaces, so look after the last ')'.
            return stat.substring(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
        } catch (IOException | RuntimeException e) {
            return "?";
        }
    }

    private void signal(String name) {
        List<String> cmd = new ArrayList<>(List.of("kill", "-" + name, Long.toString(process.pid())));
        try {
            Process kill = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(kill.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
                throw new AssertionError(String.join(" ", cmd) + " failed: " + out);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    /**
     * Waits for the process to exit.
     *
     * @param timeout how long
     * @return its exit code
     */
    public int awaitExit(Duration timeout) {
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new AssertionError(describe() + " did not exit within " + timeout);
            }
            reader.join(timeout.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
        return process.exitValue();
    }

    /** Kills the process if it is still running (continuing it first is unnecessary: SIGKILL works on stopped processes). */
    public void destroy() {
        if (process.isAlive()) {
            process.destroyForcibly();
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        try {
            stdin.close();
        } catch (IOException e) {
            // already gone
        }
    }
}
