package io.cohort.samples.kv.cluster;

import java.io.File;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The classpath this JVM runs the samples from, to start replica JVMs with the same classes. */
final class Classpath {

    private Classpath() {
    }

    /**
     * Under {@code mvn exec:java} the project's classes come from the plugin's class loader, not from
     * {@code java.class.path} (which then holds Maven's own launcher), so the loader's URLs are used
     * when it has them.
     *
     * @return a classpath string for {@code java -cp}
     */
    static String current() {
        ClassLoader loader = Classpath.class.getClassLoader();
        if (loader instanceof URLClassLoader urls && urls.getURLs().length > 0) {
            List<String> entries = new ArrayList<>();
            for (URL url : urls.getURLs()) {
                try {
                    entries.add(Path.of(url.toURI()).toString());
                } catch (URISyntaxException | IllegalArgumentException e) {
                    throw new IllegalStateException("cannot use classpath entry " + url, e);
                }
            }
            return String.join(File.pathSeparator, entries);
        }
        // Absolute, because replicas run in the cluster's directory.
        List<String> entries = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            if (!entry.isEmpty()) {
                entries.add(Path.of(entry).toAbsolutePath().toString());
            }
        }
        return String.join(File.pathSeparator, entries);
    }
}
