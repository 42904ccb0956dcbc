#!/usr/bin/env python3
"""Where the CPU goes per job: runs a cluster (bin/powerhose, 2 workers) and a fixed load
(bin/powerhose-client --count N --concurrency C), samples /proc/<pid>/task/<tid>/stat of every
process and thread involved, and prints CPU microseconds per job for each thread. Processes are
started here and ended by their pid.

  jmh/tools/cpu-per-job.py [--worker java|c] [--count 20000] [--concurrency 128] [--size 64]
                           [--target io.powerhose.examples.Sign --params rounds:4677]
"""
import argparse, os, signal, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TICK_US = 1e6 / os.sysconf("SC_CLK_TCK")


def threads(pid):
    """{(pid, tid, name): cpu ticks} for every thread of pid."""
    out = {}
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{tid}/stat") as f:
                    s = f.read()
            except OSError:
                continue
            name = s[s.index("(") + 1:s.rindex(")")]
            fields = s[s.rindex(")") + 2:].split()
            out[(pid, int(tid), name)] = int(fields[11]) + int(fields[12])
    except OSError:
        pass
    return out


def children(pid):
    """Child processes of any thread of pid (the cluster's supervisor thread starts the workers)."""
    kids = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{tid}/children") as f:
                    kids += [int(x) for x in f.read().split()]
            except OSError:
                pass
    except OSError:
        pass
    return kids


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--worker", default="c", choices=["java", "c"])
    ap.add_argument("--count", type=int, default=20000)
    ap.add_argument("--concurrency", type=int, default=128)
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--target", default="io.powerhose.examples.Echo", help="the Java workers' target")
    ap.add_argument("--params", default=None, help="the workers' params, e.g. rounds:4677 for Sign")
    a = ap.parse_args()
    d = tempfile.mkdtemp(prefix="powerhose-cpu-")
    eps = [f"--frontend=ipc://{d}/front", f"--backend=ipc://{d}/back", f"--heartbeat=ipc://{d}/beat"]
    target = ["--worker-command", f"{ROOT}/native/build/powerhose-worker-echo"] if a.worker == "c" else []
    sup = subprocess.Popen([f"{ROOT}/bin/powerhose", "--numprocesses", "2", "--logfile", f"{d}/log", *eps,
                            *target, *(["--params", a.params] if a.params else []), a.target], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 60
        while len(children(sup.pid)) < 2 or subprocess.call([f"{ROOT}/bin/powerhose-client", eps[0], "--ping"],
                                                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) != 0:
            if time.time() > deadline:
                sys.exit("cluster did not start")
            time.sleep(0.5)
        time.sleep(2)  # let the workers register
        client = subprocess.Popen([f"{ROOT}/bin/powerhose-client", eps[0], f"--count={a.count}",
                                   f"--concurrency={a.concurrency}", f"--size={a.size}"], stdout=subprocess.PIPE, text=True)
        pids = {"broker JVM": [sup.pid], "workers": children(sup.pid), "client JVM": [client.pid]}
        before = {}
        for ps in pids.values():
            for p in ps:
                before.update(threads(p))
        last = dict(before)
        while client.poll() is None:
            for ps in pids.values():
                for p in ps:
                    last.update(threads(p))
            time.sleep(0.05)
        summary = client.stdout.read().strip()
        after = dict(last)
        for ps in pids.values():
            for p in ps:
                after.update(threads(p))
        print(summary)
        print(f"CPU per job (µs), {a.count} jobs, {a.concurrency} in flight, {a.size} B, {a.worker} workers:")
        for role, ps in pids.items():
            total = 0
            rows = []
            for key, ticks in after.items():
                if key[0] in ps:
                    used = (ticks - before.get(key, 0)) * TICK_US / a.count
                    total += used
                    if used >= 0.5:
                        rows.append((used, key[2]))
            note = " (includes the client JVM's start-up and JIT)" if role == "client JVM" else ""
            print(f"  {role:11s} {total:8.1f}{note}")
            for used, name in sorted(rows, reverse=True)[:6]:
                print(f"      {name:18s} {used:8.1f}")
    finally:
        sup.send_signal(signal.SIGTERM)
        try:
            sup.wait(30)
        except subprocess.TimeoutExpired:
            sup.kill()


if __name__ == "__main__":
    main()
