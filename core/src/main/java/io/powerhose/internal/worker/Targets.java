package io.powerhose.internal.worker;

import io.powerhose.ConfigurationException;
import io.powerhose.Job;
import io.powerhose.JobHandler;

import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Turns a target name into a {@link JobHandler}: {@code com.example.Echo} (a class implementing JobHandler,
 * built with its params constructor or its no-argument one) or {@code com.example.Echo::echo} (a public
 * static method taking a Job, and optionally the params map, returning byte[] or String). Pure.
 */
public final class Targets {
    private Targets() {
    }

    /**
     * Resolves a target.
     *
     * @param target the name
     * @param params the worker's params
     * @return the handler
     * @throws ConfigurationException saying what was not found
     */
    public static JobHandler resolve(String target, Map<String, String> params) {
        int separator = target.indexOf("::");
        Class<?> type = targetClass(target);
        return separator < 0 ? instantiate(target, type, params) : staticMethod(target, type,
            target.substring(separator + 2), params);
    }

    /**
     * Loads the class a target names, through the context class loader.
     *
     * @param target the name
     * @return the class
     * @throws ConfigurationException when it cannot be loaded
     */
    public static Class<?> targetClass(String target) {
        int separator = target.indexOf("::");
        String className = separator < 0 ? target : target.substring(0, separator);
        try {
            return Class.forName(className, true, Thread.currentThread().getContextClassLoader());
        } catch (ClassNotFoundException | LinkageError e) {
            throw new ConfigurationException("target " + target + ": class " + className
                + " not found on the classpath (" + e + ")", e);
        }
    }

    private static JobHandler instantiate(String target, Class<?> type, Map<String, String> params) {
        if (!JobHandler.class.isAssignableFrom(type)) {
            throw new ConfigurationException("target " + target + ": " + type.getName() + " does not implement "
                + JobHandler.class.getName() + " (or name a static method: " + target + "::method)");
        }
        try {
            try {
                Constructor<?> withParams = type.getConstructor(Map.class);
                return (JobHandler) withParams.newInstance(params);
            } catch (NoSuchMethodException e) {
                return (JobHandler) type.getConstructor().newInstance();
            }
        } catch (NoSuchMethodException e) {
            throw new ConfigurationException("target " + target + ": " + type.getName()
                + " needs a public constructor taking Map<String, String> or none", e);
        } catch (InvocationTargetException e) {
            throw new ConfigurationException("target " + target + ": its constructor failed: " + e.getCause(),
                e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new ConfigurationException("target " + target + ": cannot create it: " + e, e);
        }
    }

    private static JobHandler staticMethod(String target, Class<?> type, String name, Map<String, String> params) {
        Method method = null;
        boolean takesParams = false;
        for (Method candidate : type.getMethods()) {
            if (!candidate.getName().equals(name) || !Modifier.isStatic(candidate.getModifiers())) {
                continue;
            }
            Class<?>[] types = candidate.getParameterTypes();
            Class<?> result = candidate.getReturnType();
            boolean returnsOk = result == byte[].class || result == String.class;
            if (returnsOk && types.length == 1 && types[0] == Job.class) {
                method = candidate;
            } else if (returnsOk && types.length == 2 && types[0] == Job.class && types[1] == Map.class) {
                method = candidate;
                takesParams = true;
            }
        }
        if (method == null) {
            throw new ConfigurationException("target " + target + ": no public static method " + name + "(Job) or "
                + name + "(Job, Map<String, String>) returning byte[] or String in " + type.getName());
        }
        Method chosen = method;
        boolean withParams = takesParams;
        return job -> {
            Object result;
            try {
                result = withParams ? chosen.invoke(null, job, params) : chosen.invoke(null, job);
            } catch (InvocationTargetException e) {
                if (e.getCause() instanceof Exception cause) {
                    throw cause;
                }
                if (e.getCause() instanceof Error error) {
                    throw error;
                }
                throw e;
            }
            if (result == null) {
                return new byte[0];
            }
            return result instanceof String text ? text.getBytes(StandardCharsets.UTF_8) : (byte[]) result;
        };
    }
}
