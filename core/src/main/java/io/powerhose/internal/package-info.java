/**
 * What the internal packages share and that belongs to none of their roles: the text of durations, endpoint
 * checks, the version. Pure.
 */
package io.powerhose.internal;
