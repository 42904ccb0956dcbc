/**
 * The cluster supervisor: its {@code powerhose-cluster} thread owns the worker process table; other threads post
 * commands to it.
 */
package io.powerhose.internal.cluster;
