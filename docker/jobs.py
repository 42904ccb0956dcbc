#!/usr/bin/python3
"""Sends jobs to a Powerhose broker and checks the answers; used by docker/test.sh.

    jobs.py FRONTEND COUNT CONCURRENCY [--prefix-by-host] [--legacy]

Each job's data is "job-<n>". With --prefix-by-host the target must answer "<host> job-<n>" (the
example.Hostname job class of docker/example/); the script prints how many jobs each host ran.
Without it the answer must be the data itself (io.powerhose.examples.Echo).

v1 (default): DEALER socket, up to CONCURRENCY requests in flight, frames
  [PHC1][0x02][request id][timeout ms][NONE:::data] -> [PHC1][0x03][request id][status][pid][payload]
--legacy: one 0.x REQ socket per job in flight, "NONE:::data" -> "<pid>:OK:<result>".
Exit 0 when every job got the right answer, 1 otherwise. Needs python3-zmq (Debian).
"""
import sys
import time

import zmq

TIMEOUT_MS = 10000


def check(n, status, payload, by_host, hosts, failures):
    want = b"job-%d" % n
    if status != b"OK":
        failures.append("job %d: %s %r" % (n, status.decode(errors="replace"), payload[:200]))
        return
    if by_host:
        host, sep, data = payload.partition(b" ")
        if not sep or data != want:
            failures.append("job %d: unexpected answer %r" % (n, payload[:200]))
            return
        hosts[host.decode(errors="replace")] = hosts.get(host.decode(errors="replace"), 0) + 1
    elif payload != want:
        failures.append("job %d: unexpected answer %r" % (n, payload[:200]))


def run_v1(ctx, frontend, count, concurrency, by_host, hosts, failures):
    sock = ctx.socket(zmq.DEALER)
    sock.setsockopt(zmq.LINGER, 0)
    sock.connect(frontend)
    sent, pending = 0, {}
    deadline = time.monotonic() + 60 + count * 0.05
    while (sent < count or pending) and time.monotonic() < deadline:
        while sent < count and len(pending) < concurrency:
            rid = b"%d" % sent
            sock.send_multipart([b"PHC1", b"\x02", rid, b"%d" % TIMEOUT_MS, b"NONE:::job-%d" % sent])
            pending[rid] = (sent, time.monotonic())
            sent += 1
        if not sock.poll(1000):
            continue
        frames = sock.recv_multipart()
        if len(frames) != 6 or frames[0] != b"PHC1" or frames[1] != b"\x03":
            failures.append("unexpected reply frames %r" % frames[:6])
            continue
        job = pending.pop(frames[2], None)
        if job is None:
            failures.append("reply for unknown request id %r" % frames[2])
            continue
        check(job[0], frames[3], frames[5], by_host, hosts, failures)
    if pending:
        failures.append("%d job(s) got no answer" % len(pending))
    sock.close()


def run_legacy(ctx, frontend, count, concurrency, by_host, hosts, failures):
    socks = []
    for _ in range(concurrency):
        s = ctx.socket(zmq.REQ)
        s.setsockopt(zmq.LINGER, 0)
        s.connect(frontend)
        socks.append(s)
    poller = zmq.Poller()
    busy, sent = {}, 0
    for s in socks:
        poller.register(s, zmq.POLLIN)
    deadline = time.monotonic() + 60 + count * 0.05
    while (sent < count or busy) and time.monotonic() < deadline:
        for s in socks:
            if s not in busy and sent < count:
                s.send(b"NONE:::job-%d" % sent)
                busy[s] = sent
                sent += 1
        for s, _ in poller.poll(1000):
            reply = s.recv()
            pid, _, rest = reply.partition(b":")
            status, _, payload = rest.partition(b":")
            check(busy.pop(s), status, payload, by_host, hosts, failures)
    if busy:
        failures.append("%d job(s) got no answer" % len(busy))
    for s in socks:
        s.close()


def main(argv):
    args = [a for a in argv if not a.startswith("--")]
    if len(args) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    frontend, count, concurrency = args[0], int(args[1]), int(args[2])
    by_host, legacy = "--prefix-by-host" in argv, "--legacy" in argv
    ctx = zmq.Context()
    hosts, failures = {}, []
    start = time.monotonic()
    (run_legacy if legacy else run_v1)(ctx, frontend, count, concurrency, by_host, hosts, failures)
    seconds = time.monotonic() - start
    ctx.term()
    print("jobs=%d concurrency=%d seconds=%.2f failures=%d%s" % (
        count, concurrency, seconds, len(failures),
        "".join(" host.%s=%d" % kv for kv in sorted(hosts.items()))))
    for f in failures[:10]:
        print("  " + f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
