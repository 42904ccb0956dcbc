#!/usr/bin/python3
"""A Powerhose worker in Python (pyzmq), following docs/PROTOCOL.md.

    /usr/bin/python3 examples/python/worker.py echo.echo --backend ipc:///tmp/b.ipc \
        --heartbeat ipc:///tmp/h.ipc [--timeout 7.5] [--max-age -1] [--max-age-delta 0] \
        [--params "k:v|k2:v2"] [--prefetch 32] [--debug] \
        [--curve-server-key broker.key --curve-key worker.key_secret]

Runs the callable MODULE.FUNCTION(job) for every job. job.data is bytes, job.headers a dict
(str -> str; a repeated name: the last value wins), job.params the --params dict, job.budget_ms
how long the caller will still wait, as of when the job starts (the REQUEST's budget minus the
time the job waited in this worker). Return bytes or str (UTF-8 encoded; None is empty);
an exception becomes REPLY ERROR "ClassName: message".

The main thread owns the broker sockets and heartbeats every second; the job runs on a
second thread, so a long job does not stop heartbeats (a pure-Python loop still yields the
GIL at switch intervals). One job runs at a time (capacity 1); up to --prefetch further jobs
(default 32, READY's 6th frame) wait in a local FIFO and start in arrival order the moment the
running one ends; a job's --timeout counts from when it starts. Exit codes, as the C and
Java workers: 0 a normal end (SIGTERM, SIGINT, --max-age, no beat from the broker for
ping-retries x ping-delay), 1 a failure at run time (a job ran longer than --timeout: a thread
cannot be killed, so the worker answers ERROR and exits for its supervisor to restart it; queued
jobs that never started are answered ERROR "job not run: ..."; a second signal), 2 usage,
3 configuration (bad target, params or endpoint, --prefetch out of 0..1024; a supervisor does
not respawn it). The parent watch: when the process named by --parent-pid (default: the pid in
POWERHOSE_PARENT_PID, which a cluster's supervisor sets) ends, the worker leaves as on SIGTERM,
waiting at most 1 s for the broker's answer.

CURVE (docs/SECURITY.md): --curve-server-key is the broker's public key file (NAME.key), --curve-key this
worker's key pair (NAME.key_secret, readable by its owner only), as powerhose-keygen, pyzmq's zmq.auth and
czmq write them (read here with zmq.auth.load_certificate). A failed security handshake (CURVE on one side
only, a wrong server key, a key the broker's allow-list refuses) is logged once, saying what to change.
"""
import argparse
import collections
import importlib
import os
import random
import signal
import socket
import sys
import threading
import time

import zmq
import zmq.auth
from zmq.utils.monitor import recv_monitor_message

VERSION = b"PHW1"
READY, REQUEST, REPLY, HEARTBEAT, DISCONNECT = (bytes([c]) for c in range(1, 6))
# The defaults and limits, in one place (docs/PROTOCOL.md, "Limits and errors", states the protocol's once).
DEFAULT_BACKEND = "ipc:///tmp/powerhose-back.ipc"
DEFAULT_BEAT = "ipc:///tmp/powerhose-beat.ipc"   # the broker's beat (the option's seed name: --heartbeat)
RUN_LIMIT = 7.5             # --timeout: the longest a job may run (s)
PING_DELAY = 10.0           # --ping-delay: the beat check period (s)
PING_RETRIES = 3            # --ping-retries: checks without a beat before leaving
HEARTBEAT_INTERVAL = 1.0    # --heartbeat-interval: time between two HEARTBEATs (s)
PREFETCH = 32               # --prefetch: jobs queued beyond the running one
MAX_PREFETCH = 1024
MAX_JOB_BYTES = 16 * 1024 * 1024
LEAVE_WAIT = 5.0
PARENT_GONE_WAIT = 1.0   # a supervisor that dies usually takes its broker with it
PARENT_CHECK = 0.1
EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_CONFIG = range(4)
PROG = "powerhose-worker-python"
LABEL = ("python@" + socket.gethostname()).encode()   # READY's label: language@host (PROTOCOL.md)


def log(msg):
    sys.stderr.write("%s[%d]: %s\n" % (PROG, os.getpid(), msg))
    sys.stderr.flush()


