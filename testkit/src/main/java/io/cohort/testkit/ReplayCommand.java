package io.cohort.testkit;

import java.lang.annotation.Annotation;
import java.lang.reflect.Method;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;

/**
 * The command line that replays one seed of the test that called the kit: the Maven module, the
 * test class and method found on the caller's stack, and {@code -Dcohort.testkit.seed}. Found once,
 * on the caller's thread, when the campaign starts.
 */
final class ReplayCommand {

    /** The system property that replays one seed instead of the whole campaign. */
    static final String SEED_PROPERTY = "cohort.testkit.seed";
    /** The system property that prints the full history of every failing (or replayed) run. */
    static final String TRACE_PROPERTY = "cohort.testkit.trace";

    private static final Set<String> TEST_ANNOTATIONS = Set.of("Test", "ParameterizedTest", "RepeatedTest",
            "TestFactory", "TestTemplate");

    /** The kit's own frames, skipped when no test method is on the stack. */
    private static final Set<Class<?>> KIT_CLASSES = Set.of(ReplayCommand.class, StateMachineTestKit.class);

    private final String test;
    private final String module;
    private final Path root;

    private ReplayCommand(String test, String module, Path root) {
        this.test = test;
        this.module = module;
        this.root = root;
    }

    /** @return the command for the test method on the current thread's stack */
    static ReplayCommand ofCaller() {
        StackWalker walker = StackWalker.getInstance(StackWalker.Option.RETAIN_CLASS_REFERENCE);
        Optional<StackWalker.StackFrame> frame = walker.walk(frames -> frames
                .filter(ReplayCommand::isTestMethod).findFirst());
        if (frame.isEmpty()) {
            frame = walker.walk(frames -> frames
                    .filter(f -> !KIT_CLASSES.contains(f.getDeclaringClass())).findFirst());
        }
        if (frame.isEmpty()) {
            return new ReplayCommand("YourTest", null, null);
        }
        Class<?> type = frame.get().getDeclaringClass();
        while (type.getEnclosingClass() != null) {
            type = type.getEnclosingClass(); // Surefire selects nested classes through their outer class
        }
        String test = type.getSimpleName() + (isTestMethod(frame.get()) ? "#" + frame.get().getMethodName() : "");
        Path classes = location(type);
        Path moduleDir = classes != null && classes.getParent() != null
                && classes.getParent().getFileName().toString().equals("target") ? classes.getParent().getParent() : null;
        if (moduleDir == null) {
            return new ReplayCommand(test, null, null);
        }
        Path root = moduleDir;
        while (root.getParent() != null && Files.exists(root.getParent().resolve("pom.xml"))) {
            root = root.getParent();
        }
        String module = root.equals(moduleDir) ? null : root.relativize(moduleDir).toString();
        return new ReplayCommand(test, module, root);
    }

    private static boolean isTestMethod(StackWalker.StackFrame f) {
        for (Method m : f.getDeclaringClass().getDeclaredMethods()) {
            if (m.getName().equals(f.getMethodName())) {
                for (Annotation a : m.getAnnotations()) {
                    String name = a.annotationType().getName();
                    if (name.startsWith("org.junit.") && TEST_ANNOTATIONS.contains(a.annotationType().getSimpleName())) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    private static Path location(Class<?> type) {
        try {
            var source = type.getProtectionDomain().getCodeSource();
            return source == null ? null : Path.of(source.getLocation().toURI());
        } catch (URISyntaxException | SecurityException | IllegalArgumentException e) {
            return null;
        }
    }

    /**
     * @param seed a seed
     * @return the one-line command that replays it
     */
    String command(long seed) {
        return "mvn -q" + (module == null ? "" : " -pl " + module) + " test -Dtest='" + test + "' -D" + SEED_PROPERTY
                + "=" + seed + (root == null ? "" : "   (from " + root + "; add -D" + TRACE_PROPERTY
                + "=true for the run's full history)");
    }
}
