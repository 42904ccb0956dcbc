#!/usr/bin/python3
"""A Powerhose 0.x-style client: one REQ socket, "NONE:::<data>" in, "<pid>:OK:<result>" out.

    /usr/bin/python3 examples/python/legacy_client.py --frontend ipc:///tmp/f.ipc hello world

Prints each result on its own line; exits 1 on the first ERROR or timeout.
"""
import argparse
import sys

import zmq


def call(sock, data, timeout_s):
    sock.send(b"NONE:::" + data)
    if not sock.poll(int(timeout_s * 1000)):
        raise TimeoutError("no answer within %gs" % timeout_s)
    pid, status, result = sock.recv().split(b":", 2)
    return pid, status, result


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data", nargs="+")
    ap.add_argument("--frontend", default="ipc:///tmp/powerhose-front.ipc")
    ap.add_argument("--timeout", type=float, default=10.0)
    args = ap.parse_args()
    ctx = zmq.Context()
    sock = ctx.socket(zmq.REQ)
    sock.linger = 0
    sock.connect(args.frontend)
    try:
        for data in args.data:
            pid, status, result = call(sock, data.encode(), args.timeout)
            if status != b"OK":
                sys.stderr.write("ERROR from %s: %s\n" % (pid.decode(), result.decode("utf-8", "replace")))
                return 1
            sys.stdout.write(result.decode("utf-8", "replace") + "\n")
    except TimeoutError as e:
        sys.stderr.write("%s\n" % e)
        return 1
    finally:
        sock.close()
        ctx.term()
    return 0


if __name__ == "__main__":
    sys.exit(main())