def watch_link(socket, endpoint):
    """On tcp, notice a broker gone silent (a cut link, a dead host) within 4 s and connect again within about a
    second of it being reachable: a ZMTP PING every second, the kernel closes a connection whose bytes stay
    unacknowledged 3 s, no ZMTP timeout (it counts whole messages), unanswered connects retried after 1 s. The
    values of the Java and C workers (docs/PROTOCOL.md, "Links between hosts")."""
    if endpoint.startswith("tcp://"):
        socket.setsockopt(zmq.HEARTBEAT_IVL, 1000)
        socket.setsockopt(zmq.HEARTBEAT_TIMEOUT, 0)
        socket.setsockopt(zmq.HEARTBEAT_TTL, 0)
        socket.setsockopt(zmq.TCP_MAXRT, 3000)
        socket.setsockopt(zmq.CONNECT_TIMEOUT, 1000)


class MalformedJob(ValueError):
    pass


class Job:
    def __init__(self, data, headers, params=None, budget_ms=-1):
        self.data, self.headers, self.params, self.budget_ms = data, headers, params or {}, budget_ms


def _read_token(p, i, what):
    """Reads an escaped name or value from p[i:] up to the next unescaped ':'. Names and values are UTF-8
    text without NUL; "\\0" standing alone is the empty string, "\\c" is c for any other c (docs/PROTOCOL.md)."""
    start, out = i, bytearray()
    while i < len(p) and p[i] != 0x3A:
        if p[i] == 0x5C:
            if i + 1 >= len(p):
                raise MalformedJob("malformed job: backslash at the end of the headers")
            out.append(p[i + 1])
            i += 2
        else:
            out.append(p[i])
            i += 1
    if i >= len(p):
        raise MalformedJob("malformed job: payload ends inside the headers (no ':::')")
    if p[start:i] == b"\\0":  # "\\0" standing alone is the empty string
        out = bytearray()
    if 0 in out:
        raise MalformedJob("malformed job: NUL byte in a header %s" % what)
    try:
        return out.decode("utf-8"), i
    except UnicodeDecodeError:
        raise MalformedJob("malformed job: a header %s is not valid UTF-8" % what) from None


def parse_job(payload):
    """Returns (headers as a list of (name, value), data). See PROTOCOL.md "The job payload"."""
    p = bytes(payload)
    if p.startswith(b"NONE:::"):
        return [], p[7:]
    headers, i = [], 0
    while True:
        name, i = _read_token(p, i, "name")
        value, i = _read_token(p, i + 1, "value")
        headers.append((name, value))
        run = 0
        while i + run < len(p) and p[i + run] == 0x3A:
            run += 1
        if run == 1:
            raise MalformedJob("malformed job: single ':' after a header value at byte %d" % i)
        if run == 2:
            i += 2
            if i >= len(p):
                raise MalformedJob("malformed job: payload ends inside the headers (no ':::')")
            continue
        return headers, p[i + 3:]


def _escape(text, is_name):
    if "\0" in text:
        raise ValueError("a header name or value may not contain NUL: %r" % text)
    if text == "":
        return b"\\0"
    if is_name and text == "NONE":
        return b"\\NONE"
    return text.encode("utf-8").replace(b"\\", b"\\\\").replace(b":", b"\\:")


def serialize_job(headers, data):
    """headers: a dict or a list of (name, value); data: bytes."""
    items = list(headers.items()) if isinstance(headers, dict) else list(headers)
    if not items:
        return b"NONE:::" + data
    return b"::".join(_escape(n, True) + b":" + _escape(v, False) for n, v in items) + b":::" + data


def parse_params(text):
    """'key:value|k2:v2' -> dict; a value may contain ':'; empty items are skipped."""
    params = {}
    for item in (text or "").split("|"):
        if not item:
            continue
        key, colon, value = item.partition(":")
        if not colon or not key:
            raise ValueError("bad param %r: expected key:value with a non-empty key" % item)
        params[key] = value
    return params


def run_job(fn, params, budget, payload):
    """Runs one job; returns (status, bytes)."""
    try:
        headers, data = parse_job(payload)
    except MalformedJob as e:
        log("%s; answered ERROR" % e)
        return b"ERROR", str(e).encode()
    # A repeated name: the last value wins (at the name's first place), as the Java Job's map.
    job = Job(data, dict(headers), params, int(budget))
    try:
        result = fn(job)
    except Exception as e:  # the job's failure is the caller's answer, not ours
        return b"ERROR", ("%s: %s" % (type(e).__name__, e)).encode("utf-8", "replace")
    if result is None:
        return b"OK", b""
    if isinstance(result, str):
        return b"OK", result.encode("utf-8")
    if isinstance(result, (bytes, bytearray, memoryview)):
        return b"OK", bytes(result)
    return b"ERROR", ("TypeError: job returned %s; return bytes or str" % type(result).__name__).encode()


