package io.cohort.samples.kv.admin;

import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmInfoMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A Prometheus meter registry with the JVM and process meters already bound, for the admin
 * server's {@code GET /metrics}.
 *
 * <p>Binds Micrometer's class loader, memory, garbage collection, thread and JVM info meters and its
 * processor, uptime and file descriptor meters ({@code jvm_memory_used_bytes},
 * {@code jvm_gc_pause_seconds}, {@code process_cpu_usage}, {@code process_uptime_seconds},
 * {@code process_open_fds}, ...). The replica's own meters are registered on {@link #registry()} by
 * whoever owns them.
 *
 * <p>Close it when the replica stops: the garbage collection meters listen for JMX notifications,
 * and those listeners outlive the registry unless removed.
 */
public final class PrometheusMeters implements AutoCloseable {

    private final PrometheusMeterRegistry registry;
    /** Kept because, unlike the other binders, it holds JMX listeners that {@link #close()} must remove. */
    private final JvmGcMetrics gcMetrics;
    private final AtomicBoolean closed = new AtomicBoolean();

    /** Creates the registry and binds the JVM and process meters to it. */
    public PrometheusMeters() {
        PrometheusMeterRegistry created = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        JvmGcMetrics gc = new JvmGcMetrics();
        try {
            new ClassLoaderMetrics().bindTo(created);
            new JvmMemoryMetrics().bindTo(created);
            gc.bindTo(created);
            new JvmThreadMetrics().bindTo(created);
            new JvmInfoMetrics().bindTo(created);
            new ProcessorMetrics().bindTo(created);
            new UptimeMetrics().bindTo(created);
            new FileDescriptorMetrics().bindTo(created);
        } catch (RuntimeException | Error e) {
            // A half-built instance is never returned, so nobody else could release the GC listeners.
            gc.close();
            created.close();
            throw e;
        }
        this.registry = created;
        this.gcMetrics = gc;
    }

    /** @return the registry to scrape and to register the replica's own meters on */
    public PrometheusMeterRegistry registry() {
        return registry;
    }

    /** Removes the garbage collection listeners and closes the registry; later calls do nothing. */
    @Override
    public void close() {
        // Only once: removing the GC listeners a second time is not something JvmGcMetrics promises to tolerate.
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        gcMetrics.close();
        registry.close();
    }
}
