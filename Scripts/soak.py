#!/usr/bin/env python3
"""Driver of Scripts/soak: a bounded soak, load and fault test of `hashmatch serve`, loopback only.

    Scripts/soak [--seconds 60] [--binary .build/release/hashmatch] [--json FILE] [--seed N] [--keep]

Python 3 standard library only; the framing constants come from Scripts/hashmatch_client.py.

Set-up, in a temporary folder: a copy of hashsets/*.hashset, a set `soak-random` of 20,000 random PDQ hashes
(written with `hashmatch hashset import --format hex`), a set `soak-digests` holding the MD5 of a garbage blob (so
an undecodable upload must still come back with a digest match), an admin token. The expected answer for every
image is computed once with `hashmatch match --format jsonl` on the same folder. Then `hashmatch serve` runs on a
Unix socket and 127.0.0.1 HTTP with small limits (LIMITS below) while these workloads run concurrently until
--seconds have passed (every loop checks the clock, every socket has a timeout):

  match      pipelined match (and hash) requests of the fixture images and variants: hashes and the multiset of
             (set, id, algorithm, distance) must equal the CLI's (`overloaded` is accepted: documented, and
             provoked on purpose by bursts of 3 x --max-in-flight images against --max-queued-images 12);
  lookup     pipelined batches (depth 32 > --max-in-flight 16) of 8-hash lookups: soak-random entries (some in upper
             case) must answer exactly themselves at distance 0, fixture MD5s exactly their entry, fresh random PDQ
             hashes nothing. (Checked exactly, not computed: the chance that a random 256-bit hash lies within 31 bits
             of any of ~20,100 entries is below 2^-100.)
  invalid    every documented error code, each followed by a ping on the same connection (it must survive),
             the framing errors that close the connection (frame_too_large, bad_frame, HTTP bytes), and a
             half-close (requests, then SHUT_WR: all answered, then the close);
  slow       half frames and half headers that stall (read_timeout / 408, then closed), one byte per 100 ms
             drips, an idle connection (closed silently after --idle-timeout);
  flood      more than --max-connections connections: the excess gets `overloaded` (id 0xFFFFFFFF) and is
             closed; afterwards new connections work;
  reload     in turn every ~2 s: the reload op, SIGHUP, POST /v1/reload, a changed file (the watcher), a file
             that is no hash-set file (reload_failed; the old index keeps answering);
  admin      add/remove entries of a scratch set (framed and HTTP), each change then looked up on another
             connection (read-your-writes); the final file must hold exactly the acknowledged changes;
  http       /v1/match, /v1/hash, /v1/lookup, /v1/ping, /healthz, /readyz, /metrics and the HTTP error statuses.

After the figures are taken, four probes of server problems the first soak runs found (fixed since; each probe_*
docstring says what it checks): a framed and an HTTP client that never read their answers, an HTTP body trickled
byte by byte, and frames whose ends share reads with the next frame's start.

Every request is counted when sent and once more when its outcome is known: ok (answered as expected, including
expected error answers and documented closes), wrong, or lost (no answer). Pass: nothing lost, nothing wrong,
nothing unaccounted, RSS and fds within bounds (see BOUNDS), p99 of valid lookups under 1 s, the server exits 0 on
SIGTERM within 5 s, and the folder still loads with exactly the acknowledged scratch entries.
"""
import argparse
import array
import contextlib
import hashlib
import http.client
import json
import os
import random
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hashmatch_client import (  # noqa: E402
    HEADER, OP_ADD_ENTRIES, OP_AUTH, OP_HASH, OP_LOOKUP, OP_MATCH, OP_PING, OP_RELOAD, OP_REMOVE_ENTRIES, OP_STATS)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONNECTION_ID = 0xFFFFFFFF
LIMITS = {"max_connections": 64, "read_timeout": 2.0, "idle_timeout": 5.0, "max_in_flight": 16,
          "max_frame_bytes": 4 << 20, "max_queued_images": 12}
RANDOM_ENTRIES = 20_000
LOOKUP_DEPTH = 32
# End RSS may exceed the warm RSS (sampled after 10% of the run) by max(+50 MB, +25%). A reload builds a second index
# aside (20k entries: a few MB), image decodes take a few MB each on 2 workers, and glibc keeps freed memory in its
# per-thread arenas, so a healthy server wobbles by some MB to tens of MB after warm-up. A 600 s run sends ~1.1
# million requests, so a leak of ~50 bytes per request fails it (a 30 s run, ~47,000: ~1 KB per request).
# fds: at most fd_slack more than before any client connected, once every client has closed.
BOUNDS = {"rss_mb": 50, "rss_fraction": 0.25, "fd_slack": 4, "lookup_p99_s": 1.0, "sigterm_s": 5.0}
VALID_KINDS = ("match", "hash", "lookup", "rw_lookup", "add", "remove", "reload", "sighup", "watch_reload", "stats",
               "half_close", "image_burst", "flood_recovery", "http_match", "http_hash", "http_lookup", "http_ping",
               "http_healthz", "http_readyz", "http_metrics", "http_add", "http_remove", "http_reload")


def log(message):
    print(f"soak: {message}", file=sys.stderr, flush=True)


# ------------------------------------------------------------------------------------------------ bookkeeping

class Tally:
    """Per request kind: sent, and exactly one outcome per request (ok, wrong, lost); error answers by code."""

    def __init__(self):
        self.lock = threading.Lock()
        self.kinds = {}
        self.problems = []

    def _kind(self, kind):
        return self.kinds.setdefault(kind, {"sent": 0, "ok": 0, "wrong": 0, "lost": 0, "closed": 0,
                                            "codes": Counter(), "latency": array.array("d")})

    def sent(self, kind, count=1):
        with self.lock:
            self._kind(kind)["sent"] += count

    def outcome(self, kind, problem=None, code=None, latency=None, closed=False, lost=0):
        """One answered request (problem None: as expected), or `lost` requests that got no answer."""
        with self.lock:
            k = self._kind(kind)
            if lost:
                k["lost"] += lost
            else:
                k["wrong" if problem else "ok"] += 1
                if code:
                    k["codes"][code] += 1
                if closed:
                    k["closed"] += 1
                if latency is not None and not problem:
                    k["latency"].append(latency)
            if (problem or lost) and len(self.problems) < 40:
                self.problems.append(f"{kind}: {'lost ' + str(lost) if lost else 'wrong'}: {problem}")


class FloodGate:
    """New connections take the shared side; a flood takes the exclusive side, so that no other workload tries to
    connect while the flood holds the server at --max-connections (such a connection would be refused, rightly)."""

    def __init__(self):
        self.cond = threading.Condition()
        self.shared_count = 0
        self.flooding = False

    @contextlib.contextmanager
    def shared(self):
        with self.cond:
            if not self.cond.wait_for(lambda: not self.flooding, timeout=30):
                raise TimeoutError("flood gate held for 30 s")
            self.shared_count += 1
        try:
            yield
        finally:
            with self.cond:
                self.shared_count -= 1
                self.cond.notify_all()

    @contextlib.contextmanager
    def exclusive(self):
        with self.cond:
            self.cond.wait_for(lambda: not self.flooding)
            self.flooding = True
            self.cond.wait_for(lambda: self.shared_count == 0, timeout=30)
        try:
            yield
        finally:
            with self.cond:
                self.flooding = False
                self.cond.notify_all()


class Closed(Exception):
    """The server closed the connection."""


class Conn:
    """One framed-protocol connection on the Unix socket: a receive buffer and the next request id."""

    def __init__(self, path, timeout=20.0):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.buffer = bytearray()
        self.next_id = 1
        self.used = time.monotonic()

    def frame(self, opcode, payload=b"", request_id=None):
        """A request frame; returns (bytes, id)."""
        if request_id is None:
            request_id, self.next_id = self.next_id, (self.next_id + 1) & 0x7FFFFFFF
        return HEADER.pack(5 + len(payload), opcode, request_id) + payload, request_id

    def send(self, data):
        self.used = time.monotonic()
        self.sock.sendall(data)

    def _fill(self, count):
        while len(self.buffer) < count:
            chunk = self.sock.recv(1 << 16)
            if not chunk:
                raise Closed("closed by the server")
            self.buffer += chunk

    def receive(self):
        """The next answer: (status, request id, JSON)."""
        self._fill(9)
        length, status, request_id = HEADER.unpack_from(self.buffer)
        self._fill(4 + length)
        body = json.loads(bytes(self.buffer[9:4 + length]))
        del self.buffer[:4 + length]
        return status, request_id, body

    def at_eof(self, timeout):
        """True when the server closes next, with no further bytes; False on more bytes or no close in time."""
        if self.buffer:
            return False
        self.sock.settimeout(timeout)
        try:
            return self.sock.recv(1 << 16) == b""
        except ConnectionResetError:
            return True
        except OSError:
            return False

    def close(self):
        with contextlib.suppress(OSError):
            self.sock.close()