# ------------------------------------------------------------------------------------------ CURVE

HANDSHAKE_IVL_MS = 5000


class KeyFileError(ValueError):
    pass


def load_keys(args):
    """(server public key, own public key, own secret key) from --curve-server-key and --curve-key, as bytes of
    Z85; (None, None, None) without CURVE. Raises KeyFileError naming the file."""
    if args.curve_key and not args.curve_server_key:
        raise KeyFileError("--curve-key %s needs --curve-server-key (the broker's public key)" % args.curve_key)
    if not args.curve_server_key:
        return None, None, None
    server, _ = _load_certificate(args.curve_server_key)
    if not args.curve_key:
        return server, None, None
    path = args.curve_key
    public, secret = _load_certificate(path)
    if secret is None and os.path.exists(path + "_secret"):
        path = path + "_secret"
        public, secret = _load_certificate(path)
    if secret is None:
        raise KeyFileError("%s holds a public key only: give the NAME.key_secret file that powerhose-keygen (or "
                           "zmq.auth, or czmq) wrote" % args.curve_key)
    if zmq.curve_public(secret) != public:
        raise KeyFileError("%s: its public-key is not the public key of its secret-key" % path)
    return server, public, secret


def _load_certificate(path):
    try:
        public, secret = zmq.auth.load_certificate(path)
    except (OSError, ValueError) as e:
        raise KeyFileError("%s: %s" % (path, e)) from None
    if not public or len(public) != 40 or (secret is not None and len(secret) != 40):
        raise KeyFileError("%s: no public-key of 40 characters of Z85 in a curve section: not a CURVE certificate "
                           "(czmq's format)" % path)
    if secret is not None and os.stat(path).st_mode & 0o077:
        raise KeyFileError("%s: a secret key file must be readable by its owner only, and this one is %o: run "
                           "chmod 600 %s" % (path, os.stat(path).st_mode & 0o777, path))
    return public, secret


def secure(sock, keys):
    """Makes sock a CURVE client of the broker; does nothing without CURVE. Before connecting."""
    server, public, secret = keys
    if server is None:
        return
    if public is None:
        public, secret = zmq.curve_keypair()
    sock.curve_serverkey, sock.curve_publickey, sock.curve_secretkey = server, public, secret
    sock.setsockopt(zmq.HANDSHAKE_IVL, HANDSHAKE_IVL_MS)


def explain(event, value, endpoint, keys):
    curve, public = keys[0] is not None, (keys[1] or b"made per connection").decode()
    if event == zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL and value == zmq.PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH:
        return ("the broker at %s does not use CURVE and this worker does (--curve-server-key): give the broker its "
                "key (--curve-secret-key), or drop the CURVE options here" if curve else
                "the broker at %s requires CURVE and this worker does not use it: give it the broker's public key "
                "(--curve-server-key) and its own key pair (--curve-key)") % endpoint
    if event == zmq.EVENT_HANDSHAKE_FAILED_AUTH:
        return ("the broker at %s refused this worker's key (public key %s): it is not in the broker's "
                "--allow-workers directory (a client's key cannot register as a worker)" % (endpoint, public)
                if value == 400 else "the broker at %s did not admit this worker (ZAP status %d)" % (endpoint, value))
    if event == zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL:
        return ("the broker at %s closed the connection during the CURVE handshake: the server key %s is most "
                "likely not the broker's public key (--curve-server-key), or the broker does not use CURVE"
                % (endpoint, keys[0].decode()) if curve else
                "the broker at %s closed the connection during the handshake: it most likely requires CURVE; give "
                "this worker the broker's public key (--curve-server-key) and its own key pair (--curve-key)"
                % endpoint)
    return "the handshake with %s failed (libzmq event 0x%x, value 0x%x)" % (endpoint, event, value)


