package io.powerhose.internal.process;

import io.powerhose.internal.zmq.NativeLibrary;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds the command line of a child JVM that runs one of our main classes with this JVM's classpath and
 * the folder of {@code libjzmq.so} on its library path. Pure.
 */
public final class JavaCommand {
    private JavaCommand() {
    }

    /**
     * Builds the command.
     *
     * @param mainClass the main class
     * @param jvmOptions extra JVM options (may be empty)
     * @param args the program's arguments
     * @return the command line
     */
    public static List<String> of(String mainClass, List<String> jvmOptions, List<String> args) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        String jni = NativeLibrary.jniDirectory();
        if (jni != null) {
            command.add("-Djava.library.path=" + jni);
        }
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.addAll(jvmOptions);
        command.add(mainClass);
        command.addAll(args);
        return command;
    }
}
