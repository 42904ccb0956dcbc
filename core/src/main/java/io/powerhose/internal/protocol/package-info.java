/**
 * The wire protocol of docs/PROTOCOL.md as pure codecs over frames ({@code byte[][]}): no sockets, no state, safe
 * from any thread.
 */
package io.powerhose.internal.protocol;