def watch_handshakes(sock, endpoint, keys):
    """Logs each distinct failed handshake of sock once, from a thread that owns the monitor socket."""
    events = (zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL | zmq.EVENT_HANDSHAKE_SUCCEEDED
              | zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL | zmq.EVENT_HANDSHAKE_FAILED_AUTH)
    monitor = sock.get_monitor_socket(events)

    def watch():
        logged, failures = set(), 0
        try:
            while True:
                event = recv_monitor_message(monitor)
                kind, value = event["event"], event["value"]
                if kind == zmq.EVENT_MONITOR_STOPPED:
                    break
                if kind == zmq.EVENT_HANDSHAKE_SUCCEEDED:
                    if failures:
                        log("handshake with %s succeeded after %d failure(s)" % (endpoint, failures))
                    logged, failures = set(), 0
                    continue
                failures += 1
                if kind == zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL and failures < 2:
                    continue  # one hang-up may be a broker restarting
                if (kind, value) not in logged:
                    logged.add((kind, value))
                    log(explain(kind, value, endpoint, keys) + (
                        "" if kind == zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL else
                        " (libzmq does not connect again after a refused handshake: the worker leaves once the "
                        "broker's beat has been missing for ping-retries x ping-delay)"))
        except zmq.ZMQError:
            pass  # the context is ending
        finally:
            monitor.close(0)

    threading.Thread(target=watch, name="handshake-watch", daemon=True).start()


# ------------------------------------------------------------------------------------------ the worker

