package io.cohort.integration.harness;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;

/** A trivial child for testing the harness's process control: echoes each stdin line. */
public final class EchoChild {

    private EchoChild() {
    }

    /**
     * Prints {@code READY <pid>}, then answers each line {@code x} with {@code ECHO x} until
     * {@code exit} or the end of stdin.
     *
     * @param args unused
     * @throws Exception on I/O failure
     */
    public static void main(String[] args) throws Exception {
        System.out.println("READY " + ProcessHandle.current().pid());
        System.out.flush();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null && !line.equals("exit")) {
            System.out.println("ECHO " + line);
            System.out.flush();
        }
    }
}
