package io.powerhose.internal.process;

import io.powerhose.internal.zmq.NativeLibrary;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds the command line of a child JVM that runs one of our main classes: this JVM's {@code java}, the folder
 * of {@code libjzmq.so} on its library path, {@code --enable-native-access=ALL-UNNAMED} (so that JDK 24 and
 * later print no "restricted method" warning for the JNI libraries; every JDK we run on, 17 and later, knows
 * the flag), then the class path, the extra JVM options, the main class and its arguments. Pure.
 */
public final class JavaCommand {
    /** The flag that lets the class path's code load native libraries without a warning. */
    public static final String ENABLE_NATIVE_ACCESS = "--enable-native-access=ALL-UNNAMED";

    private JavaCommand() {
    }

    /**
     * Builds the command with this JVM's {@code java.class.path}.
     *
     * @param mainClass the main class
     * @param jvmOptions extra JVM options (may be empty)
     * @param args the program's arguments
     * @return the command line
     */
    public static List<String> of(String mainClass, List<String> jvmOptions, List<String> args) {
        return of(mainClass, System.getProperty("java.class.path"), jvmOptions, args);
    }

    /**
     * Builds the command.
     *
     * @param mainClass the main class
     * @param classPath the child's class path
     * @param jvmOptions extra JVM options (may be empty); they come after ours, so they may override them
     * @param args the program's arguments
     * @return the command line
     */
    public static List<String> of(String mainClass, String classPath, List<String> jvmOptions, List<String> args) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add(ENABLE_NATIVE_ACCESS);
        String jni = NativeLibrary.jniDirectory();
        if (jni != null) {
            command.add("-Djava.library.path=" + jni);
        }
        command.add("-cp");
        command.add(classPath);
        command.addAll(jvmOptions);
        command.add(mainClass);
        command.addAll(args);
        return command;
    }
}