class Worker:
    def __init__(self, fn, args):
        self.fn, self.args = fn, args
        self.params = parse_params(args.params)
        self.signals = 0
        self.parent_pid = args.parent_pid if args.parent_pid > 0 else _parent_pid_from_env()
        self.parent_is_ppid = self.parent_pid > 0 and os.getppid() == self.parent_pid
        self.busy_id = self.busy_since = None   # the running job
        self.queue = collections.deque()        # (job id, budget, payload, when received) waiting their turn

    def _job_thread(self, ctx, endpoint):
        pair = ctx.socket(zmq.PAIR)
        pair.connect(endpoint)
        while True:
            frames = pair.recv_multipart()
            if len(frames) != 3:
                break
            status, result = run_job(self.fn, self.params, frames[1], frames[2])
            pair.send_multipart([frames[0], status, result])
        pair.close(0)

    def _send(self, *frames):
        try:
            self.dealer.send_multipart([VERSION] + list(frames), zmq.DONTWAIT)
        except zmq.Again:
            log("could not send to the broker (queue full); message dropped")

    def _ready(self):
        self._send(READY, str(os.getpid()).encode(), b"1", LABEL, str(self.args.prefetch).encode())

    def _on_signal(self, signum, frame):
        self.signals += 1

    def _parent_gone(self):
        """The parent watch: getppid() changes when our parent dies; another process is probed with kill 0."""
        if self.parent_pid <= 0:
            return False
        if self.parent_is_ppid:
            return os.getppid() != self.parent_pid
        try:
            os.kill(self.parent_pid, 0)
            return False
        except ProcessLookupError:
            return True
        except PermissionError:
            return False

    def run(self):
        a = self.args
        self.ctx, job_ctx = zmq.Context(), zmq.Context()
        self.dealer = self.ctx.socket(zmq.DEALER)
        self.dealer.linger = 2000
        self.sub = sub = self.ctx.socket(zmq.SUB)
        sub.linger = 0
        sub.setsockopt(zmq.SUBSCRIBE, b"")
        pair = job_ctx.socket(zmq.PAIR)
        endpoint = "inproc://powerhose-job"
        try:
            keys = load_keys(a)
            secure(self.dealer, keys)
            secure(sub, keys)
        except KeyFileError as e:
            log("%s" % e)
            return self._exit(EXIT_CONFIG, False)
        watch_handshakes(self.dealer, a.backend, keys)
        try:
            watch_link(self.dealer, a.backend)
            watch_link(sub, a.heartbeat)
            self.dealer.connect(a.backend)
            sub.connect(a.heartbeat)
            pair.bind(endpoint)
        except zmq.ZMQError as e:
            log("cannot connect: %s" % e)
            return EXIT_CONFIG
        threading.Thread(target=self._job_thread, args=(job_ctx, endpoint), daemon=True).start()
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)

        start = last_beat = next_hb = time.monotonic()
        beat_limit = a.ping_retries * a.ping_delay
        max_age_at = start + a.max_age + random.uniform(0, a.max_age_delta) if a.max_age > 0 else None
        leaving_at, answered, leave_wait = None, False, LEAVE_WAIT
        parent_gone = False
        poller = zmq.Poller()
        for s in (self.dealer, sub, pair):
            poller.register(s, zmq.POLLIN)
        log("connected to %s (heartbeat %s), timeout %gs, prefetch %d" % (a.backend, a.heartbeat, a.timeout,
                                                                          a.prefetch))
        self._ready()
        while True:
            now = time.monotonic()
            if self.signals >= 2:
                log("second signal: exiting now")
                self._fail_queued("job not run: the worker is exiting (second signal)")
                return self._exit(EXIT_FAILED, self.busy_id is not None)
            if leaving_at is None and not parent_gone and self._parent_gone():
                parent_gone, leave_wait = True, PARENT_GONE_WAIT
            if leaving_at is None and (self.signals or parent_gone or (max_age_at and now >= max_age_at)):
                log("%s: leaving (DISCONNECT sent; %s, %d queued)" % (
                    "signal received" if self.signals else
                    "the process that started this worker (pid %d) ended" % self.parent_pid if parent_gone else
                    "max age reached",
                    "finishing the current job" if self.busy_id is not None else "idle", len(self.queue)))
                self._send(DISCONNECT)
                leaving_at = now
            idle = self.busy_id is None and not self.queue
            if leaving_at is not None and idle and (answered or now - leaving_at >= leave_wait):
                if not answered:
                    # The broker is most likely gone (its supervisor died with it): lingering on close would
                    # only delay the exit by up to 2 s for messages nobody will read.
                    self.dealer.linger = 0
                    log("no DISCONNECT answer from the broker within %gs" % leave_wait)
                log("left the broker; exiting")
                pair.send(b"")
                return self._exit(EXIT_OK, False)
            if self.busy_id is not None and now - self.busy_since > a.timeout:
                text = "job timed out after %gs" % a.timeout
                log("%s: answered ERROR; exiting with code %d" % (text, EXIT_FAILED))
                self._send(REPLY, self.busy_id, b"ERROR", text.encode())
                self._fail_queued("job not run: the worker is exiting after a job timed out")
                return self._exit(EXIT_FAILED, True)
            if now - last_beat > beat_limit:
                log("no heartbeat from the broker for %.1fs: the broker is gone; exiting" % (now - last_beat))
                self._fail_queued("job not run: the worker lost the broker's heartbeat and is exiting")
                return self._exit(EXIT_OK, self.busy_id is not None)
            if now >= next_hb:
                self._send(HEARTBEAT)
                next_hb = max(next_hb + a.heartbeat_interval, now)

            wake = min(next_hb, last_beat + beat_limit)
            if self.busy_id is not None:
                wake = min(wake, self.busy_since + a.timeout)
            if max_age_at and leaving_at is None:
                wake = min(wake, max_age_at)
            if leaving_at is not None:
                wake = min(wake, leaving_at + leave_wait)
            elif self.parent_pid > 0:
                wake = min(wake, now + PARENT_CHECK)
            events = dict(poller.poll(max(0, int((wake - now) * 1000) + 1)))
            now = time.monotonic()
            if sub in events:
                while sub.poll(0):
                    sub.recv_multipart()
                last_beat = now
            if pair in events:
                job_id, status, result = pair.recv_multipart()
                self._send(REPLY, job_id, status, result)
                self.busy_id = None
                if self.queue:  # the next job starts now, without waiting for the broker
                    self._start(pair, *self.queue.popleft(), now=now)
            while self.dealer in events and self.dealer.poll(0):
                frames = self.dealer.recv_multipart()
                if len(frames) < 2 or frames[0] != VERSION or len(frames[1]) != 1:
                    log("dropped a message that is not %s with a one-byte command" % VERSION.decode())
                elif frames[1] == REQUEST:
                    self._request(frames, pair, now)
                elif frames[1] == DISCONNECT:
                    if leaving_at is not None:
                        answered = True
                    else:
                        log("broker sent DISCONNECT (restarted or forgot us); sending READY again")
                        self._ready()
                elif frames[1] != HEARTBEAT:
                    log("dropped a message with unknown command 0x%02x" % frames[1][0])

    def _start(self, pair, job_id, budget, payload, received, now):
        """Hands a job to the job thread, with what is left of its budget: the REQUEST's minus the time it waited."""
        left = max(0, int(budget) - int((now - received) * 1000))
        pair.send_multipart([job_id, str(left).encode(), payload], copy=False)
        self.busy_id, self.busy_since = job_id, now

    def _fail_queued(self, why):
        """Answers every queued job ERROR: the worker exits before it could run them."""
        if self.queue:
            log("answering %d queued job(s) ERROR: %s" % (len(self.queue), why))
        while self.queue:
            self._send(REPLY, self.queue.popleft()[0], b"ERROR", why.encode())

    def _request(self, frames, pair, now):
        if len(frames) < 3 or not 1 <= len(frames[2]) <= 255:
            log("REQUEST without a valid job id (1-255 bytes); dropped")
            return
        job_id = frames[2]
        if len(frames) != 5:
            error = "malformed request: expected 5 frames, got %d" % len(frames)
        elif not frames[3].isdigit():
            error = "malformed request: budget is not a decimal number of ms"
        elif len(frames[4]) > MAX_JOB_BYTES:
            error = "job too large: %d > %d bytes" % (len(frames[4]), MAX_JOB_BYTES)
        elif self.busy_id is None:
            self._start(pair, job_id, frames[3], frames[4], now, now)
            return
        elif len(self.queue) < self.args.prefetch:
            self.queue.append((job_id, frames[3], frames[4], now))
            return
        else:
            error = "worker busy: capacity 1, prefetch %d" % self.args.prefetch
        log(error)
        self._send(REPLY, job_id, b"ERROR", error.encode())

    def _exit(self, code, job_running):
        """Closes the broker sockets (delivering what was sent, up to 2 s) and returns code.
        A job still running cannot be stopped: the process then exits at once."""
        self.sub.close()
        self.dealer.close()
        self.ctx.term()
        if job_running:
            sys.stderr.flush()
            os._exit(code)
        return code


