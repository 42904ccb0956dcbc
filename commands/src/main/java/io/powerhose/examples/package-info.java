/**
 * Example job handlers ({@code Echo}, {@code Square}, {@code Sign}) and the demo behind {@code bin/demo}.
 */
package io.powerhose.examples;
