/**
 * Building child JVM command lines. Pure.
 */
package io.powerhose.internal.process;
