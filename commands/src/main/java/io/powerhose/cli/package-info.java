/**
 * The commands: {@code powerhose}, {@code powerhose-broker}, {@code powerhose-worker}, {@code powerhose-client},
 * {@code powerhose-status} (picocli, logback, HdrHistogram). Each parses its arguments into the library's options
 * and runs on the main thread; exit codes as {@link io.powerhose.internal.process.ExitCodes} and
 * docs/OPERATIONS.md. {@link io.powerhose.cli.CommandLogging} gives the worker processes of a cluster the
 * commands' logging when this jar is on their class path.
 */
package io.powerhose.cli;