def _parent_pid_from_env():
    text = os.environ.get("POWERHOSE_PARENT_PID", "")
    if not text:
        return 0
    try:
        return int(text)
    except ValueError:
        log("POWERHOSE_PARENT_PID=%s is not a pid: ignored" % text)
        return 0


def main(argv=None):
    ap = argparse.ArgumentParser(prog="worker.py", description="A Powerhose worker running MODULE.FUNCTION(job).")
    ap.add_argument("target", metavar="MODULE.FUNCTION")
    ap.add_argument("--backend", default=DEFAULT_BACKEND)
    ap.add_argument("--heartbeat", default=DEFAULT_BEAT, help="the broker's beat")
    ap.add_argument("--timeout", type=float, default=RUN_LIMIT,
                    help="job run limit: longest a job may run (s); then the worker exits")
    ap.add_argument("--max-age", type=float, default=-1, help="leave gracefully after this long (s); <= 0 never")
    ap.add_argument("--max-age-delta", type=float, default=0, help="add random(0, this) s to --max-age")
    ap.add_argument("--params", default=None, help='"key:value|k2:v2" for job.params')
    ap.add_argument("--ping-delay", type=float, default=PING_DELAY, help="beat check period (s)")
    ap.add_argument("--ping-retries", type=int, default=PING_RETRIES, help="beat checks without a beat before leaving")
    ap.add_argument("--heartbeat-interval", type=float, default=HEARTBEAT_INTERVAL,
                    help="time between two heartbeats (s)")
    ap.add_argument("--prefetch", type=int, default=PREFETCH,
                    help="jobs queued beyond the running one, 0 to %d (default %d)" % (MAX_PREFETCH, PREFETCH))
    ap.add_argument("--parent-pid", type=int, default=0,
                    help="leave when this process ends (default: $POWERHOSE_PARENT_PID)")
    ap.add_argument("--curve-server-key", metavar="FILE", help="the broker's public key (NAME.key): CURVE on")
    ap.add_argument("--curve-key", metavar="FILE", help="this worker's key pair (NAME.key_secret, mode 0600)")
    ap.add_argument("--debug", action="store_true", help="accepted for compatibility")
    args = ap.parse_args(argv)
    module_name, _, fn_name = args.target.rpartition(".")
    if not 0 <= args.prefetch <= MAX_PREFETCH:
        log("--prefetch must be 0 to %d, not %d" % (MAX_PREFETCH, args.prefetch))
        return EXIT_CONFIG
    try:
        parse_params(args.params)
        if not module_name:
            raise ValueError("expected MODULE.FUNCTION, got %r" % args.target)
        sys.path.insert(0, os.getcwd())
        fn = getattr(importlib.import_module(module_name), fn_name)
    except (ValueError, ImportError, AttributeError) as e:
        log("%s" % e)
        return EXIT_CONFIG
    return Worker(fn, args).run()


if __name__ == "__main__":
    sys.exit(main())
