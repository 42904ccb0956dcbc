#!/usr/bin/env bash
# Fails when the JVM that ran the jni-check tests (-Xcheck:jni) printed a JNI warning or error from
# Powerhose's own native methods (io.powerhose.internal.zmq.Native). The JVM writes them straight to its
# stdout, which surefire keeps in *.dumpstream files; each warning is followed by the Java stack, whose
# first frame is the native method that made the bad call. Warnings from jzmq's own JNI code (libjzmq.so,
# not ours) are counted and listed, not failed on. Checked files move to <reports dir>/checked/, so that
# the next run reads only its own.
#   check-jni-warnings.sh <reports dir>
set -euo pipefail
dir="${1:?usage: check-jni-warnings.sh <reports dir>}"
if [ ! -d "$dir" ]; then
    echo "jni-check: no reports in $dir (no jni-check test ran)"
    exit 0
fi
shopt -s nullglob
files=("$dir"/*.dumpstream "$dir"/*-output.txt)
if [ ${#files[@]} -eq 0 ]; then
    echo "jni-check: no JVM output in $dir to check (no jni-check test ran, or it printed nothing)"
    exit 0
fi
# The text the JVM printed, one line each, from surefire's "Stream '...'" records and plain output files.
text="$(cat "${files[@]}" \
    | sed -n "s/^Corrupted channel by directly writing to native stream in forked JVM [0-9]*\. Stream '\(.*\)'\.\$/\1/p; /^[^#C]/p")"
report="$(printf '%s\n' "$text" | awk '
    /WARNING in native method|FATAL ERROR in native method|WARNING: JNI local refs|JNI (critical|global|weak)/ {
        pending = $0; next
    }
    pending != "" && /^[[:space:]]*at / {
        frame = $0; sub(/^[[:space:]]*at /, "", frame)
        owner = (frame ~ /^io\.powerhose\.internal\.zmq\.Native\./) ? "ours" : "other"
        print owner "\t" pending "\t" frame
        pending = ""
    }
    END { if (pending != "") print "ours\t" pending "\t(no stack)" }' | sort | uniq -c)"
mkdir -p "$dir/checked"
find "$dir" -maxdepth 1 -type f \( -name '*.dumpstream' -o -name '*-output.txt' \) -exec mv -f {} "$dir/checked/" \;
ours="$(printf '%s\n' "$report" | awk -F'\t' '$1 ~ /ours$/' || true)"
other="$(printf '%s\n' "$report" | awk -F'\t' '$1 ~ /other$/' || true)"
if [ -n "$other" ]; then
    echo "jni-check: JNI warnings from other native code (not failed on):"
    printf '%s\n' "$other" | sed 's/^/  /'
fi
if [ -n "$ours" ]; then
    echo "jni-check: FAILED: -Xcheck:jni warnings from Powerhose's native methods:" >&2
    printf '%s\n' "$ours" | sed 's/^/  /' >&2
    exit 1
fi
echo "jni-check: no JNI warning from io.powerhose.internal.zmq.Native (-Xcheck:jni, reports in $dir)"
