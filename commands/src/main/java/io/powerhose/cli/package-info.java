/**
 * The commands: {@code powerhose}, {@code powerhose-broker}, {@code powerhose-worker}, {@code powerhose-client}
 * (picocli). Each parses its arguments into the library's options and runs on the main thread.
 */
package io.powerhose.cli;