def close_all(*connections):
    """Closes a workload's connections at its end (so that the fd count can be checked)."""
    for connection in connections:
        if connection is not None:
            connection.close()


def error_code(body):
    return (body.get("error") or {}).get("code") if isinstance(body, dict) else None


def match_key(matches):
    """What a match answer is compared on: the multiset of (set, id, algorithm, distance)."""
    return sorted((m["set"], m["id"], m["algorithm"], m["distance"]) for m in matches)


# ------------------------------------------------------------------------------------------------ the run

class Soak:
    """Shared state of one run: the server, the expected answers, the tally, the clock."""

    def __init__(self, args, folder):
        self.args = args
        self.folder = folder
        self.sets = os.path.join(folder, "hashsets")
        self.socket_path = os.path.join(folder, "s.sock")
        self.token = "soak-admin-" + os.urandom(8).hex()
        self.tally = Tally()
        self.gate = FloodGate()
        self.rng = random.Random(args.seed)
        self.stop_at = None
        self.server = None
        self.samples = []  # (seconds since start, RSS KiB, fds)
        self.scratch = {}  # acknowledged scratch-set state: id -> hex
        self.scratch_lock = threading.Lock()
        self.reasons = []

    # ---------------------------------------------------------------- helpers

    def running(self, need=0.0):
        return time.monotonic() + need < self.stop_at

    def hashmatch(self, *arguments, ok=(0,)):
        done = subprocess.run([self.args.binary, *arguments], capture_output=True, text=True, timeout=600)
        if done.returncode not in ok:
            raise SystemExit(f"soak: hashmatch {' '.join(arguments)} exited {done.returncode}: {done.stderr[-2000:]}")
        return done

    def connect(self, timeout=20.0):
        with self.gate.shared():
            return Conn(self.socket_path, timeout)

    def fresh(self, conn, admin=False):
        """`conn` when still young, else a new connection (the server closes connections idle for
        --idle-timeout; reconnecting at half of it keeps a request from racing that close)."""
        if conn is not None and time.monotonic() - conn.used < LIMITS["idle_timeout"] / 2:
            return conn
        if conn is not None:
            conn.close()
        conn = self.connect()
        if admin:
            conn = self.exchange(conn, "auth", [(OP_AUTH, self.token.encode(),
                                                 lambda s, b: None if s == 0 and b.get("admin") is True else f"{b}")])
        return conn

    def exchange(self, conn, kind, requests, send_only=False):
        """Pipelines [(opcode, payload, check[, kind])], reads the answers in order; check(status, body) -> problem
        or None. Returns the connection, or None when it broke (the unanswered requests are counted lost).
        send_only: returns a function that reads the answers later (to have several connections' requests out)."""
        requests = [(r[0], r[1], r[2], r[3] if len(r) > 3 else kind) for r in requests]
        for r in requests:
            self.tally.sent(r[3])
        if conn is None:  # fresh() could not authenticate
            for r in requests:
                self.tally.outcome(r[3], "no connection", lost=1)
            return None
        frames, ids = zip(*(conn.frame(op, payload) for op, payload, _, _ in requests))
        answered = 0

        def broken(error):
            for r in requests[answered:]:
                self.tally.outcome(r[3], f"{type(error).__name__}: {error}", lost=1)
            conn.close()

        def read():
            nonlocal answered
            try:
                for (_, _, check, request_kind), request_id in zip(requests, ids):
                    status, answer_id, body = conn.receive()
                    problem = check(status, body)
                    if answer_id != request_id:
                        problem = f"answer id {answer_id}, expected {request_id}"
                    self.tally.outcome(request_kind, problem, error_code(body) if status else None,
                                       time.monotonic() - started)
                    answered += 1
                return conn
            except (OSError, Closed, ValueError) as error:
                broken(error)
                return None

        started = time.monotonic()
        try:
            conn.send(b"".join(frames))
        except OSError as error:
            broken(error)
            return (lambda: None) if send_only else None
        return read if send_only else read()

    # ---------------------------------------------------------------- set-up

    def prepare(self):
        """The hash-set folder, the fixture files and the expected answers (from the CLI)."""
        os.makedirs(self.sets)
        for name in sorted(os.listdir(os.path.join(ROOT, "hashsets"))):
            if name.endswith(".hashset"):
                shutil.copy(os.path.join(ROOT, "hashsets", name), self.sets)
        hex_list = os.path.join(self.folder, "random.hex")
        hashes = sorted({self.rng.randbytes(32).hex() for _ in range(RANDOM_ENTRIES)})
        with open(hex_list, "w") as f:
            f.write("".join(h + "\n" for h in hashes))
        self.hashmatch("hashset", "import", "--hashsets", self.sets, "--format", "hex", "--name", "soak-random",
                       "--labels", "soak", hex_list)
        self.random_entries = [(h, f"pdq-{h}") for h in hashes]
        self.garbage = self.rng.randbytes(3000)
        with open(os.path.join(self.sets, "soak-digests.hashset"), "w") as f:
            f.write(f"#hashmatch-hashset v1\nmd5 {hashlib.md5(self.garbage).hexdigest()} garbage-md5 soak\n")
        with open(os.path.join(self.sets, "soak-scratch.hashset"), "w") as f:
            f.write(f"#hashmatch-hashset v1\npdq {'ab' * 32} soak-dup soak\n")
        self.scratch["soak-dup"] = "ab" * 32
        self.set_names = sorted(n[:-8] for n in os.listdir(self.sets) if n.endswith(".hashset"))
        self.md5_entries = []
        for line in open(os.path.join(self.sets, "benign-sample.hashset")):
            fields = line.split()
            if len(fields) >= 3 and fields[0] == "md5":
                self.md5_entries.append((fields[1], [("benign-sample", fields[2], "md5", 0)]))

        images = sorted(os.path.join(d, n) for d in ("Tests/Fixtures/images", "Tests/Fixtures/variants")
                        for n in os.listdir(os.path.join(ROOT, d)))
        with open(os.path.join(ROOT, "Tests/Fixtures/images/baseline.jpg"), "rb") as f:
            baseline = f.read()
        specials = {"garbage.bin": self.garbage, "truncated.jpg": baseline[: len(baseline) * 6 // 10],
                    "empty.bin": b"", "signature.png": b"\x89PNG\r\n\x1a\n"}
        for name, data in specials.items():
            with open(os.path.join(self.folder, name), "wb") as f:
                f.write(data)
        paths = [os.path.join(ROOT, p) for p in images] + [os.path.join(self.folder, n) for n in specials]
        done = self.hashmatch("match", "--format", "jsonl", "--hashsets", self.sets, *paths, ok=(0, 1, 2))
        records = {json.loads(line)["path"]: json.loads(line) for line in done.stdout.splitlines()}
        self.expected = {}
        for path in paths:
            record = records[path]
            with open(path, "rb") as f:
                data = f.read()
            self.expected[os.path.basename(path)] = {
                "data": data, "code": error_code(record), "matches": match_key(record.get("matches", [])),
                "pdq": record.get("pdq"), "md5": record.get("md5")}
        self.images = [e for n, e in self.expected.items() if n not in specials]
        for name, code in (("garbage.bin", "image_unknown_format"), ("truncated.jpg", "image_truncated")):
            if self.expected[name]["code"] != code:
                self.reasons.append(f"the CLI answers {name} with {self.expected[name]['code']}, the docs say {code}")
        log(f"{len(self.images)} images, {sum(1 for e in self.images if e['matches'])} with matches; "
            f"{len(hashes)} random entries; sets {', '.join(self.set_names)}")

    def start_server(self):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.http_port = probe.getsockname()[1]
        token_file = os.path.join(self.folder, "admin.token")
        with open(token_file, "w") as f:
            f.write(self.token + "\n")
        command = [self.args.binary, "serve", "--socket", self.socket_path, "--http", f"127.0.0.1:{self.http_port}",
                   "--hashsets", self.sets, "--admin-token-file", token_file,
                   "--max-connections", str(LIMITS["max_connections"]), "--read-timeout", str(LIMITS["read_timeout"]),
                   "--idle-timeout", str(LIMITS["idle_timeout"]), "--max-in-flight", str(LIMITS["max_in_flight"]),
                   "--max-frame-bytes", str(LIMITS["max_frame_bytes"]),
                   "--max-queued-images", str(LIMITS["max_queued_images"])]
        self.server_log = os.path.join(self.folder, "serve.log")
        self.server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=open(self.server_log, "w"))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and self.server.poll() is None:
            try:
                status, _, _ = http_get(self.http_port, "/readyz")
                if status == 200 and os.path.exists(self.socket_path):
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise SystemExit(f"soak: the server did not become ready: {open(self.server_log).read()[-2000:]}")

    # ---------------------------------------------------------------- resources

    def sample(self):
        pid = self.server.pid
        with open(f"/proc/{pid}/status") as f:
            rss = next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))
        return rss, len(os.listdir(f"/proc/{pid}/fd"))

    def monitor(self, started):
        """RSS and fds once a second; notes a server that died."""
        while self.running():
            if self.server.poll() is not None:
                self.reasons.append(f"the server exited during the run with status {self.server.returncode}")
                return
            rss, fds = self.sample()
            self.samples.append((time.monotonic() - started, rss, fds))
            time.sleep(1)

    # ---------------------------------------------------------------- workloads

    def image_check(self, expected, hashing=False):
        """Compares a hash/match answer with the CLI's record; `overloaded` (documented: retry later) is accepted."""
        def check(status, body):
            code = error_code(body) if status else None
            if code == "overloaded":
                return None
            if hashing:
                if "matches" in body:
                    return "a hash answer with matches"
                body = dict(body, matches=[{"set": m[0], "id": m[1], "algorithm": m[2], "distance": m[3]}
                                           for m in expected["matches"]])
            if code != expected["code"]:
                return f"status {status} code {code}, expected {expected['code']}"
            if match_key(body.get("matches", [])) != expected["matches"]:
                return f"matches {match_key(body.get('matches', []))}, expected {expected['matches']}"
            if body.get("md5") != expected["md5"] or body.get("pdq") != expected["pdq"]:
                return f"hashes differ from the CLI's: {body.get('pdq')} {body.get('md5')}"
            return None
        return check

    def match_worker(self, index):
        """Pipelined batches of 4 match (and some hash) requests; every answer compared with the CLI's."""
        rng, conn = random.Random(self.args.seed * 31 + index), None
        while self.running():
            conn = self.fresh(conn)
            requests = []
            for _ in range(4):
                image, hashing = rng.choice(self.images), rng.random() < 0.2
                requests.append((OP_HASH if hashing else OP_MATCH, image["data"], self.image_check(image, hashing),
                                 "hash" if hashing else "match"))
            conn = self.exchange(conn, "match", requests)
        close_all(conn)

    def lookup_items(self, rng):
        """8 hashes with known answers: a lookup payload and the per-item (algorithm, hex, expected matches)."""
        items, expected = [], []
        for _ in range(8):
            r = rng.random()
            if r < 0.5:
                hex_hash, entry_id = rng.choice(self.random_entries)
                algorithm, want = "pdq", [("soak-random", entry_id, "pdq", 0)]
            elif r < 0.6:
                (hex_hash, want), algorithm = rng.choice(self.md5_entries), "md5"
            else:
                hex_hash, algorithm, want = rng.randbytes(32).hex(), "pdq", []
            items.append({"algorithm": algorithm, "hash": hex_hash.upper() if rng.random() < 0.2 else hex_hash})
            expected.append((algorithm, hex_hash, want))
        return json.dumps(items if rng.random() < 0.75 else {"hashes": items}).encode(), expected

    @staticmethod
    def lookup_check(expected):
        def check(status, body):
            if status != 0:
                return f"error {body}"
            results = body.get("results", [])
            if len(results) != len(expected):
                return f"{len(results)} results for {len(expected)} hashes"
            for result, (algorithm, hex_hash, want) in zip(results, expected):
                if result.get("algorithm") != algorithm or result.get("hash") != hex_hash:
                    return f"result for {result.get('hash')}, expected {hex_hash}"
                if match_key(result.get("matches", [])) != want:
                    return f"{hex_hash}: matches {match_key(result['matches'])}, expected {want}"
            return None
        return check

    def lookup_worker(self, index):
        """Pipelined batches of LOOKUP_DEPTH lookups (deeper than --max-in-flight: the server must hold reading)."""
        rng, conn = random.Random(self.args.seed * 37 + index), None
        while self.running():
            conn = self.fresh(conn)
            requests = []
            for _ in range(LOOKUP_DEPTH):
                payload, expected = self.lookup_items(rng)
                requests.append((OP_LOOKUP, payload, self.lookup_check(expected)))
            conn = self.exchange(conn, "lookup", requests)
        close_all(conn)

    @staticmethod
    def expect_error(code):
        def check(status, body):
            return None if status == 1 and error_code(body) == code else f"status {status} {body}, expected {code}"
        return check

    @staticmethod
    def expect_pong(status, body):
        return None if status == 0 and body == {"pong": True} else f"ping answered {status} {body}"

    def invalid_cases(self):
        """(kind, opcode, payload, check, needs admin) of errors that keep the connection."""
        garbage, truncated = self.expected["garbage.bin"], self.expected["truncated.jpg"]
        empty, signature = self.expected["empty.bin"], self.expected["signature.png"]
        scratch_add = {"set": "soak-scratch", "entries": [{"id": "soak-dup", "algorithm": "pdq", "hash": "cd" * 32}]}
        return [
            ("bad_image_garbage", OP_MATCH, garbage["data"], self.image_check(garbage), False),
            ("bad_image_truncated", OP_MATCH, truncated["data"], self.image_check(truncated), False),
            ("bad_image_empty", OP_MATCH, b"", self.image_check(empty), False),
            ("bad_image_png_signature", OP_HASH, signature["data"], self.image_check(signature, hashing=True), False),
            ("bad_hash", OP_LOOKUP, b'[{"algorithm":"pdq","hash":"zz"}]', self.expect_error("bad_hash"), False),
            ("bad_hash_algorithm", OP_LOOKUP, b'[{"algorithm":"crc32","hash":"00"}]', self.expect_error("bad_hash"),
             False),
            ("bad_json", OP_LOOKUP, b'[{"algorithm":"pdq",', self.expect_error("bad_request"), False),
            ("bad_lookup_item", OP_LOOKUP, b'[{"algorithm":"md5"}]', self.expect_error("bad_request"), False),
            ("unknown_opcode", 0x7F, b"x", self.expect_error("unknown_opcode"), False),
            ("forbidden_reload", OP_RELOAD, b"", self.expect_error("forbidden"), False),
            ("forbidden_add", OP_ADD_ENTRIES, json.dumps(scratch_add).encode(), self.expect_error("forbidden"), False),
            ("wrong_token", OP_AUTH, b"not-the-token", self.expect_error("unauthorized"), False),
            ("bad_set_name", OP_ADD_ENTRIES, b'{"set":"../soak","entries":[{"algorithm":"md5","hash":"' +
             b"0" * 32 + b'"}]}', self.expect_error("bad_set_name"), True),
            ("no_such_set", OP_REMOVE_ENTRIES, b'{"set":"soak-absent","ids":["x"]}', self.expect_error("no_such_set"),
             True),
            ("duplicate_id", OP_ADD_ENTRIES, json.dumps(scratch_add).encode(), self.expect_error("duplicate_id"), True),
            ("bad_add_payload", OP_ADD_ENTRIES, b'{"set":"soak-scratch"}', self.expect_error("bad_request"), True),
        ]

    def closing_case(self, kind, data, code, answer_id):
        """A ping, then a framing error in the same write: the ping is answered first, then the error frame (with
        `answer_id`), then the connection closes."""
        try:
            conn = self.connect(timeout=10)
        except OSError as error:
            self.tally.sent(kind)
            self.tally.outcome(kind, f"connect: {error}", lost=1)
            return
        pending = 2
        try:
            ping, ping_id = conn.frame(OP_PING)
            self.tally.sent(kind, pending)
            conn.send(ping + data)
            status, rid, body = conn.receive()
            pending -= 1
            self.tally.outcome(kind, self.expect_pong(status, body) or (None if rid == ping_id else "ping id"))
            status, rid, body = conn.receive()
            pending -= 1
            problem = self.expect_error(code)(status, body)
            if rid != answer_id:
                problem = f"error frame id {rid:#x}, expected {answer_id:#x}"
            if not problem and not conn.at_eof(5):
                problem = "the connection stayed open (or sent more) after the error frame"
            self.tally.outcome(kind, problem, error_code(body), closed=True)
        except (OSError, Closed, ValueError) as error:
            self.tally.outcome(kind, f"{type(error).__name__}: {error}", lost=pending)
        finally:
            conn.close()

    def invalid_worker(self, index):
        """Each documented error, followed by a ping on the same connection; then the framing errors."""
        rng = random.Random(self.args.seed * 41 + index)
        cases, client, admin = self.invalid_cases(), None, None
        limit = LIMITS["max_frame_bytes"]
        http_bytes = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
        while self.running():
            kind, opcode, payload, check, needs_admin = rng.choice(cases)
            if needs_admin:
                admin = self.fresh(admin, admin=True)
                admin = self.exchange(admin, kind, [(opcode, payload, check), (OP_PING, b"", self.expect_pong)])
            else:
                client = self.fresh(client)
                client = self.exchange(client, kind, [(opcode, payload, check), (OP_PING, b"", self.expect_pong)])
            if rng.random() < 0.1:
                self.closing_case("frame_too_large", HEADER.pack(limit + 1, OP_MATCH, 4242), "frame_too_large", 4242)
                self.closing_case("bad_frame", HEADER.pack(3, OP_PING, 7), "bad_frame", CONNECTION_ID)
                self.closing_case("http_on_framed", http_bytes, "frame_too_large", HEADER.unpack(http_bytes[:9])[2])
                self.half_close_case(rng)
            if rng.random() < 0.03:
                self.image_burst(rng)
            time.sleep(0.02)
        close_all(client, admin)

    def half_close_case(self, rng):
        """Requests, then the client's end of input (shutdown SHUT_WR): every request is answered, then the close."""
        conn = self.connect()
        payload, expected = self.lookup_items(rng)
        requests = [(OP_PING, b"", self.expect_pong), (OP_LOOKUP, payload, self.lookup_check(expected)),
                    (OP_PING, b"", self.expect_pong)]
        read = self.exchange(conn, "half_close", requests, send_only=True)
        with contextlib.suppress(OSError):
            conn.sock.shutdown(socket.SHUT_WR)
        if read() is not None:
            self.tally.sent("half_close")
            self.tally.outcome("half_close", None if conn.at_eof(5) else "not closed after the answers", closed=True)
        conn.close()

    def image_burst(self, rng):
        """3 connections x --max-in-flight match requests at once, more than --max-queued-images: every answer is the
        right one or `overloaded`, in order on each connection."""
        conns = [self.connect() for _ in range(3)]
        image = self.expected["large-1024x768.jpg"]
        readers = [self.exchange(conn, "image_burst", [(OP_MATCH, image["data"], self.image_check(image))]
                                 * LIMITS["max_in_flight"], send_only=True) for conn in conns]
        for read, conn in zip(readers, conns):
            read()
            conn.close()

    # ---------------------------------------------------------------- slow clients

    def stall_case(self, kind, data, drip=False):
        """Sends `data` (at once, or one byte per 100 ms) and waits: expects read_timeout (id 0xFFFFFFFF) about
        --read-timeout after the first byte, then the close."""
        conn = self.connect()
        self.tally.sent(kind)
        try:
            started = time.monotonic()
            try:
                for i in range(len(data) if drip else 1):
                    conn.send(data[i:i + 1] if drip else data)
                    if drip and select.select([conn.sock], [], [], 0.1)[0]:
                        break
            except (BrokenPipeError, ConnectionResetError):
                # The server answered and closed between two drips (a busy client can miss the 100 ms window):
                # its answer is still in the socket, read below like any other.
                pass
            conn.sock.settimeout(LIMITS["read_timeout"] + 8)
            status, rid, body = conn.receive()
            elapsed = time.monotonic() - started
            problem = self.expect_error("read_timeout")(status, body)
            if rid != CONNECTION_ID:
                problem = f"id {rid:#x}"
            elif not LIMITS["read_timeout"] - 0.3 <= elapsed <= LIMITS["read_timeout"] + 3:
                problem = f"read_timeout after {elapsed:.2f} s"
            elif not conn.at_eof(5):
                problem = "not closed after read_timeout"
            self.tally.outcome(kind, problem, error_code(body), closed=True)
        except (OSError, Closed, ValueError) as error:
            self.tally.outcome(kind, f"{type(error).__name__}: {error}", lost=1)
        finally:
            conn.close()

    def drip_ok_case(self):
        """Three short frames (9, 11, 9 bytes), one byte per 100 ms on a fixed schedule and 300 ms between frames:
        each completes within about 1.1 s < --read-timeout, so each must be answered. This client shares one GIL with
        a dozen busy threads, so the time each frame really took to send is measured: read_timeout is the right
        answer to a frame that took longer than --read-timeout (and the close ends the case), the wrong one to a frame
        that did not. (The pause keeps the end of one frame and the start of the next out of one read: see
        probe_frame_carry for what happens then.)"""
        kind = "slow_drip_ok"
        conn = self.connect()
        frames = [conn.frame(OP_PING), conn.frame(OP_LOOKUP, b"[]"), conn.frame(OP_PING)]
        wants = ({"pong": True}, {"results": []}, {"pong": True})
        spans = []  # seconds each frame took to send; a last, partial one when the server closed meanwhile
        try:
            for frame, _ in frames:
                time.sleep(0.3)
                began = time.monotonic()
                for i in range(len(frame)):
                    time.sleep(max(0.0, began + 0.1 * i - time.monotonic()))
                    conn.send(frame[i:i + 1])
                spans.append(time.monotonic() - began)
        except OSError:
            spans.append(time.monotonic() - began)
        self.tally.sent(kind, len(spans))
        for k, span in enumerate(spans):
            try:
                status, rid, body = conn.receive()
            except (OSError, Closed, ValueError) as error:
                self.tally.outcome(kind, f"{type(error).__name__}: {error}; frames sent in {spans}",
                                   lost=len(spans) - k)
                break
            if status == 1 and rid == CONNECTION_ID and error_code(body) == "read_timeout":
                fair = span > LIMITS["read_timeout"] - 0.2
                self.tally.outcome(kind, None if fair else f"read_timeout for a frame sent in {span:.2f} s",
                                   "read_timeout", closed=True)
                for _ in spans[k + 1:]:  # sent after the close had been decided
                    self.tally.outcome(kind, None if fair else "not answered", closed=True)
                break
            ok = status == 0 and rid == frames[k][1] and body == wants[k]
            self.tally.outcome(kind, None if ok else f"{status} {rid:#x} {body} (sent in {span:.2f} s)")
        conn.close()

    def idle_case(self):
        """A connection that sends nothing is closed silently after --idle-timeout."""
        conn = self.connect()
        self.tally.sent("slow_idle")
        started = time.monotonic()
        closed = conn.at_eof(LIMITS["idle_timeout"] + 5)
        elapsed = time.monotonic() - started
        ok = closed and LIMITS["idle_timeout"] - 0.3 <= elapsed <= LIMITS["idle_timeout"] + 3
        self.tally.outcome("slow_idle", None if ok else f"closed={closed} after {elapsed:.2f} s", closed=closed)
        conn.close()

    def http_raw_case(self, kind, data, drip, want_status):
        """Raw bytes to the HTTP port (at once, or one byte per 100 ms until an answer comes), then reads the answer
        and the close. A client still sending when the server closes may get a reset instead of the answer (TCP
        discards unread data on a reset; PROTOCOL.md says so of 413): `reset` is accepted where want_status says."""
        with self.gate.shared():
            sock = socket.create_connection(("127.0.0.1", self.http_port), timeout=LIMITS["read_timeout"] + 8)
        self.tally.sent(kind)
        answer, status = b"", None
        started = time.monotonic()
        try:
            for i in range(len(data) if drip else 1):
                sock.sendall(data[i:i + 1] if drip else data)
                if drip and select.select([sock], [], [], 0.1)[0]:
                    break
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                answer += chunk
        except (ConnectionResetError, BrokenPipeError):
            status = "reset"
        except OSError as error:
            self.tally.outcome(kind, f"{type(error).__name__}: {error}", lost=1)
            sock.close()
            return
        sock.close()
        elapsed = time.monotonic() - started
        if answer.startswith(b"HTTP/1.1 "):
            status = answer.split(b" ", 2)[1].decode()
        status = status or ("reset" if not answer else "garbled")
        problem = None if status in want_status else f"HTTP {status} after {elapsed:.2f} s: {answer[:200]!r}"
        if status in ("408", "reset") and not LIMITS["read_timeout"] - 0.3 <= elapsed <= LIMITS["read_timeout"] + 3:
            problem = f"{status} after {elapsed:.2f} s"
        self.tally.outcome(kind, problem, f"http_{status}", closed=True)

    def slow_worker(self, index):
        """Slow clients, in turn; a case only starts when it can finish before the end of the run."""
        header_stall = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "
        body_stall = b"POST /v1/lookup HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n[{\"alg"
        drip_get = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
        long_frame = HEADER.pack(5 + 80, OP_LOOKUP, 9) + b"[" + b" " * 78 + b"]"
        cases = [
            lambda: self.stall_case("slow_half_frame", HEADER.pack(105, OP_LOOKUP, 5) + b"[" * 20),
            lambda: self.stall_case("slow_half_header", b"\x00\x00\x00"),
            self.drip_ok_case,
            lambda: self.stall_case("slow_drip_long_frame", long_frame, drip=True),
            self.idle_case,
            lambda: self.http_raw_case("slow_http_header_stall", header_stall, False, ("408",)),
            lambda: self.http_raw_case("slow_http_body_stall", body_stall, False, ("408",)),
            # Headers one byte per 100 ms (6 s in all): --read-timeout bounds the whole head, as for a frame: 408.
            lambda: self.http_raw_case("slow_http_drip", drip_get, True, ("408", "reset")),
        ]
        position = index
        while self.running(need=12):
            cases[position % len(cases)]()
            position += 1

    # ---------------------------------------------------------------- floods

    def flood_worker(self, index):
        """Every ~7 s: more connections than --max-connections; the excess must get `overloaded` and a close."""
        extra = 8
        time.sleep(3)
        while self.running(need=15):
            with self.gate.exclusive():
                self.flood_once(LIMITS["max_connections"] + extra, extra)
            for _ in range(70):
                if not self.running(need=15):
                    return
                time.sleep(0.1)

    def flood_once(self, count, extra):
        """One flood, with the gate held (no other workload connects meanwhile): `count` connections, then a ping on
        each: an admitted one answers pong, the excess gets `overloaded` (id 0xFFFFFFFF) and EOF. A watcher connection
        opened first asks stats before, while full and after; it is kept busy, since the server closes connections
        idle for --idle-timeout (and a new one could not be opened while the server is full)."""
        watcher = Conn(self.socket_path, 10)

        def stats():
            watcher.send(watcher.frame(OP_STATS)[0])
            return watcher.receive()[2]

        conns, admitted, refused, started = [], 0, 0, time.monotonic()
        counted = False  # whether the while-full check has been counted as sent
        try:
            before = stats()
            for _ in range(count):  # all connections first, then a ping on each, then the answers: one round trip
                self.tally.sent("flood")
                try:
                    conns.append(Conn(self.socket_path, 10))
                except OSError as error:
                    self.tally.outcome("flood", f"connect: {error}", lost=1)
            pings = []
            for conn in conns:
                pings.append(conn.frame(OP_PING))
                with contextlib.suppress(OSError):  # a refused connection may be closed already
                    conn.send(pings[-1][0])
            for conn, (_, ping_id) in zip(conns, pings):
                try:
                    status, rid, body = conn.receive()
                except (OSError, Closed, ValueError) as error:
                    self.tally.outcome("flood", f"{type(error).__name__}: {error}", lost=1)
                    continue
                if status == 0 and rid == ping_id and body == {"pong": True}:
                    admitted += 1
                    self.tally.outcome("flood", None)
                elif error_code(body) == "overloaded" and rid == CONNECTION_ID:
                    refused += 1
                    eof = conn.at_eof(5)
                    self.tally.outcome("flood", None if eof else "refused but not closed", "overloaded", closed=True)
                else:
                    self.tally.outcome("flood", f"answered {status} {rid:#x} {body}")
                if time.monotonic() - watcher.used > 1:
                    stats()
            took = time.monotonic() - started
            # While full: never past the limit, and at least `extra` refused (the watcher holds a slot too, so even if
            # every other client closed meanwhile). Only judged when the flood took less than --idle-timeout - 1 s:
            # after that the server may rightly close an admitted flood connection as idle, making room.
            self.tally.sent("flood")
            counted = True
            full, problem, quick = stats(), None, took < LIMITS["idle_timeout"] - 1
            if full["connections"] > LIMITS["max_connections"] or refused < extra and quick:
                problem = (f"{admitted} admitted, {refused} refused, {full['connections']} open, "
                           f"{before['connections']} before, in {took:.1f} s")
            self.tally.outcome("flood", problem, None if quick else "slow_flood_not_judged")
        except (OSError, Closed, ValueError) as error:
            if not counted:
                self.tally.sent("flood")
            self.tally.outcome("flood", f"watcher: {type(error).__name__}: {error}", lost=1)
            close_all(watcher, *conns)
            return
        close_all(*conns)
        # Recovery: once the server has seen the closes, a new connection and a lookup work.
        started = time.monotonic()
        self.tally.sent("flood_recovery")
        problem = "connections did not drop back within 10 s"
        while time.monotonic() - started < 10:
            try:
                if stats()["connections"] <= before["connections"]:
                    probe = Conn(self.socket_path, 10)
                    payload, expected = self.lookup_items(random.Random(len(self.samples)))
                    probe.send(probe.frame(OP_LOOKUP, payload)[0])
                    status, _, body = probe.receive()
                    probe.close()
                    problem = self.lookup_check(expected)(status, body)
                    break
            except (OSError, Closed, ValueError) as error:
                problem = f"{type(error).__name__}: {error}"
                break
            time.sleep(0.05)
        self.tally.outcome("flood_recovery", problem, latency=time.monotonic() - started)
        watcher.close()

    # ---------------------------------------------------------------- reloads and admin changes

    def reload_check(self, status, body):
        if status != 0:
            return f"reload answered {body}"
        if sorted(body.get("sets", [])) != self.set_names or body.get("issues") != []:
            return f"reload: sets {body.get('sets')} issues {body.get('issues')}"
        return None

    def reload_worker(self, index):
        """Every ~2 s, in turn: the reload op, SIGHUP, POST /v1/reload, a changed file (the folder watcher), and a
        file that is no hash-set file (reload_failed, the old index stays: the other workloads keep checking
        answers meanwhile; then it is removed and a reload succeeds). A stats request each time."""
        conn, step, web = None, 0, Http(self)
        touched = os.path.join(self.sets, "benign-imported.hashset")
        broken = os.path.join(self.sets, "soak-broken.hashset")
        while self.running(need=8):
            conn = self.fresh(conn, admin=True)
            which = step % 5
            if which == 0:
                conn = self.exchange(conn, "reload", [(OP_RELOAD, b"", self.reload_check)])
            elif which == 1:
                self.reload_after("sighup", lambda: os.kill(self.server.pid, signal.SIGHUP), 5)
            elif which == 2:
                web.call("http_reload", "POST", "/v1/reload", None, {"authorization": f"Bearer {self.token}"},
                         lambda s, b: None if s == 200 and not self.reload_check(0, b) else f"HTTP {s} {b}")
            elif which == 3:
                def touch():
                    with open(touched, "a") as f:
                        f.write(f"# touched by Scripts/soak, step {step}\n")
                self.reload_after("watch_reload", touch, 2 * 2 + 3)  # --watch-interval 2 (the default)
            else:
                try:
                    with open(broken, "w") as f:
                        f.write("this is not a hash-set file\n")
                    conn = self.exchange(conn, "reload_broken_file",
                                         [(OP_RELOAD, b"", self.expect_error("reload_failed"))])
                finally:
                    os.remove(broken)
                conn = self.fresh(conn, admin=True)
                conn = self.exchange(conn, "reload", [(OP_RELOAD, b"", self.reload_check)])
            conn = self.fresh(conn, admin=True)
            conn = self.exchange(conn, "stats", [(OP_STATS, b"", self.stats_check)])
            step += 1
            time.sleep(2)
        close_all(conn, web)

    def stats_check(self, status, body):
        if status != 0 or body.get("ready") is not True or sorted(body.get("sets", [])) != self.set_names:
            return f"stats: {body}"
        return None

    def reloads_ok(self):
        """hashmatch_reloads_total{status="ok"} from /metrics."""
        with self.gate.shared():
            status, _, text = http_get(self.http_port, "/metrics")
        found = re.search(r'^hashmatch_reloads_total\{status="ok"\} (\d+)', text.decode(), re.M)
        return int(found.group(1)) if status == 200 and found else 0

    def reload_after(self, kind, trigger, timeout):
        """trigger(), then /metrics until the count of successful reloads grows. (The other reloads are this thread's
        own, finished by then, and the watcher's, which the server's own admin writes do not trigger.)"""
        self.tally.sent(kind)
        try:
            before, started = self.reloads_ok(), time.monotonic()
            trigger()
            while time.monotonic() - started < timeout and self.reloads_ok() <= before:
                time.sleep(0.05)
            problem = None if self.reloads_ok() > before else f"no reload within {timeout} s"
            self.tally.outcome(kind, problem, latency=time.monotonic() - started)
        except (OSError, http.client.HTTPException) as error:
            self.tally.outcome(kind, f"{error}", lost=1)

    def admin_worker(self, index):
        """Adds (new, or again identically: `unchanged`) and removes scratch entries, over the framed protocol and
        HTTP in turn; after each acknowledged change, a lookup on another connection must see it (read-your-writes).
        self.scratch holds what the acknowledged changes imply, for the check of the file at the end."""
        rng, admin, reader, web = random.Random(self.args.seed * 43 + index), None, None, Http(self)
        serial = 0
        while self.running():
            serial += 1
            removable = [i for i in self.scratch if i != "soak-dup"]
            r = rng.random()
            if removable and r < 0.35:
                entry_id = rng.choice(removable)
                hex_hash, want, member = self.scratch[entry_id], [], "removed"
                body = {"set": "soak-scratch", "ids": [entry_id]}
            else:
                if removable and r < 0.45:
                    entry_id, member = rng.choice(removable), "unchanged"
                    hex_hash = self.scratch[entry_id]
                else:
                    entry_id, hex_hash, member = f"s-{serial}", rng.randbytes(32).hex(), "added"
                want = [("soak-scratch", entry_id, "pdq", 0)]
                body = {"set": "soak-scratch",
                        "entries": [{"id": entry_id, "algorithm": "pdq", "hash": hex_hash, "labels": ["soak"]}]}
            acknowledged = []
            check = self.change_check(member, acknowledged)
            kind = "remove" if member == "removed" else "add"
            if serial % 2:
                admin = self.fresh(admin, admin=True)
                opcode = OP_REMOVE_ENTRIES if kind == "remove" else OP_ADD_ENTRIES
                admin = self.exchange(admin, kind, [(opcode, json.dumps(body).encode(), check)])
            else:
                web.call(f"http_{kind}", "DELETE" if kind == "remove" else "POST", "/v1/entries",
                         json.dumps(body).encode(),
                         {"authorization": f"Bearer {self.token}", "content-type": "application/json"},
                         lambda s, b: check(0 if s == 200 else 1, b))
            if acknowledged:
                with self.scratch_lock:
                    if kind == "remove":
                        del self.scratch[entry_id]
                    else:
                        self.scratch[entry_id] = hex_hash
                reader = self.fresh(reader)
                payload = json.dumps([{"algorithm": "pdq", "hash": hex_hash}]).encode()
                reader = self.exchange(reader, "rw_lookup",
                                       [(OP_LOOKUP, payload, self.lookup_check([("pdq", hex_hash, want)]))])
            time.sleep(0.05)
        close_all(admin, reader, web)

    @staticmethod
    def change_check(member, acknowledged):
        """An add/remove answer: `member` (added, unchanged or removed) must be 1."""
        def check(status, body):
            if status != 0 or body.get(member) != 1 or body.get("set") != "soak-scratch":
                return f"{member}: {body}"
            if member == "added" and body.get("unchanged") != 0 or member == "unchanged" and body.get("added") != 0:
                return f"{member}: {body}"
            acknowledged.append(True)
            return None
        return check

    # ---------------------------------------------------------------- HTTP

    def http_worker(self, index):
        """The HTTP API: valid requests with known answers and the documented error statuses."""
        rng, web = random.Random(self.args.seed * 47 + index), Http(self)
        json_headers = {"content-type": "application/json"}
        admin_headers = dict(json_headers, authorization=f"Bearer {self.token}")
        while self.running():
            image = rng.choice(self.images)
            want = 422 if image["code"] else 200  # or 503 overloaded (image_check accepts that code)
            check_image = self.image_check(image)
            web.call("http_match", "POST", "/v1/match", image["data"], {},
                     lambda s, b: check_image(0 if s == 200 else 1, b) if s in (want, 503) else f"HTTP {s}")
            payload, expected = self.lookup_items(rng)
            check_lookup = self.lookup_check(expected)
            web.call("http_lookup", "POST", "/v1/lookup", payload, json_headers,
                     lambda s, b: check_lookup(0, b) if s == 200 else f"HTTP {s} {b}")
            web.call("http_healthz", "GET", "/healthz", None, {},
                     lambda s, b: None if s == 200 and b == {"status": "ok"} else f"HTTP {s} {b}")
            case = rng.randrange(14)
            if case == 0:
                web.call("http_readyz", "GET", "/readyz", None, {},
                         lambda s, b: None if s == 200 and b.get("ready") is True else f"HTTP {s} {b}")
            elif case == 1:
                web.call("http_metrics", "GET", "/metrics", None, {},
                         lambda s, b: None if s == 200 and "hashmatch_requests_total" in b else f"HTTP {s}", raw=True)
            elif case == 2:
                web.call("http_bad_hash", "POST", "/v1/lookup", b'[{"algorithm":"pdq","hash":"zz"}]', json_headers,
                         http_error(400, "bad_hash"))
            elif case == 3:
                web.call("http_not_found", "GET", "/v1/nope", None, {}, http_error(404, "not_found"))
            elif case == 4:
                web.call("http_method_not_allowed", "GET", "/v1/match", None, {},
                         http_error(405, "method_not_allowed"))
            elif case == 5:
                web.call("http_forbidden", "POST", "/v1/reload", None, {}, http_error(403, "forbidden"))
            elif case == 6:
                web.call("http_unauthorized", "GET", "/v1/stats", None, {"authorization": "Bearer wrong"},
                         http_error(401, "unauthorized"))
            elif case == 7:
                check_garbage = self.image_check(self.expected["garbage.bin"])
                web.call("http_bad_image", "POST", "/v1/match", self.garbage, {},
                         lambda s, b: check_garbage(1, b) if s in (422, 503) else f"HTTP {s}")
            elif case == 8:
                web.too_large(LIMITS["max_frame_bytes"] + 1)
            elif case == 9:
                check_hash = self.image_check(image, hashing=True)
                web.call("http_hash", "POST", "/v1/hash", image["data"], {},
                         lambda s, b: check_hash(0 if s == 200 else 1, b) if s in (want, 503) else f"HTTP {s}")
            elif case == 10:
                web.call("http_ping", "GET", "/v1/ping", None, {},
                         lambda s, b: None if s == 200 and b == {"pong": True} else f"HTTP {s} {b}")
            elif case == 11:
                web.call("http_bad_entries", "POST", "/v1/entries", b'{"set":', admin_headers,
                         http_error(400, "bad_request"))
            elif case == 12:
                web.call("http_no_such_set", "DELETE", "/v1/entries", b'{"set":"soak-absent","ids":["x"]}',
                         admin_headers, http_error(404, "no_such_set"))
            else:
                body = {"set": "soak-scratch", "entries": [{"id": "soak-dup", "algorithm": "pdq", "hash": "cd" * 32}]}
                web.call("http_duplicate_id", "POST", "/v1/entries", json.dumps(body).encode(), admin_headers,
                         http_error(409, "duplicate_id"))
        web.close()

    # ---------------------------------------------------------------- probes of bugs the first runs found

    def probe_non_reader(self, kind, http_port=None):
        """A client that pipelines lookups with large answers (~60 KB for a 13 KB request) and never reads. Per
        PROTOCOL.md ("Nothing queues without bound") its writes must soon block; fails when the server instead
        keeps reading and buffering answers (stops at +200 MB of server RSS or after 5 s)."""
        items = json.dumps([{"algorithm": "md5", "hash": self.md5_entries[0][0]}] * 200).encode()
        if http_port:
            sock = socket.create_connection(("127.0.0.1", http_port), timeout=1)
            request = b"POST /v1/lookup HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: %d\r\n\r\n" % len(items) + items
        else:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(1)
            sock.connect(self.socket_path)
            request = HEADER.pack(5 + len(items), OP_LOOKUP, 1) + items
        rss_before, sent, started, blocked = self.sample()[0], 0, time.monotonic(), False
        self.tally.sent(kind)
        try:
            while time.monotonic() - started < 5 and self.sample()[0] - rss_before < 200 << 10:
                sock.sendall(request * 10)
                sent += 10
        except socket.timeout:
            blocked = True
        grown = (self.sample()[0] - rss_before) / 1024
        sock.close()
        problem = None if blocked and grown < 64 else (
            f"{sent} requests ({sent * len(request) / 1e6:.0f} MB) accepted from a client that reads nothing, "
            f"writes {'blocked' if blocked else 'never blocked'}; server RSS +{grown:.0f} MB")
        self.tally.outcome(kind, problem)

    def probe_frame_carry(self):
        """Six pings (9 bytes each) sent 3 bytes per 200 ms, starting with 4 bytes, so that one write always holds the
        end of a frame and the start of the next. Each frame takes ~0.6 s (< --read-timeout), so all six must be
        answered; fails when the server answers read_timeout because it timed the frames together (the partial-frame
        clock is not restarted when a frame completes in a read that also begins the next one)."""
        conn = self.connect()
        stream = b"".join(conn.frame(OP_PING)[0] for _ in range(6))
        pieces = [stream[:4]] + [stream[i:i + 3] for i in range(4, len(stream), 3)]
        self.tally.sent("probe_frame_carry")
        answers, started = [], time.monotonic()
        with contextlib.suppress(OSError):
            for piece in pieces:
                conn.send(piece)
                time.sleep(0.2)
        conn.sock.settimeout(5)
        with contextlib.suppress(OSError, Closed, ValueError):
            while len(answers) < 6 and not (answers and answers[-1][0]):
                answers.append(conn.receive())
        conn.close()
        pongs = sum(1 for status, _, body in answers if status == 0 and body == {"pong": True})
        self.tally.outcome("probe_frame_carry", None if pongs == 6 else
                           f"{pongs} of 6 pings answered, then {[error_code(b) for s, _, b in answers if s]} after "
                           f"{time.monotonic() - started:.1f} s; each frame took ~0.6 s to send")

    def probe_http_body_trickle(self):
        """An HTTP body sent one byte per 0.5 s (each gap under --read-timeout): the request is not finished within
        --read-timeout, so (as for a frame, and as HTTPHandler's own comment says) it should get 408 and a close.
        Fails when it is still open read_timeout + 4 s after the body began."""
        body = b"[" + b" " * 40 + b"]"
        sock = socket.create_connection(("127.0.0.1", self.http_port), timeout=10)
        sock.sendall(b"POST /v1/lookup HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: %d\r\n\r\n" % len(body))
        self.tally.sent("probe_http_body_trickle")
        started, answer = time.monotonic(), b""
        try:
            for i in range(len(body)):
                if time.monotonic() - started > LIMITS["read_timeout"] + 4:
                    break
                sock.sendall(body[i:i + 1])
                if select.select([sock], [], [], 0.5)[0]:
                    answer = sock.recv(65536)
                    break
        except OSError as error:
            answer = f"{error}".encode()
        elapsed = time.monotonic() - started
        sock.close()
        ok = answer.startswith(b"HTTP/1.1 408") or not answer and elapsed <= LIMITS["read_timeout"] + 3
        self.tally.outcome("probe_http_body_trickle", None if ok else
                           f"after {elapsed:.1f} s of a trickled body: {answer[:40]!r} (no 408, not closed)")

    # ---------------------------------------------------------------- the whole run

    def run(self):
        self.prepare()
        self.start_server()
        time.sleep(0.5)
        self.rss_start_fds = self.sample()[1]
        log(f"server pid {self.server.pid} ready; {self.rss_start_fds} fds before any client; "
            f"running {self.args.seconds} s")
        started = time.monotonic()
        self.stop_at = started + self.args.seconds
        workloads = [(self.match_worker, 2), (self.lookup_worker, 2), (self.invalid_worker, 1),
                     (self.slow_worker, 2), (self.flood_worker, 1), (self.reload_worker, 1),
                     (self.admin_worker, 1), (self.http_worker, 1)]
        threads = [threading.Thread(target=self.monitor, args=(started,), daemon=True)]
        for function, copies in workloads:
            for i in range(copies):
                threads.append(threading.Thread(target=self.guard, args=(function, i), daemon=True,
                                                name=f"{function.__name__}-{i}"))
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=max(1, self.stop_at - time.monotonic()) + 60)
            if thread.is_alive():
                self.reasons.append(f"workload {thread.name} did not stop within 60 s of the end")
        self.finish(started)

    def guard(self, function, index):
        try:
            function(index)
        except Exception as error:  # a bug in this script, or a server that broke a workload badly
            self.reasons.append(f"{function.__name__}-{index} crashed: {type(error).__name__}: {error}")

    def finish(self, started):
        """After the workloads: end RSS and fds, SIGTERM, and the folder check."""
        warm_at = max(3.0, self.args.seconds * 0.1)
        warm = next((s for s in self.samples if s[0] >= warm_at), self.samples[-1] if self.samples else None)
        end_rss, end_fds = self.sample() if self.server.poll() is None else (0, 0)
        for _ in range(100):  # the server closes connections asynchronously: let the fd count settle
            if self.server.poll() is not None or end_fds <= self.rss_start_fds + BOUNDS["fd_slack"]:
                break
            time.sleep(0.1)
            end_rss, end_fds = self.sample()
        if self.server.poll() is None:  # after the RSS figures: they cost memory
            self.probe_non_reader("probe_non_reader")
            self.probe_non_reader("probe_http_non_reader", self.http_port)
            self.probe_http_body_trickle()
            self.probe_frame_carry()
        self.figures = {
            "seconds": self.args.seconds, "elapsed": round(time.monotonic() - started, 1),
            "rss_kib": {"warm": warm[1] if warm else 0, "max": max((s[1] for s in self.samples), default=0),
                        "end": end_rss},
            "fds": {"start": self.rss_start_fds, "max": max((s[2] for s in self.samples), default=0), "end": end_fds},
        }
        self.stop_server()
        self.check_folder()
        self.judge()

    def stop_server(self):
        started = time.monotonic()
        if self.server.poll() is None:
            self.server.send_signal(signal.SIGTERM)
        try:
            code = self.server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.server.kill()
            code = self.server.wait()
        took = time.monotonic() - started
        self.figures["sigterm"] = {"exit": code, "seconds": round(took, 2),
                                   "socket_removed": not os.path.exists(self.socket_path)}
        if code != 0 or took > BOUNDS["sigterm_s"]:
            self.reasons.append(f"SIGTERM: exit {code} after {took:.1f} s (want 0 within {BOUNDS['sigterm_s']} s)")
        if os.path.exists(self.socket_path):
            self.reasons.append("the socket file is still there after shutdown")

    def check_folder(self):
        """`hashset stats` must load the folder; the scratch set must hold exactly the acknowledged changes."""
        stats = subprocess.run([self.args.binary, "hashset", "stats", "--hashsets", self.sets],
                               capture_output=True, text=True)
        records = {}
        for line in stats.stdout.splitlines():
            with contextlib.suppress(ValueError):
                record = json.loads(line)
                records[record["set"]] = record
        exported = subprocess.run([self.args.binary, "hashset", "export", "--hashsets", self.sets, "soak-scratch"],
                                  capture_output=True, text=True)
        on_disk = {}
        for line in exported.stdout.splitlines():
            fields = line.split()
            if len(fields) >= 3 and not line.startswith("#"):
                on_disk[fields[2]] = fields[1]
        scratch = records.get("soak-scratch", {}).get("entries")
        self.figures["folder"] = {"stats_exit": stats.returncode, "scratch_entries": scratch,
                                  "acknowledged": len(self.scratch), "random_entries":
                                  records.get("soak-random", {}).get("entries")}
        if stats.returncode != 0 or exported.returncode != 0:
            self.reasons.append(f"hashset stats exited {stats.returncode}, export {exported.returncode}: "
                                f"{stats.stderr[-500:]}{exported.stderr[-500:]}")
        if on_disk != self.scratch or scratch != len(self.scratch):
            missing = sorted(set(self.scratch) - set(on_disk))[:5]
            unexpected = sorted(set(on_disk) - set(self.scratch))[:5]
            self.reasons.append(f"scratch set: {scratch} entries on disk, {len(self.scratch)} acknowledged "
                                f"(missing {missing}, unexpected {unexpected})")
        if records.get("soak-random", {}).get("entries") != len(self.random_entries):
            self.reasons.append("soak-random changed")

    def judge(self):
        kinds = self.tally.kinds
        for kind, k in kinds.items():
            if k["lost"] or k["wrong"]:
                self.reasons.append(f"{kind}: {k['lost']} lost, {k['wrong']} wrong")
            if k["sent"] != k["ok"] + k["wrong"] + k["lost"]:
                self.reasons.append(f"{kind}: {k['sent'] - k['ok'] - k['wrong'] - k['lost']} requests unaccounted")
        for kind in ("match", "hash", "lookup", "flood", "reload", "sighup", "add", "remove", "rw_lookup", "stats",
                     "http_match", "http_lookup", "slow_half_frame", "slow_drip_ok", "slow_idle"):
            if not kinds.get(kind, {}).get("ok") and self.args.seconds >= 30:
                self.reasons.append(f"no successful {kind} request: the workload did not run")
        for kind in ("lookup", "http_lookup", "rw_lookup"):
            p99 = percentile(kinds.get(kind, {}).get("latency", []), 0.99)
            if p99 > BOUNDS["lookup_p99_s"]:
                self.reasons.append(f"{kind} p99 {p99 * 1000:.0f} ms > {BOUNDS['lookup_p99_s'] * 1000:.0f} ms")
        rss = self.figures["rss_kib"]
        allowed = rss["warm"] + max(BOUNDS["rss_mb"] * 1024, rss["warm"] * BOUNDS["rss_fraction"])
        self.figures["rss_kib"]["allowed_end"] = int(allowed)
        if rss["end"] > allowed:
            self.reasons.append(f"end RSS {rss['end'] / 1024:.1f} MB > warm {rss['warm'] / 1024:.1f} MB + bound")
        fds = self.figures["fds"]
        if fds["end"] > fds["start"] + BOUNDS["fd_slack"]:
            self.reasons.append(f"fds: {fds['end']} at the end, {fds['start']} at the start (fd leak?)")


