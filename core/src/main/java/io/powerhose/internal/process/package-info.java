/**
 * Child processes: their command lines and class paths, the exit codes every command and worker uses, and a
 * bounded join for owner threads. Pure, or safe from any thread.
 */
package io.powerhose.internal.process;
