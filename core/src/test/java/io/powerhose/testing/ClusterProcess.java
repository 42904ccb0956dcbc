package io.powerhose.testing;

import io.powerhose.Cluster;
import io.powerhose.ClusterOptions;

import java.util.Arrays;
import java.util.List;

/**
 * A {@link Cluster} as a process of its own, for the tests that end it from outside (SIGTERM, SIGKILL):
 * {@code --frontend F --backend B --heartbeat H --numprocesses N (--worker-command "CMD ARGS" | TARGET)}. Prints
 * {@code cluster up} once its workers have registered, then runs until it is ended.
 */
public final class ClusterProcess {
    private ClusterProcess() {
    }

    /**
     * Runs the cluster.
     *
     * @param args as above
     */
    public static void main(String[] args) {
        String frontend = null;
        String backend = null;
        String heartbeat = null;
        String workerCommand = null;
        String target = null;
        int count = 1;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--frontend" -> frontend = args[++i];
                case "--backend" -> backend = args[++i];
                case "--heartbeat" -> heartbeat = args[++i];
                case "--numprocesses" -> count = Integer.parseInt(args[++i]);
                case "--worker-command" -> workerCommand = args[++i];
                default -> target = args[i];
            }
        }
        ClusterOptions.Builder options = workerCommand != null
            ? ClusterOptions.builderForCommand(List.of(workerCommand.split(" ")))
            : ClusterOptions.builder(target).workerJvmOptions(Arrays.asList("-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1", "-Xmx128m"));
        Cluster cluster = Cluster.start(options.frontend(frontend).backend(backend).heartbeat(heartbeat)
            .numProcesses(count).background(true).build());
        System.out.println("cluster up, workers " + cluster.workers());
        cluster.awaitStop();
    }
}
