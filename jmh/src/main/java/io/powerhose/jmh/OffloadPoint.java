package io.powerhose.jmh;

/**
 * The offload results for one job cost. Throughputs are in jobs/s, latencies in µs; NaN when not measured.
 *
 * @param cost the requested cost ("1" ms, or "-" for a user's job)
 * @param jobMs the job's cost in ms: the requested cost, or for a user's job its in-process p50
 * @param inProcess in-process throughput: in a JVM started like the workers ({@link InProcessSide}) when
 *     measured, else on the benchmark's threads
 * @param sync Powerhose throughput from as many client threads, one job in flight each
 * @param async Powerhose throughput from the async client with many jobs in flight
 * @param inP50Us in-process median time per job
 * @param syncP50Us Powerhose (sync) median time per job
 * @param syncP99Us Powerhose (sync) 99th percentile time per job
 * @param checkPowerhoseMs one job at a time on a quiet cluster: its round trip through Powerhose
 * @param checkPingMs a ping on the same quiet cluster (the client-broker leg alone)
 * @param inProcessJmh in-process throughput on JMH's threads in the benchmark fork
 * @param inProcessCpuMs CPU time per job of the in-process side (threads of {@link InProcessSide})
 * @param workersCpuMs CPU time per job of the worker processes under the async client (job and messaging)
 */
record OffloadPoint(String cost, double jobMs, double inProcess, double sync, double async, double inP50Us,
                    double syncP50Us, double syncP99Us, double checkPowerhoseMs, double checkPingMs,
                    double inProcessJmh, double inProcessCpuMs, double workersCpuMs) {

    /** @return the better of the two Powerhose modes (async when measured) */
    double bestPowerhose() {
        if (Double.isNaN(async)) {
            return sync;
        }
        return Double.isNaN(sync) ? async : Math.max(sync, async);
    }

    /** @return best Powerhose throughput as a fraction of in-process throughput */
    double ratio() {
        return bestPowerhose() / inProcess;
    }

    /**
     * @return the machine time per job that offloading adds, in µs: the time between two results at full load
     *     through Powerhose minus the same in-process
     */
    double overheadUs() {
        return 1e6 / bestPowerhose() - 1e6 / inProcess;
    }
}
