package io.cohort.benchmarks;

import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;

/** How the benchmarks print a figure over several runs: the median, then the minimum and maximum. */
public final class RunSummary {

    private RunSummary() {
    }

    /**
     * @param runs     the runs
     * @param figure   the figure of one run
     * @param decimals decimals shown (thousands are grouped)
     * @param <R>      the run type
     * @return {@code median (min–max)}
     */
    public static <R> String medianRange(List<R> runs, ToDoubleFunction<R> figure, int decimals) {
        double[] v = sorted(runs, figure);
        String f = "%,." + decimals + "f";
        return String.format(Locale.ROOT, f + " (" + f + "–" + f + ")", v[v.length / 2], v[0], v[v.length - 1]);
    }

    /**
     * @param runs   the runs
     * @param figure the figure of one run
     * @param <R>    the run type
     * @return {@code min–max} with two decimals
     */
    public static <R> String range(List<R> runs, ToDoubleFunction<R> figure) {
        double[] v = sorted(runs, figure);
        return String.format(Locale.ROOT, "%.2f–%.2f", v[0], v[v.length - 1]);
    }

    private static <R> double[] sorted(List<R> runs, ToDoubleFunction<R> figure) {
        return runs.stream().mapToDouble(figure).sorted().toArray();
    }
}