class Http:
    """A keep-alive HTTP/1.1 client for the soak's HTTP port (reconnects when idle, like Soak.fresh)."""

    def __init__(self, soak):
        self.soak = soak
        self.conn = None
        self.used = 0.0

    def _connection(self):
        if self.conn is None or time.monotonic() - self.used > LIMITS["idle_timeout"] / 2:
            self.close()
            with self.soak.gate.shared():
                self.conn = http.client.HTTPConnection("127.0.0.1", self.soak.http_port, timeout=20)
                self.conn.connect()
        self.used = time.monotonic()
        return self.conn

    def call(self, kind, method, path, body, headers, check, raw=False):
        """One request; check(status, JSON or text) -> problem or None."""
        tally = self.soak.tally
        conn = self._connection()
        tally.sent(kind)
        started = time.monotonic()
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
            latency = time.monotonic() - started
            decoded = data.decode() if raw else json.loads(data)
            problem = check(response.status, decoded)
            code = None if raw or response.status == 200 else error_code(decoded)
            tally.outcome(kind, problem, code, latency)
            if response.getheader("connection", "").lower() == "close":
                self.close()
        except (OSError, http.client.HTTPException, ValueError) as error:
            tally.outcome(kind, f"{type(error).__name__}: {error}", lost=1)
            self.close()

    def too_large(self, length):
        """A Content-Length over --max-frame-bytes, no body sent: 413 frame_too_large, then the close."""
        conn = self._connection()
        self.soak.tally.sent("http_too_large")
        try:
            conn.putrequest("POST", "/v1/match")
            conn.putheader("Content-Length", str(length))
            conn.endheaders()
            response = conn.getresponse()
            body = json.loads(response.read())
            closed = response.getheader("connection", "").lower() == "close"
            problem = http_error(413, "frame_too_large")(response.status, body) or (None if closed else "kept open")
            self.soak.tally.outcome("http_too_large", problem, error_code(body), closed=True)
        except (OSError, http.client.HTTPException, ValueError) as error:
            self.soak.tally.outcome("http_too_large", f"{type(error).__name__}: {error}", lost=1)
        self.close()

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def http_error(status, code):
    return lambda s, b: None if s == status and error_code(b) == code else f"HTTP {s} {b}, expected {status} {code}"


