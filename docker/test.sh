#!/usr/bin/env bash
# Builds the Powerhose image and smoke-tests it, on a Debian 12 machine with no Docker engine
# (run as root; needs only the Debian mirror and Maven Central). See docker/README.md.
#
#   docker/test.sh              base image (once) + build + smoke tests; exit 0 only when all pass
#
# Steps:
#   1. apt-get install debootstrap buildah podman runc python3-zmq when missing;
#   2. docker.io/library/debian:bookworm-slim made locally with debootstrap (skipped when present);
#   3. podman build -f docker/Dockerfile (the host's ~/.m2 is overlay-mounted: no downloads, and
#      the host's repository is not written);
#   4. smoke tests: (1) the default container (cluster + Echo) from the host and from a second
#      container, its /metrics and status page on the published port 9100, HEALTHCHECK, the C worker
#      binaries; (2) a broker container and two worker
#      containers on a user-defined network, with a job class of "your own" mounted as a jar,
#      1,000 jobs, both workers must answer some; (3) every container, the network and the
#      temporary files are removed by id.
#
# Environment:
#   POWERHOSE_IMAGE   tag to build and test (default localhost/powerhose:test)
#   DEBIAN_MIRROR     mirror for debootstrap (default: the one in apt's own sources)
#   REBUILD_BASE=1    rebuild the base image even when it exists
#   KEEP_IMAGE=0      remove the built image at the end (default: keep it, later builds are cached)
set -uo pipefail

root="$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)"
image="${POWERHOSE_IMAGE:-localhost/powerhose:test}"
base="docker.io/library/debian:bookworm-slim"
run_id="phtest-$$"
work="$(mktemp -d /tmp/powerhose-docker-test.XXXXXX)"
# Plain `podman run` fails here: crun's cgroup check, and raising rlimits above the defaults.
RUN=(podman run --runtime runc --ulimit nofile=20000:20000 --ulimit nproc=32768:32768)

containers=()
network=""
passed=()
failed=()
t0=$SECONDS

log() { printf '\n=== [%4ds] %s\n' "$((SECONDS - t0))" "$*"; }
pass() { passed+=("$1"); printf 'PASS: %s\n' "$1"; }
fail() { failed+=("$1"); printf 'FAIL: %s\n' "$1"; }
die() { printf 'FAIL: %s\n' "$1"; failed+=("$1"); summary; exit 1; }

