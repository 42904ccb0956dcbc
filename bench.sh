#!/usr/bin/env bash
# Does offloading pay off? Runs the same jobs on in-process threads and through Powerhose (a broker and
# worker processes), the echo round trips and the libzmq floor, then prints a table per job cost with a
# verdict and writes the raw JMH JSON and an SVG chart into results/<timestamp>/.
#   ./bench.sh                                   quick run (about 3 minutes on 2 cores)
#   ./bench.sh --cost 1ms,20ms --threads 4 --workers 5 [--full]
#   POWERHOSE_CLASSPATH=my.jar ./bench.sh --target com.example.MyJob [--data TEXT]
#   ./bench.sh --help
# Builds what is missing first (Debian packages via bin/ensure-deps, native/ with make, the jars with Maven).
set -euo pipefail
root="$(cd "$(dirname "$0")" && pwd)"
jar="$root/jmh/target/benchmarks.jar"

"$root/bin/ensure-deps" --build
if [ ! -x "$root/native/build/zmq-floor" ] || [ ! -x "$root/native/build/powerhose-worker-echo" ] \
    || [ -n "$(find "$root/native/src" "$root/native/tools" "$root/native/examples" "$root/native/include" \
        -newer "$root/native/build/zmq-floor" -print -quit 2>/dev/null)" ]; then
    echo "bench: building native/ (make)..." >&2
    make -s -C "$root/native" >&2
fi
if [ ! -f "$jar" ] || [ -n "$(find "$root/core/src/main" "$root/commands/src/main" "$root/jmh/src/main" \
        "$root/native/src" "$root/pom.xml" "$root/core/pom.xml" "$root/commands/pom.xml" "$root/jmh/pom.xml" \
        -newer "$jar" -print -quit)" ]
then
    echo "bench: building the jars (mvn package)..." >&2
    (cd "$root" && mvn -B -q -DskipTests -Dmaven.javadoc.skip -Dmaven.source.skip package -pl jmh -am >&2)
fi

cp="$jar"
if [ -n "${POWERHOSE_CLASSPATH:-}" ]; then
    cp="$jar:$POWERHOSE_CLASSPATH"
fi
jni="$("$root/bin/jni-dir")" || { echo "bench: libjzmq.so not found (install Debian's libzmq-jni)" >&2; exit 3; }
# JMH's forks get the same flags (Bench passes them on); JDK 17 and later know --enable-native-access.
exec "${JAVA_HOME:+$JAVA_HOME/bin/}java" --enable-native-access=ALL-UNNAMED ${POWERHOSE_JAVA_OPTS:-} \
    -Djava.library.path="$jni" -Dpowerhose.root="$root" -cp "$cp" io.powerhose.jmh.Bench "$@"