def http_get(port, path):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.headers, response.read()
    finally:
        conn.close()


def percentile(values, fraction):
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


# ------------------------------------------------------------------------------------------------ report

def report(soak):
    """The markdown summary; returns the JSON figures."""
    kinds = {}
    print(f"\n### hashmatch serve soak: {soak.args.seconds} s, limits {LIMITS}\n")
    print("| kind | sent | ok | error answers | documented closes | lost | wrong | p50 ms | p99 ms | max ms |")
    print("|---|---:|---:|---|---:|---:|---:|---:|---:|---:|")
    totals = Counter()
    for kind in sorted(soak.tally.kinds, key=lambda k: (k not in VALID_KINDS, k)):
        k = soak.tally.kinds[kind]
        latency = k["latency"]
        codes = ", ".join(f"{c} {n}" for c, n in sorted(k["codes"].items())) or "—"
        timing = (f"{percentile(latency, 0.5) * 1000:.1f} | {percentile(latency, 0.99) * 1000:.1f} | "
                  f"{max(latency) * 1000:.1f}") if latency and kind in VALID_KINDS else "— | — | —"
        print(f"| {kind} | {k['sent']} | {k['ok']} | {codes} | {k['closed']} | {k['lost']} | {k['wrong']} | {timing} |")
        for field in ("sent", "ok", "closed", "lost", "wrong"):
            totals[field] += k[field]
        kinds[kind] = {f: k[f] for f in ("sent", "ok", "closed", "lost", "wrong")}
        kinds[kind]["codes"] = dict(k["codes"])
        if latency:
            kinds[kind].update({"p50_ms": round(percentile(latency, 0.5) * 1000, 2),
                                "p99_ms": round(percentile(latency, 0.99) * 1000, 2),
                                "max_ms": round(max(latency) * 1000, 2)})
    print(f"| **all** | {totals['sent']} | {totals['ok']} | | {totals['closed']} | {totals['lost']} | "
          f"{totals['wrong']} | | | |")
    print("\nok: answered as expected (expected error answers and documented closes included). Each invalid request "
          "is followed by a ping on the same connection, counted under the same kind. Latency: from the write of a "
          "pipelined batch to the parse of each answer (client side, one Python process).")
    figures = soak.figures
    rss, fds, term, folder = figures["rss_kib"], figures["fds"], figures["sigterm"], figures["folder"]
    print("\n| resource | figure |\n|---|---|")
    print(f"| server RSS warm (at {max(3.0, soak.args.seconds * 0.1):.0f} s) / max / end | {rss['warm'] / 1024:.1f} / "
          f"{rss['max'] / 1024:.1f} / {rss['end'] / 1024:.1f} MB (end allowed ≤ {rss['allowed_end'] / 1024:.1f} MB)"
          " |")
    print(f"| server fds before clients / max / end | {fds['start']} / {fds['max']} / {fds['end']} "
          f"(end allowed ≤ {fds['start'] + BOUNDS['fd_slack']}) |")
    print(f"| SIGTERM | exit {term['exit']} after {term['seconds']} s; socket file removed: {term['socket_removed']} |")
    print(f"| folder after the run | `hashset stats` exit {folder['stats_exit']}; soak-scratch "
          f"{folder['scratch_entries']} entries, acknowledged state {folder['acknowledged']}; soak-random "
          f"{folder['random_entries']} |")
    with open("/proc/loadavg") as f:
        print(f"| load average at the end | {' '.join(f.read().split()[:3])} |")
    verdict = "PASS" if not soak.reasons else "FAIL"
    print(f"\n**{verdict}**" + "".join(f"\n- {r}" for r in soak.reasons))
    if soak.tally.problems:
        print("\nFirst problems:" + "".join(f"\n- {p}" for p in soak.tally.problems[:20]))
    return {"verdict": verdict, "reasons": soak.reasons, "limits": LIMITS, "bounds": BOUNDS, "kinds": kinds,
            **figures, "problems": soak.tally.problems, "samples": soak.samples}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build/release/hashmatch"))
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--json", help="write the figures to this file")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (kept anyway on failure)")
    args = parser.parse_args()
    args.binary = os.path.abspath(args.binary)
    if not os.access(args.binary, os.X_OK):
        sys.exit(f"soak: {args.binary} is not an executable (build it: swift build -c release --product hashmatch)")
    os.chdir(ROOT)
    folder = tempfile.mkdtemp(prefix="hashmatch-soak-")
    soak = Soak(args, folder)
    try:
        soak.run()
    finally:
        if soak.server is not None and soak.server.poll() is None:
            soak.server.kill()
            soak.server.wait()
    figures = report(soak)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(figures, f, indent=1)
    if soak.reasons or args.keep:
        log(f"kept {folder} (serve.log, the hash sets)")
    else:
        shutil.rmtree(folder, ignore_errors=True)
    return 1 if soak.reasons else 0


if __name__ == "__main__":
    sys.exit(main())