cleanup() {
    local i
    # Newest first: workers stop before their broker (a worker whose broker is gone stops slowly).
    for ((i = ${#containers[@]} - 1; i >= 0; i--)); do
        podman rm -f -t 5 "${containers[i]}" >/dev/null 2>&1 || true
    done
    containers=()
    [ -n "$network" ] && podman network rm "$network" >/dev/null 2>&1 || true
    network=""
    rm -rf "$work"
}
trap cleanup EXIT

summary() {
    local s
    echo
    echo "=================== docker/test.sh summary ($((SECONDS - t0)) s) ==================="
    for s in "${passed[@]}"; do echo "PASS  $s"; done
    for s in "${failed[@]}"; do echo "FAIL  $s"; done
    if [ ${#failed[@]} -eq 0 ]; then
        echo "RESULT: PASS (${#passed[@]} checks)"
    else
        echo "RESULT: FAIL (${#failed[@]} of $((${#passed[@]} + ${#failed[@]})) checks failed)"
    fi
}

# start VAR ARGS...: starts a detached container, sets VAR to its id and remembers the id for
# cleanup (through --cidfile, so a container that was created but failed to start is removed too).
start() {
    local var="$1" cidfile="$work/cid.$RANDOM$RANDOM" rc
    shift
    "${RUN[@]}" -d --cidfile "$cidfile" "$@" >/dev/null 2>"$work/start.err"; rc=$?
    [ -s "$cidfile" ] && containers+=("$(cat "$cidfile")")
    printf -v "$var" '%s' "$(cat "$cidfile" 2>/dev/null)"
    [ $rc -eq 0 ] || { grep -v -e syslog -e systemd "$work/start.err" >&2; return 1; }
}

# Runs a command in a throwaway container (removed at exit; podman's systemd-healthcheck noise dropped).
once() {
    "${RUN[@]}" --rm --no-healthcheck "$@" 2> >(grep -v -e 'failed to connect to syslog' -e 'systemd' >&2)
}

# Waits until `powerhose-broker --check` against $2 succeeds from inside container $1.
wait_broker() {
    local cid="$1" frontend="$2" i
    for i in $(seq 1 60); do
        podman exec "$cid" powerhose-broker --frontend "$frontend" --check >/dev/null 2>&1 && return 0
        sleep 1
    done
    return 1
}

# Waits until the broker in container $1 has logged $2 worker registrations.
wait_workers() {
    local cid="$1" want="$2" i
    for i in $(seq 1 60); do
        [ "$(podman logs "$cid" 2>&1 | grep -c ' registered ')" -ge "$want" ] && return 0
        sleep 1
    done
    return 1
}

host_port() { podman port "$1" "$2/tcp" | head -1 | sed 's/.*://'; }

# check_metrics PORT MIN_OK WORKERS: /metrics on 127.0.0.1:PORT shows at least MIN_OK jobs answered ok and
# exactly WORKERS active workers (the counters come from the snapshot the broker publishes each second:
# retried for 10 s), and / and /status.json answer. Prints what it read.
check_metrics() {
    /usr/bin/python3 - "$@" <<'PY'
import json, re, sys, time, urllib.request
port, min_ok, workers = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
base = "http://127.0.0.1:%s" % port
def value(text, name, labels=""):
    m = re.search(r"^%s(?:\{%s,?\})? ([0-9.eE+-]+)$" % (re.escape(name), re.escape(labels)), text, re.M)
    return float(m.group(1)) if m else None
deadline = time.time() + 10
while True:
    text = urllib.request.urlopen(base + "/metrics", timeout=5).read().decode()
    ok = value(text, "powerhose_broker_jobs_answered_total", 'outcome="ok"')
    active = value(text, "powerhose_broker_workers_active")
    if (ok is not None and ok >= min_ok and active == workers) or time.time() > deadline:
        break
    time.sleep(0.5)
print("/metrics: jobs answered ok=%s, workers active=%s, jvm_threads_live_threads=%s, %d lines"
      % (ok, active, value(text, "jvm_threads_live_threads"), text.count("\n")))
page = urllib.request.urlopen(base + "/", timeout=5).read().decode()
status = json.loads(urllib.request.urlopen(base + "/status.json", timeout=5).read().decode())
print("/: %d bytes; /status.json: %d workers, queued %s" % (len(page), len(status["workers"]), status["queued"]))
sys.exit(0 if ok is not None and ok >= min_ok and active == workers and "Powerhose" in page
         and len(status["workers"]) == workers else 1)
PY
}

# ------------------------------------------------------------------------------------------------
log "1. tools (debootstrap buildah podman runc python3-zmq)"
[ "$(id -u)" -eq 0 ] || die "run as root (debootstrap and podman import need it)"
missing=()
for p in debootstrap buildah podman runc python3-zmq; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null && apt-get install -y -q "${missing[@]}" >/dev/null \
        || die "apt-get install ${missing[*]}"
fi
podman --version

# ------------------------------------------------------------------------------------------------
# The Debian mirror apt already uses (deb822 .sources first, then one-line .list files).
apt_mirror() {
    local f
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        awk 'BEGIN { RS = ""; FS = "\n" }
             { uri = ""; suite = 0; deb = 0
               for (i = 1; i <= NF; i++) {
                   if ($i ~ /^URIs:/) { split($i, a, /[ \t]+/); uri = a[2] }
                   if ($i ~ /^Suites:/ && $i ~ /[ \t]bookworm([ \t]|$)/) suite = 1
                   if ($i ~ /^Types:/ && $i ~ /[ \t]deb([ \t]|$)/) deb = 1 }
               if (uri != "" && suite && deb) { print uri; exit } }' "$f"
    done
    cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
        | awk '$1 == "deb" { i = 2; if ($2 ~ /^\[/) while ($i !~ /\]$/) i++; if ($2 ~ /^\[/) i++;
                             if ($(i + 1) == "bookworm") print $i }'
}
apt_security() {
    grep -h -o -E 'https?://[^ ]*debian-security/?' /etc/apt/sources.list.d/*.sources \
        /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | head -1
}

log "2. base image $base"
if podman image exists "$base" && [ "${REBUILD_BASE:-0}" != 1 ]; then
    echo "exists, kept (REBUILD_BASE=1 to make it again)"
    pass "base image $base (cached)"
else
    mirror="${DEBIAN_MIRROR:-$(apt_mirror | head -1)}"
    mirror="${mirror:-http://deb.debian.org/debian}"
    security="$(apt_security)"
    echo "debootstrap --variant=minbase bookworm from $mirror"
    rootfs="$work/rootfs"
    if ! debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1; then
        tail -20 "$work/debootstrap.log"
        die "debootstrap"
    fi
    # Trim like the official slim image: no man pages, docs (copyright kept), info, locales, apt lists.
    rm -rf "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* "$rootfs"/usr/share/locale/* \
        "$rootfs"/usr/share/groff/* "$rootfs"/usr/share/lintian/* "$rootfs"/var/lib/apt/lists/* \
        "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/log/apt/* \
        "$rootfs"/var/log/*.log "$rootfs"/var/cache/debconf/*-old "$rootfs"/var/lib/dpkg/*-old
    find "$rootfs/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
    find "$rootfs/usr/share/doc" -mindepth 1 -type d -empty -delete
    : >"$rootfs/etc/machine-id"
    # Keep packages installed later in the image slim too, and apt's caches empty.
    cat >"$rootfs/etc/dpkg/dpkg.cfg.d/slim" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/locale/*
EOF
    cat >"$rootfs/etc/apt/apt.conf.d/docker-slim" <<'EOF'
APT::Install-Suggests "false";
Acquire::Languages "none";
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb || true"; };
EOF
    rm -f "$rootfs/etc/apt/sources.list"
    {
        printf 'Types: deb\nURIs: %s\nSuites: bookworm bookworm-updates\nComponents: main\n' "$mirror"
        printf 'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n'
        if [ -n "$security" ]; then
            printf '\nTypes: deb\nURIs: %s\nSuites: bookworm-security\nComponents: main\n' "$security"
            printf 'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n'
        fi
    } >"$rootfs/etc/apt/sources.list.d/debian.sources"
    tar -C "$rootfs" -c . | podman import --change 'CMD ["bash"]' - "$base" >/dev/null \
        || die "podman import $base"
    rm -rf "$rootfs"
    pass "base image $base made with debootstrap ($((SECONDS - t0)) s)"
fi

# ------------------------------------------------------------------------------------------------
log "3. podman build -f docker/Dockerfile -t $image"
build_args=(--pull=never --format docker --layers --jobs 2 -f "$root/docker/Dockerfile"
    --ignorefile "$root/docker/Dockerfile.dockerignore")
mkdir -p "$HOME/.m2"
# :O = overlay: the build sees the host's Maven repository, its writes are thrown away.
build_args+=(-v "$HOME/.m2:/root/.m2:O")
tb=$SECONDS
if podman build "${build_args[@]}" -t "$image" "$root" >"$work/build.log" 2>&1; then
    pass "image built ($((SECONDS - tb)) s, $(podman image inspect --format '{{.Size}}' "$image" | awk '{printf "%d MB", $1 / 1e6}'))"
else
    tail -40 "$work/build.log"
    die "podman build (log above)"
fi
[ -n "${BUILD_LOG:-}" ] && cp "$work/build.log" "$BUILD_LOG"
# The build stage, tagged, for compiling the example job class (cached layers: no rebuild).
podman build "${build_args[@]}" --target build -t "$image-build" "$root" >"$work/build-stage.log" 2>&1 \
    || { tail -20 "$work/build-stage.log"; die "podman build --target build"; }

# ------------------------------------------------------------------------------------------------
log "4. image contents"
if once "$image" sh -c 'set -e
    test "$(id -u)" != 0
    for c in powerhose powerhose-broker powerhose-worker powerhose-client powerhose-status; do command -v "$c"; done
    ls /opt/powerhose/lib/powerhose-commands-*.jar /opt/powerhose/lib/powerhose-core-*.jar /opt/powerhose/lib/jzmq-*.jar
    test -e "$(jni-dir)/libjzmq.so"
    ls /opt/powerhose/native/powerhose-worker-echo
    for c in powerhose powerhose-broker powerhose-worker powerhose-client powerhose-status; do
        "$c" --help >/dev/null
    done
    test "$(powerhose-client --version 2>&1)" = "powerhose-client $(ls /opt/powerhose/lib/powerhose-core-*.jar \
        | sed "s|.*/powerhose-core-||; s|\.jar$||")"'
then pass "layout: non-root user, commands on PATH with --help and --version (no JDK warning), jars, libjzmq.so, C workers"
else fail "layout: non-root user, commands on PATH with --help and --version (no JDK warning), jars, libjzmq.so, C workers"
fi
[ "$(podman image inspect --format '{{.Config.Healthcheck}}' "$image")" != "<nil>" ] \
    && pass "HEALTHCHECK present in the image" || fail "HEALTHCHECK present in the image"

# ------------------------------------------------------------------------------------------------
log "5. test (1): default container (powerhose cluster + io.powerhose.examples.Echo)"
if start c1 --name "$run_id-default" -p 127.0.0.1::5555 -p 127.0.0.1::9100 "$image" \
        && wait_broker "$c1" tcp://127.0.0.1:5555; then
    pass "default container up: broker answers --check"
    wait_workers "$c1" 5 && pass "default container: 5 workers registered" \
        || fail "default container: 5 workers registered"
    port="$(host_port "$c1" 5555)"
    echo "frontend published on 127.0.0.1:$port"
    out="$(podman exec "$c1" powerhose-client --frontend tcp://127.0.0.1:5555 'hello docker' 2>&1)"
    [ "$out" = "hello docker" ] && pass "powerhose-client in the container: 'hello docker' echoed" \
        || fail "powerhose-client in the container: got '$out'"
    out="$(once --network host "$image" powerhose-client --frontend "tcp://127.0.0.1:$port" --ping)"
    [ -n "$out" ] && pass "powerhose-client --ping from a second container via 127.0.0.1:$port (broker pid $out)" \
        || fail "powerhose-client --ping from a second container via 127.0.0.1:$port"
    if /usr/bin/python3 "$root/docker/jobs.py" "tcp://127.0.0.1:$port" 200 4; then
        pass "host: 200 v1 jobs through 127.0.0.1:$port, right answers"
    else fail "host: 200 v1 jobs through 127.0.0.1:$port"; fi
    if /usr/bin/python3 "$root/docker/jobs.py" "tcp://127.0.0.1:$port" 100 4 --legacy; then
        pass "host: 100 0.x REQ jobs (NONE:::data -> pid:OK:data), right answers"
    else fail "host: 100 0.x REQ jobs"; fi
    out="$(once --network host "$image" powerhose-client --frontend "tcp://127.0.0.1:$port" --count 1000 --concurrency 4 2>&1)"
    echo "$out"
    echo "$out" | grep -q 'jobs=1000 .*errors=0' && pass "powerhose-client --count 1000 from a second container" \
        || fail "powerhose-client --count 1000 from a second container"
    # 1 + 200 + 100 + 1000 jobs above; --ping is not a job.
    mport="$(host_port "$c1" 9100)"
    check_metrics "$mport" 1301 5 \
        && pass "/metrics, / and /status.json on 127.0.0.1:$mport (EXPOSE 9100): 1,301 jobs ok, 5 workers active" \
        || fail "/metrics, / and /status.json on the published port 9100"
    podman healthcheck run "$c1" >/dev/null 2>&1 && pass "HEALTHCHECK (podman healthcheck run) healthy" \
        || fail "HEALTHCHECK (podman healthcheck run)"
    # The C worker binaries: a C echo worker joins the cluster's broker.
    podman exec -d "$c1" powerhose-worker-echo --backend tcp://127.0.0.1:5556 --heartbeat tcp://127.0.0.1:5557 \
        >/dev/null 2>&1
    if wait_workers "$c1" 6 && podman logs "$c1" 2>&1 | grep -q 'registered .*, c@'; then
        pass "C worker binary (powerhose-worker-echo) registered with the broker"
    else fail "C worker binary (powerhose-worker-echo) registered with the broker"; fi
    out="$(podman exec "$c1" powerhose-status --frontend tcp://127.0.0.1:5555 2>&1)"
    echo "$out"
    if [ "$(echo "$out" | grep -c -E '^[0-9]+ +[^ ]+ +java +1 ')" -eq 5 ] \
        && echo "$out" | grep -q -E '^[0-9]+ +[^ ]+ +c +1 ' \
        && podman exec "$c1" powerhose-status --frontend tcp://127.0.0.1:5555 --json | grep -q '"language":"c"'; then
        pass "powerhose-status: 5 Java workers and 1 C worker, as a table and as JSON"
    else fail "powerhose-status: 5 Java workers and 1 C worker, as a table and as JSON"; fi
    tstop=$SECONDS
    podman stop -t 20 "$c1" >/dev/null 2>&1
    code="$(podman inspect --format '{{.State.ExitCode}}' "$c1")"
    echo "stopped in $((SECONDS - tstop)) s, exit code $code"
    [ $((SECONDS - tstop)) -lt 15 ] && pass "default container stops on SIGTERM ($((SECONDS - tstop)) s, exit $code)" \
        || fail "default container stops on SIGTERM (took $((SECONDS - tstop)) s)"
else
    podman logs "$c1" 2>&1 | tail -30
    fail "default container up: broker answers --check"
fi

# ------------------------------------------------------------------------------------------------
log "6. test (2): broker + 2 worker containers on a user-defined network, your own job class"
# A job class of "your own": compiled against the image's jars, mounted into /opt/powerhose/lib/.
mkdir -p "$work/example"
cp "$root/docker/example/Hostname.java" "$work/example/"
if once -v "$work/example:/example" "$image-build" sh -c 'cd /example &&
        javac --release 17 -cp "/src/commands/target/lib/*" -d classes Hostname.java &&
        jar cf hostname-job.jar -C classes . && chmod 644 hostname-job.jar'; then
    pass "example job class compiled into a jar (docker/example/Hostname.java)"
else
    fail "example job class compiled into a jar"
fi
network="$run_id-net"
podman network create "$network" >/dev/null || die "podman network create $network"
mount=(-v "$work/example/hostname-job.jar:/opt/powerhose/lib/hostname-job.jar:ro")
worker_args=(example.Hostname --backend tcp://broker:5556 --heartbeat tcp://broker:5557)
if start b --no-healthcheck --network "$network" --network-alias broker --name "$run_id-broker" \
        -p 127.0.0.1::5555 "$image" \
        powerhose-broker --frontend tcp://0.0.0.0:5555 --backend tcp://0.0.0.0:5556 --heartbeat tcp://0.0.0.0:5557 \
   && start w1 --no-healthcheck --network "$network" --hostname worker-a --name "$run_id-worker-a" \
        "${mount[@]}" "$image" powerhose-worker "${worker_args[@]}" \
   && start w2 --no-healthcheck --network "$network" --hostname worker-b --name "$run_id-worker-b" \
        "${mount[@]}" "$image" powerhose-worker "${worker_args[@]}" \
   && wait_broker "$b" tcp://127.0.0.1:5555 && wait_workers "$b" 2; then
    pass "broker + 2 workers up, workers reach the broker by name (tcp://broker:5556)"
    port="$(host_port "$b" 5555)"
    out="$(/usr/bin/python3 "$root/docker/jobs.py" "tcp://127.0.0.1:$port" 1000 8 --prefix-by-host)"; rc=$?
    echo "$out"
    [ $rc -eq 0 ] && pass "1,000 jobs, concurrency 8, every answer right" || fail "1,000 jobs, concurrency 8, every answer right"
    a="$(echo "$out" | sed -n 's/.*host\.worker-a=\([0-9]*\).*/\1/p' | head -1)"
    bb="$(echo "$out" | sed -n 's/.*host\.worker-b=\([0-9]*\).*/\1/p' | head -1)"
    if [ "${a:-0}" -gt 0 ] && [ "${bb:-0}" -gt 0 ]; then
        pass "both workers answered (worker-a ${a}, worker-b ${bb})"
    else fail "both workers answered (worker-a ${a:-0}, worker-b ${bb:-0})"; fi
    secs="$(echo "$out" | sed -n 's/.*seconds=\([0-9.]*\).*/\1/p' | head -1)"
    # Two containers' workers both have pid 1; the broker must still dispatch without stalls.
    awk -v s="${secs:-999}" 'BEGIN { exit !(s < 20) }' && pass "1,000 jobs took ${secs} s (< 20 s, no stalls)" \
        || fail "1,000 jobs took ${secs:-?} s (>= 20 s: jobs stall with two workers that both have pid 1)"
    out="$(once --network "$network" "$image" powerhose-client --frontend tcp://broker:5555 'by name' 2>&1)"
    echo "$out" | grep -q -E '^worker-[ab] by name$' \
        && pass "powerhose-client in a third container on the network: '$out'" \
        || fail "powerhose-client in a third container on the network: got '$out'"
else
    for c in "${containers[@]}"; do podman logs "$c" 2>&1 | tail -10; done
    fail "broker + 2 workers up on a user-defined network"
fi

# ------------------------------------------------------------------------------------------------
log "7. test (3): stop and remove everything by id"
ids=("${containers[@]}")
cleanup_ok=1
for ((i = ${#ids[@]} - 1; i >= 0; i--)); do
    echo "podman rm -f ${ids[i]:0:12}"
    podman rm -f -t 10 "${ids[i]}" >/dev/null 2>&1 || cleanup_ok=0
    podman container exists "${ids[i]}" && cleanup_ok=0
done
containers=()
podman network rm "$network" >/dev/null 2>&1 || cleanup_ok=0
network=""
[ "${KEEP_IMAGE:-1}" = 0 ] && podman rmi "$image" "$image-build" >/dev/null 2>&1
[ $cleanup_ok = 1 ] && pass "${#ids[@]} containers and the network removed" || fail "containers/network removal"

summary
[ ${#failed[@]} -eq 0 ]
