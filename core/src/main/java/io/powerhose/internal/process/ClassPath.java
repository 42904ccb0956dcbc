package io.powerhose.internal.process;

import java.io.File;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSource;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Works out the class path a child JVM needs to load the classes this JVM actually loaded, for set-ups where
 * {@code java.class.path} is not the application's class path ({@code mvn exec:java}, IDEs, test runners and
 * other launchers with class loaders of their own). Entries, in order, without duplicates, as absolute paths:
 * {@code java.class.path}; the {@code file:} URLs of every {@link URLClassLoader} on the chains of the given
 * classes' loaders and of the context class loader (from the root down, as parent-first delegation reads them);
 * the code source of each given class, its superclasses and its interfaces. Entries that do not exist, and
 * URLs that are not files (jars nested in jars), are left out. Safe from any thread.
 */
public final class ClassPath {
    private ClassPath() {
    }

    /**
     * Computes the class path.
     *
     * @param classes the classes the child must load (the job handler, core, jzmq, the slf4j binding)
     * @return the entries, absolute
     */
    public static List<String> of(List<Class<?>> classes) {
        Set<String> entries = new LinkedHashSet<>();
        for (String entry : System.getProperty("java.class.path", "").split(File.pathSeparator)) {
            add(entries, entry.isEmpty() ? null : Path.of(entry));
        }
        List<ClassLoader> loaders = new ArrayList<>();
        for (Class<?> type : classes) {
            loaders.add(type.getClassLoader());
        }
        loaders.add(Thread.currentThread().getContextClassLoader());
        for (ClassLoader loader : loaders) {
            Deque<ClassLoader> chain = new ArrayDeque<>();
            for (ClassLoader l = loader; l != null; l = l.getParent()) {
                chain.push(l);
            }
            for (ClassLoader l : chain) {
                if (l instanceof URLClassLoader urls) {
                    for (URL url : urls.getURLs()) {
                        add(entries, toPath(url));
                    }
                }
            }
        }
        for (Class<?> type : classes) {
            for (Class<?> t : hierarchy(type)) {
                CodeSource source = t.getProtectionDomain().getCodeSource();
                add(entries, source == null ? null : toPath(source.getLocation()));
            }
        }
        return List.copyOf(entries);
    }

    /**
     * Joins entries with the platform's separator.
     *
     * @param entries the entries
     * @return the class path text
     */
    public static String join(List<String> entries) {
        return String.join(File.pathSeparator, entries);
    }

    private static List<Class<?>> hierarchy(Class<?> type) {
        List<Class<?>> all = new ArrayList<>();
        Deque<Class<?>> todo = new ArrayDeque<>(List.of(type));
        while (!todo.isEmpty()) {
            Class<?> t = todo.pop();
            if (t.getClassLoader() == null || all.contains(t)) {
                continue;
            }
            all.add(t);
            if (t.getSuperclass() != null) {
                todo.add(t.getSuperclass());
            }
            todo.addAll(List.of(t.getInterfaces()));
        }
        return all;
    }

    private static Path toPath(URL url) {
        if (url == null || !"file".equals(url.getProtocol())) {
            return null;
        }
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException | IllegalArgumentException e) {
            return null;
        }
    }

    private static void add(Set<String> entries, Path path) {
        if (path != null && Files.exists(path)) {
            entries.add(path.toAbsolutePath().normalize().toString());
        }
    }
}
