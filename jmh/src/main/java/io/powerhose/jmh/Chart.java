package io.powerhose.jmh;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;

/**
 * Draws the offload results as one self-contained SVG file: left, throughput against job cost for
 * in-process threads and both Powerhose modes (log-log); right, Powerhose throughput as a percentage of
 * in-process, with the 90% line and the crossover marked. Pure.
 */
final class Chart {
    private static final int PANEL_W = 460;
    private static final int PANEL_H = 340;
    private static final int LEFT = 70;
    private static final int TOP = 72;
    private static final int GAP = 90;
    private static final String IN_PROCESS = "#1f77b4";
    private static final String SYNC = "#ff7f0e";
    private static final String ASYNC = "#2ca02c";

    private Chart() {
    }

    static String svg(List<OffloadPoint> input, String title, String subtitle, int threads, int workers,
                      int inFlight) {
        List<OffloadPoint> points = new ArrayList<>(input);
        points.removeIf(p -> !(p.jobMs() > 0) || !(p.inProcess() > 0));
        points.sort(Comparator.comparingDouble(OffloadPoint::jobMs));
        int width = LEFT + PANEL_W + GAP + PANEL_W + 40;
        int height = TOP + PANEL_H + 110;
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\""
            + " viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">%n", width, height, width, height));
        s.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        text(s, width / 2.0, 22, "middle", 16, "bold", title);
        text(s, width / 2.0, 42, "middle", 12, "normal", subtitle);
        if (points.isEmpty()) {
            text(s, width / 2.0, TOP + PANEL_H / 2.0, "middle", 14, "normal", "no results");
            return s.append("</svg>\n").toString();
        }
        double xMin = points.get(0).jobMs() / 1.6;
        double xMax = points.get(points.size() - 1).jobMs() * 1.6;
        double yMin = Double.MAX_VALUE;
        double yMax = 0;
        for (OffloadPoint p : points) {
            for (double v : new double[] {p.inProcess(), p.sync(), p.async()}) {
                if (v > 0) {
                    yMin = Math.min(yMin, v);
                    yMax = Math.max(yMax, v);
                }
            }
        }
        yMin /= 1.6;
        yMax *= 1.6;

        // Left panel: throughput, log-log.
        Axis x1 = new Axis(LEFT, PANEL_W, xMin, xMax, true);
        Axis y1 = new Axis(TOP + PANEL_H, -PANEL_H, yMin, yMax, true);
        frame(s, x1, y1, "job cost (ms of CPU on one core; log scale)", "jobs/s (log scale)",
            "Throughput");
        series(s, points, x1, y1, OffloadPoint::inProcess, IN_PROCESS, "");
        series(s, points, x1, y1, OffloadPoint::sync, SYNC, "");
        series(s, points, x1, y1, OffloadPoint::async, ASYNC, "");

        // Right panel: Powerhose as % of in-process.
        int left2 = LEFT + PANEL_W + GAP;
        double rMax = 110;
        for (OffloadPoint p : points) {
            rMax = Math.max(rMax, Math.max(pct(p.sync(), p), pct(p.async(), p)) * 1.1);
        }
        Axis x2 = new Axis(left2, PANEL_W, xMin, xMax, true);
        Axis y2 = new Axis(TOP + PANEL_H, -PANEL_H, 0, rMax, false);
        frame(s, x2, y2, "job cost (ms, log scale)", "Powerhose / in-process (%)", "Powerhose as % of in-process");
        hline(s, x2, y2, 100, "#555", "4,3", "100% = as fast as in-process");
        hline(s, x2, y2, 90, "#c00", "2,3", "90% (the issue's target at 1 ms)");
        series(s, points, x2, y2, p -> pct(p.sync(), p), SYNC, "%");
        series(s, points, x2, y2, p -> pct(p.async(), p), ASYNC, "%");
        double crossover = crossover(points);
        if (!Double.isNaN(crossover)) {
            double cx = x2.at(crossover);
            s.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#c00\""
                + " stroke-dasharray=\"6,4\"/>%n", cx, TOP, cx, TOP + PANEL_H));
            text(s, cx + 4, TOP + 14, "start", 11, "normal",
                "≥ 90% from ~" + String.format(Locale.ROOT, "%.1f", crossover) + " ms");
        }

        // Legend.
        int ly = TOP + PANEL_H + 62;
        legend(s, LEFT, ly, IN_PROCESS, "in-process, " + threads + " threads");
        legend(s, LEFT + 250, ly, SYNC, "Powerhose, " + threads + " client threads, " + workers + " workers");
        legend(s, LEFT + 600, ly, ASYNC, "Powerhose async, " + inFlight + " in flight, " + workers + " workers");
        text(s, LEFT, ly + 28, "start", 11, "normal", "Java has no GIL: in-process threads use every core. "
            + "Powerhose pays a round trip through a broker and a worker process per job.");
        return s.append("</svg>\n").toString();
    }

    /** @return the smallest cost (ms) from which the better Powerhose mode stays at 90% or more, or NaN */
    static double crossover(List<OffloadPoint> sorted) {
        double result = Double.NaN;
        for (int i = sorted.size() - 1; i >= 0; i--) {
            OffloadPoint p = sorted.get(i);
            if (p.ratio() >= 0.9) {
                result = p.jobMs();
                continue;
            }
            if (i + 1 < sorted.size() && !Double.isNaN(result)) {
                // between this point (below 90%) and the next (above): interpolate on the log of the cost
                OffloadPoint q = sorted.get(i + 1);
                double t = (0.9 - p.ratio()) / (q.ratio() - p.ratio());
                result = Math.exp(Math.log(p.jobMs()) + t * (Math.log(q.jobMs()) - Math.log(p.jobMs())));
            }
            break;
        }
        return result;
    }

    private static double pct(double v, OffloadPoint p) {
        return v > 0 ? 100 * v / p.inProcess() : Double.NaN;
    }

    private record Axis(double origin, double length, double min, double max, boolean log) {
        double at(double v) {
            double t = log ? (Math.log(v) - Math.log(min)) / (Math.log(max) - Math.log(min)) : (v - min) / (max - min);
            return origin + t * length;
        }

        List<Double> ticks() {
            List<Double> ticks = new ArrayList<>();
            if (log) {
                for (double decade = Math.pow(10, Math.floor(Math.log10(min))); decade <= max; decade *= 10) {
                    for (double m : new double[] {1, 2, 5}) {
                        double v = decade * m;
                        if (v >= min && v <= max) {
                            ticks.add(v);
                        }
                    }
                }
            } else {
                double step = Math.pow(10, Math.floor(Math.log10((max - min) / 4)));
                if ((max - min) / step > 8) {
                    step *= 2;
                }
                for (double v = Math.ceil(min / step) * step; v <= max; v += step) {
                    ticks.add(v);
                }
            }
            return ticks;
        }
    }

    private static void frame(StringBuilder s, Axis x, Axis y, String xLabel, String yLabel, String title) {
        double left = x.origin();
        double right = x.origin() + x.length();
        double bottom = y.origin();
        double top = y.origin() + y.length();
        for (double t : x.ticks()) {
            double px = x.at(t);
            s.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\""
                + " stroke=\"#e5e5e5\"/>%n", px, top, px, bottom));
            text(s, px, bottom + 16, "middle", 11, "normal", number(t));
        }
        for (double t : y.ticks()) {
            double py = y.at(t);
            s.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\""
                + " stroke=\"#e5e5e5\"/>%n", left, py, right, py));
            text(s, left - 6, py + 4, "end", 11, "normal", number(t));
        }
        s.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\""
            + " fill=\"none\" stroke=\"#333\"/>%n", left, top, right - left, bottom - top));
        text(s, (left + right) / 2, bottom + 36, "middle", 12, "normal", xLabel);
        text(s, (left + right) / 2, top - 8, "middle", 13, "bold", title);
        s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\""
            + " transform=\"rotate(-90 %.1f %.1f)\">%s</text>%n", left - 52, (top + bottom) / 2, left - 52,
            (top + bottom) / 2, escape(yLabel)));
    }

    private static void series(StringBuilder s, List<OffloadPoint> points, Axis x, Axis y,
                               ToDoubleFunction<OffloadPoint> value, String color, String unit) {
        StringBuilder path = new StringBuilder();
        for (OffloadPoint p : points) {
            double v = value.applyAsDouble(p);
            if (!(v > 0)) {
                continue;
            }
            double px = x.at(p.jobMs());
            double py = y.at(v);
            path.append(path.length() == 0 ? "M" : " L").append(String.format(Locale.ROOT, "%.1f %.1f", px, py));
            s.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\">"
                + "<title>%s ms: %s%s</title></circle>%n", px, py, color, BenchOptions.trim(p.jobMs()), number(v),
                unit));
        }
        if (path.length() > 0) {
            s.append(String.format(Locale.ROOT, "<path d=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\"/>%n",
                path, color));
        }
    }

    private static void hline(StringBuilder s, Axis x, Axis y, double v, String color, String dash, String label) {
        double py = y.at(v);
        s.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\""
            + " stroke-dasharray=\"%s\"/>%n", x.origin(), py, x.origin() + x.length(), py, color, dash));
        text(s, x.origin() + x.length() - 4, py - 4, "end", 10, "normal", label);
    }

    private static void legend(StringBuilder s, double x, double y, String color, String label) {
        s.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\""
            + " stroke-width=\"3\"/>%n", x, y - 4, x + 24, y - 4, color));
        text(s, x + 30, y, "start", 12, "normal", label);
    }

    private static void text(StringBuilder s, double x, double y, String anchor, int size, String weight,
                             String text) {
        s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" font-size=\"%d\""
            + " font-weight=\"%s\">%s</text>%n", x, y, anchor, size, weight, escape(text)));
    }

    static String number(double v) {
        if (v >= 10_000) {
            return String.format(Locale.ROOT, "%,.0f", v);
        }
        if (v >= 10) {
            return String.format(Locale.ROOT, "%.0f", v);
        }
        return BenchOptions.trim(v);
    }

    private static String escape(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
