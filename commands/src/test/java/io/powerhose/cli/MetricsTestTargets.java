package io.powerhose.cli;

import io.powerhose.Job;

/** The job of the metrics tests' workers (public: a worker loads it by name). */
public final class MetricsTestTargets {
    private MetricsTestTargets() {
    }

    /**
     * "fail" throws, "sleep:N" sleeps N ms, anything else is echoed.
     *
     * @param job the job
     * @return its data
     * @throws Exception for "fail"
     */
    public static String job(Job job) throws Exception {
        String data = job.dataAsString();
        if (data.equals("fail")) {
            throw new IllegalStateException("forced error");
        }
        if (data.startsWith("sleep:")) {
            Thread.sleep(Long.parseLong(data.substring("sleep:".length())));
        }
        return data;
    }
}
