#!/usr/bin/env python3
"""End-to-end protocol tests of `hashmatch serve`, written from docs/PROTOCOL.md alone.

Usage:  test_protocol.py [PATH_TO_hashmatch]     (or env HASHMATCH_BIN; default .build/debug/hashmatch)

Starts the real server binary on loopback / a temporary Unix socket, runs every check with bounded
timeouts, prints one line per check and `N passed, M failed` last; exits 1 when any check failed.
"""

import csv
import hashlib
import json
import os
import shutil
import signal
import socket
import stat
import struct
import subprocess
import sys
import tempfile
import threading
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.dont_write_bytecode = True
sys.path.insert(0, HERE)

import client as hm  # noqa: E402
from client import Client, http, encode_frame  # noqa: E402

FIXTURES = os.path.join(ROOT, "Tests", "Fixtures")
IMAGES = os.path.join(FIXTURES, "images")
CLIENT_TOKEN = "client-secret-123"
ADMIN_TOKEN = "admin-secret-456"
TIMEOUT = 10.0

RESULTS = []  # (name, ok, detail)


def check(name):
    def deco(fn):
        fn._check_name = name
        return fn
    return deco


def read(path):
    with open(path, "rb") as f:
        return f.read()


def expected_rows():
    rows = {}
    with open(os.path.join(FIXTURES, "expected.csv")) as f:
        lines = [l for l in f if not l.startswith("#")]
    for r in csv.DictReader(lines):
        rows[r["file"]] = r
    return rows


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def wait_for(pred, timeout, step=0.05):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            v = pred()
            if v:
                return v
        except OSError:
            pass
        time.sleep(step)
    return None


class Server:
    """One `hashmatch serve` process."""

    def __init__(self, binary, workdir, name, hashsets, tcp=True, http_=True, token=True, admin=True, extra=()):
        self.sock_path = os.path.join(workdir, name + ".sock")
        self.port = free_port() if tcp else None
        self.http_port = free_port() if http_ else None
        self.log_path = os.path.join(workdir, name + ".log")
        args = [binary, "serve", "--socket", self.sock_path, "--hashsets", hashsets]
        if tcp:
            args += ["--listen", "127.0.0.1:%d" % self.port]
        if http_:
            args += ["--http", "127.0.0.1:%d" % self.http_port]
        if token:
            tf = os.path.join(workdir, name + ".token")
            with open(tf, "w") as f:
                f.write(CLIENT_TOKEN + "  \n\n")  # trailing spaces/newlines are ignored (doc)
            args += ["--token-file", tf]
        if admin:
            af = os.path.join(workdir, name + ".admin")
            with open(af, "w") as f:
                f.write(ADMIN_TOKEN + "\n")
            args += ["--admin-token-file", af]
        args += list(extra)
        self.args = args
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        ok = wait_for(self._ready, 30)
        if not ok:
            self.stop()
            raise RuntimeError("server %s did not start; log:\n%s" % (name, self.log_text()))

    def _ready(self):
        if self.proc.poll() is not None:
            raise RuntimeError("server exited %s; log:\n%s" % (self.proc.returncode, self.log_text()))
        with Client.unix(self.sock_path, timeout=2) as c:
            if not c.ping().ok:
                return False
        if self.port:
            with Client.tcp("127.0.0.1", self.port, timeout=2) as c:
                c.ping()
        if self.http_port:
            socket.create_connection(("127.0.0.1", self.http_port), timeout=2).close()
        return True

    def log_text(self):
        try:
            return read(self.log_path).decode("utf-8", "replace")[-3000:]
        except OSError:
            return ""

    @property
    def base(self):
        return "http://127.0.0.1:%d" % self.http_port

    def unix(self, timeout=TIMEOUT):
        return Client.unix(self.sock_path, timeout)

    def tcp(self, timeout=TIMEOUT):
        return Client.tcp("127.0.0.1", self.port, timeout)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(25)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.log.close()
        return self.proc.returncode


# ------------------------------------------------------------------------------------------------
class Suite:
    def __init__(self, binary):
        self.binary = binary
        self.work = tempfile.mkdtemp(prefix="pc-", dir="/tmp")
        self.sets = os.path.join(self.work, "sets")
        os.makedirs(self.sets)
        r = subprocess.run([binary, "hashset", "build", IMAGES, "--name", "fixtures", "--hashsets", self.sets],
                           capture_output=True, timeout=120)
        if r.returncode != 0:
            raise RuntimeError("hashset build failed: %s" % r.stderr.decode())
        self.expected = expected_rows()
        self.baseline = read(os.path.join(IMAGES, "baseline.jpg"))
        self.large = read(os.path.join(IMAGES, "large-1024x768.jpg"))
        self.set_text = read(os.path.join(self.sets, "fixtures.hashset")).decode()
        self.main = Server(binary, self.work, "main", self.sets)

    def close(self):
        self.main.stop()

    # -- helpers --
    def authed_tcp(self, token=CLIENT_TOKEN):
        c = self.main.tcp()
        r = c.auth(token)
        assert r.ok, r
        return c

    # ---------------------------------------------------------------------------------------------
    @check("ping: byte-exact worked example on the Unix socket")
    def t_ping_bytes(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(TIMEOUT)
        s.connect(self.main.sock_path)
        s.sendall(bytes.fromhex("00000005" "01" "00000007"))
        want = bytes.fromhex("00000012" "00" "00000007") + b'{"pong":true}'
        got = b""
        while len(got) < len(want):
            chunk = s.recv(100)
            assert chunk, "closed early: %r" % got
            got += chunk
        s.close()
        assert got == want, got

    @check("ping: payload ignored, ids 0 and 0xFFFFFFFE echoed, over TCP with no auth")
    def t_ping_misc(self):
        with self.main.tcp() as c:
            r = c.call(hm.PING, b"whatever", request_id=0)
            assert r.ok and r.body == {"pong": True} and r.request_id == 0, r
            r = c.call(hm.PING, b"", request_id=0xFFFFFFFE)
            assert r.ok and r.request_id == 0xFFFFFFFE, r

    @check("hash: every fixture image matches expected.csv (pdq/phash/dhash/ahash/size/quality) and digests")
    def t_hash_all(self):
        bad = []
        with self.main.unix() as c:
            for name, row in sorted(self.expected.items()):
                data = read(os.path.join(IMAGES, name))
                r = c.hash(data)
                assert r.ok, (name, r)
                b = r.body
                # Known, deliberate divergences from the Pillow/pdqhash references (Tests/Fixtures/README.md,
                # FixtureHashTests): 16-bit grey is scaled, not clamped; pdqhash 0.2.8 differs under 64 px a side.
                if name == "grey16.png":
                    continue
                small = int(row["width"]) < 64 or int(row["height"]) < 64
                for k in ("pdq", "phash", "dhash", "ahash"):
                    if k == "pdq" and small:
                        continue
                    if b.get(k) != row[k]:
                        bad.append("%s %s: got %s want %s" % (name, k, b.get(k), row[k]))
                for k in ("width", "height", "pdq_quality"):
                    if k == "pdq_quality" and small:
                        continue
                    if b.get(k) != int(row[k]):
                        bad.append("%s %s: got %s want %s" % (name, k, b.get(k), row[k]))
                for k, fn in (("md5", hashlib.md5), ("sha1", hashlib.sha1), ("sha256", hashlib.sha256)):
                    if b.get(k) != fn(data).hexdigest():
                        bad.append("%s %s mismatch" % (name, k))
                assert "matches" not in b, "hash answer carries matches: %s" % name
        assert not bad, bad

    @check("hash: answer equals a `hashmatch hash --format jsonl` line without path, for every fixture")
    def t_hash_cli(self):
        names = sorted(self.expected)
        out = subprocess.run([self.binary, "hash", "--format", "jsonl"] + [os.path.join(IMAGES, n) for n in names],
                             capture_output=True, timeout=60).stdout.decode().splitlines()
        assert len(out) == len(names), out
        with self.main.unix() as c:
            for name, line in zip(names, out):
                cli = json.loads(line, object_pairs_hook=list)
                cli = [(k, v) for k, v in cli if k != "path"]
                r = c.hash(read(os.path.join(IMAGES, name)))
                got = json.loads(r.raw, object_pairs_hook=list)
                assert got == cli, (name, got, cli)

    @check("hash: members in the documented order, lowercase hex of documented lengths")
    def t_hash_shape(self):
        with self.main.unix() as c:
            r = c.hash(self.baseline)
        keys = list(json.loads(r.raw, object_pairs_hook=lambda p: [k for k, _ in p]))
        want = ["width", "height", "pdq", "pdq_quality", "phash", "dhash", "ahash", "md5", "sha1", "sha256"]
        assert keys[: len(want)] == want, keys
        lens = {"pdq": 64, "phash": 16, "dhash": 16, "ahash": 16, "md5": 32, "sha1": 40, "sha256": 64}
        for k, n in lens.items():
            v = r.body[k]
            assert len(v) == n and v == v.lower() and all(ch in "0123456789abcdef" for ch in v), (k, v)

    @check("match: baseline.jpg matches its md5 and pdq entries at distance 0, digests first")
    def t_match(self):
        with self.main.unix() as c:
            r = c.match(self.baseline)
        assert r.ok, r
        m = r.body["matches"]
        assert m, r
        for e in m:
            assert set(e) >= {"set", "id", "labels", "algorithm", "distance", "variant"}, e
            assert e["set"] == "fixtures", e
        algs = {e["algorithm"]: e for e in m}
        assert algs.get("md5", {}).get("distance") == 0, m
        assert algs.get("pdq", {}).get("distance") == 0, m
        assert "baseline.jpg" in algs["md5"]["id"] and "baseline.jpg" in algs["pdq"]["id"], m
        digest_pos = [i for i, e in enumerate(m) if e["algorithm"] in ("md5", "sha1", "sha256")]
        percep_pos = [i for i, e in enumerate(m) if e["algorithm"] not in ("md5", "sha1", "sha256")]
        assert not digest_pos or not percep_pos or max(digest_pos) < min(percep_pos), m
        bits = {"pdq": 256, "phash": 64, "dhash": 64, "ahash": 64}
        rel = [e["distance"] / bits[e["algorithm"]] for e in m if e["algorithm"] in bits]
        assert rel == sorted(rel), m
        for k in ("pdq", "phash", "dhash", "ahash", "md5", "sha1", "sha256"):
            assert k in r.body, k

    @check("match: an image not in the set answers matches: [] (status 0)")
    def t_match_none(self):
        # a fresh PNG the set has never seen (solid colour, built here)
        png = make_png(40, 30, lambda x, y: (x * 6 % 256, (y * 8) % 256, (x * y) % 256))
        with self.main.unix() as c:
            r = c.match(png)
        assert r.ok, r
        assert isinstance(r.body["matches"], list), r
        assert not any(e["algorithm"] in ("md5", "sha1", "sha256") for e in r.body["matches"]), r

    @check("match: PDQ quality below the gate -> hash reported, not matched, `notes` says so")
    def t_notes(self):
        data = read(os.path.join(IMAGES, "gradient-rgb.png"))  # pdq_quality 45
        with self.main.unix() as c:
            r = c.match(data)
        assert r.ok and r.body["pdq_quality"] < 50 and len(r.body["pdq"]) == 64, r
        assert not any(e["algorithm"] == "pdq" for e in r.body["matches"]), r
        assert r.body.get("notes"), r
        self.note_notes_shape = json.dumps(r.body.get("notes"))[:200]

    @check("hash/match: undecodable bytes -> status 1, image_* code, digests still present")
    def t_undecodable(self):
        junk = b"this is not an image at all\n" * 10
        trunc = self.baseline[: len(self.baseline) // 2]
        with self.main.unix() as c:
            for data, op in ((junk, hm.HASH), (trunc, hm.HASH), (junk, hm.MATCH), (trunc, hm.MATCH)):
                r = c.call(op, data)
                assert r.status == 1, r
                assert (r.error_code or "").startswith("image_"), r
                assert r.body.get("md5") == hashlib.md5(data).hexdigest(), r
                assert r.body.get("sha256") == hashlib.sha256(data).hexdigest(), r
                if op == hm.MATCH:
                    assert "matches" in r.body, r
            r = c.hash(trunc)
            assert r.error_code == "image_truncated", r
            r = c.hash(junk)
            assert r.error_code == "image_unknown_format", r
            assert c.ping().ok

    @check("lookup: batch in request order, md5/pdq/phash/dhash/ahash hits and a miss")
    def t_lookup(self):
        row = self.expected["baseline.jpg"]
        md5 = hashlib.md5(self.baseline).hexdigest()
        miss = "0123456789abcdef0123456789abcdef"
        items = [("md5", md5), ("pdq", row["pdq"]), ("phash", row["phash"]), ("md5", miss),
                 ("dhash", row["dhash"]), ("ahash", row["ahash"])]
        with self.main.unix() as c:
            r = c.lookup(items)
        assert r.ok, r
        res = r.body["results"]
        assert len(res) == len(items), r
        for (alg, h), x in zip(items, res):
            assert x["algorithm"] == alg and x["hash"] == h, (alg, h, x)
        assert any(e["distance"] == 0 and "baseline.jpg" in e["id"] for e in res[0]["matches"]), res[0]
        assert any(e["distance"] == 0 and "baseline.jpg" in e["id"] for e in res[1]["matches"]), res[1]
        assert res[3]["matches"] == [], res[3]

    @check("lookup: PDQ within threshold matches (31 bits flipped), beyond does not (32)")
    def t_lookup_threshold(self):
        pdq = int(self.expected["baseline.jpg"]["pdq"], 16)
        near = "%064x" % (pdq ^ ((1 << 31) - 1))
        far = "%064x" % (pdq ^ ((1 << 32) - 1))
        with self.main.unix() as c:
            r = c.lookup([("pdq", near), ("pdq", far)])
        assert r.ok, r
        near_m = [e for e in r.body["results"][0]["matches"] if "baseline.jpg" in e["id"]]
        far_m = [e for e in r.body["results"][1]["matches"] if "baseline.jpg" in e["id"]]
        assert near_m and near_m[0]["distance"] == 31, r.body["results"][0]
        assert not far_m, r.body["results"][1]

    @check("lookup: {\"hashes\":[...]} form accepted")
    def t_lookup_hashes_form(self):
        md5 = hashlib.md5(self.baseline).hexdigest()
        with self.main.unix() as c:
            r = c.call(hm.LOOKUP, {"hashes": [{"algorithm": "md5", "hash": md5}]})
        assert r.ok and r.body["results"][0]["matches"], r

    @check("lookup: bad hash in a batch -> bad_hash naming the index, connection survives")
    def t_lookup_bad(self):
        md5 = hashlib.md5(self.baseline).hexdigest()
        with self.main.unix() as c:
            r = c.lookup([("md5", md5), ("md5", md5), ("pdq", "zz")])
            assert r.status == 1 and r.error_code == "bad_hash", r
            assert "results" not in r.body, r
            assert "2" in r.body["error"]["message"], r
            r = c.lookup([("sha512", "00" * 64)])
            assert r.error_code == "bad_hash", r
            r = c.lookup([("phash", "ABCDEF0123456789")])  # upper case: doc says lowercase is *answered*
            upper_ok = r.ok
            r = c.lookup([("phash", "abc")])
            assert r.error_code == "bad_hash", r
            assert c.ping().ok
        self.note_upper = upper_ok

    @check("lookup: malformed JSON / missing member -> bad_request, connection survives")
    def t_lookup_bad_request(self):
        with self.main.unix() as c:
            r = c.call(hm.LOOKUP, b"[{not json")
            assert r.error_code == "bad_request", r
            r = c.call(hm.LOOKUP, [{"algorithm": "md5"}])
            assert r.error_code == "bad_request", r
            r = c.call(hm.LOOKUP, b"")
            assert r.error_code == "bad_request", r
            assert c.ping().ok

    @check("stats: documented members")
    def t_stats(self):
        with self.main.unix() as c:
            r = c.stats()
        assert r.ok, r
        b = r.body
        for k in ("ready", "generation", "sets", "entries", "issues", "connections", "queued_images",
                  "uptime_seconds"):
            assert k in b, (k, b)
        assert b["ready"] is True and "fixtures" in b["sets"], b
        assert isinstance(b["entries"], dict) and b["entries"].get("md5", 0) >= 15, b
        assert b["connections"] >= 1, b

    @check("pipelining: 100 requests in one write, answers in order with their ids")
    def t_pipelining(self):
        frames, expect = [], []
        for i in range(100):
            rid = (i * 7919) % 50 if i % 3 else 0xABCD0000 + (100 - i)  # non-unique, non-increasing ids
            if i % 10 == 0:
                op, payload = hm.HASH, self.large
            elif i % 10 == 5:
                op, payload = hm.LOOKUP, [{"algorithm": "md5", "hash": hashlib.md5(self.baseline).hexdigest()}]
            elif i % 10 == 7:
                op, payload = 0x7E, b""
            else:
                op, payload = hm.PING, b""
            frames.append(encode_frame(op, rid, payload))
            expect.append((op, rid))
        with self.main.tcp(timeout=30) as c:
            c.auth(CLIENT_TOKEN)
            # send from a thread so a full receive buffer cannot deadlock us; the reads start only after
            # the whole batch has been written (or the server has stopped reading: backpressure).
            done = threading.Event()
            t = threading.Thread(target=lambda: (c.send_raw(b"".join(frames)), done.set()), daemon=True)
            t.start()
            done.wait(10)
            sent_before_read = done.is_set()
            got = [c.recv() for _ in range(100)]
            t.join(10)
        for (op, rid), r in zip(expect, got):
            assert r.request_id == rid, (op, rid, r)
            if op == hm.HASH:
                assert r.ok and r.body["width"] == 1024, r
            elif op == hm.LOOKUP:
                assert r.ok and "results" in r.body, r
            elif op == 0x7E:
                assert r.error_code == "unknown_opcode", r
            else:
                assert r.body == {"pong": True}, r
        assert sent_before_read, "the 100-frame write did not complete before reading"

    @check("split request: a lookup and a ping written 1 byte at a time")
    def t_split(self):
        md5 = hashlib.md5(self.baseline).hexdigest()
        data = encode_frame(hm.LOOKUP, 4242, [{"algorithm": "md5", "hash": md5}]) + encode_frame(hm.PING, 4243)
        with self.main.tcp() as c:
            c.auth(CLIENT_TOKEN)
            for b in data:
                c.send_raw(bytes([b]))
                time.sleep(0.002)
            r1, r2 = c.recv(), c.recv()
        assert r1.ok and r1.request_id == 4242 and r1.body["results"][0]["matches"], r1
        assert r2.request_id == 4243 and r2.body == {"pong": True}, r2

    @check("unknown opcode: unknown_opcode with the request id, connection stays open")
    def t_unknown_opcode(self):
        with self.main.unix() as c:
            for op in (0x00, 0x03, 0x13, 0x33, 0xFF):
                r = c.call(op, b"xyz", request_id=900 + op)
                assert r.status == 1 and r.error_code == "unknown_opcode" and r.request_id == 900 + op, (op, r)
            assert c.ping().ok

    @check("over-limit length (4 GB, worked example): frame_too_large id 5, then closed")
    def t_frame_too_large(self):
        with self.main.unix() as c:
            c.send_raw(bytes.fromhex("ffffffff" "11" "00000005"))
            r = c.recv()
            assert r.status == 1 and r.error_code == "frame_too_large" and r.request_id == 5, r
            assert c.at_eof(5), "connection not closed"

    @check("over-limit length (max+1), after a pipelined ping: ping answered first, then error, close")
    def t_frame_max_plus_one(self):
        with self.main.tcp() as c:
            c.send_raw(encode_frame(hm.PING, 1) + struct.pack(">IBI", 32 * 1024 * 1024 + 1, hm.HASH, 2))
            r1 = c.recv()
            r2 = c.recv()
            assert r1.request_id == 1 and r1.ok, r1
            assert r2.request_id == 2 and r2.error_code == "frame_too_large", r2
            assert c.at_eof(5)
        # exactly the limit is not over it: the server must not answer frame_too_large from the header
        with self.main.tcp() as c:
            c.send_raw(struct.pack(">IBI", 32 * 1024 * 1024, hm.PING, 3))
            c.settimeout(1.0)
            try:
                r = c.recv()
                assert r.error_code != "frame_too_large", r
            except socket.timeout:
                pass  # waiting for the payload: correct

    @check("bad_frame: length below 5 -> bad_frame with id 0xFFFFFFFF, then closed")
    def t_bad_frame(self):
        with self.main.unix() as c:
            c.send_raw(encode_frame(hm.PING, 1) + struct.pack(">I", 3) + b"\x01\x00\x00\x00\x09")
            r1 = c.recv()
            r2 = c.recv()
            assert r1.request_id == 1 and r1.ok, r1
            assert r2.error_code == "bad_frame" and r2.request_id == hm.CONNECTION_ID, r2
            assert c.at_eof(5)

    @check("HTTP request sent to the framed port -> an error frame, then closed")
    def t_http_to_framed(self):
        with self.main.tcp() as c:
            c.send_raw(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            r = c.recv()
            assert r.status == 1 and r.error_code == "frame_too_large", r
            self.note_http_framed_id = r.request_id
            assert c.at_eof(5)

    @check("auth over TCP: no token -> unauthorized; wrong token -> unauthorized; client token works")
    def t_auth_tcp(self):
        with self.main.tcp() as c:
            assert c.ping().ok
            r = c.stats()
            assert r.status == 1 and r.error_code == "unauthorized", r
            r = c.hash(self.baseline)
            assert r.error_code == "unauthorized", r
            r = c.lookup([("md5", "00" * 16)])
            assert r.error_code == "unauthorized", r
            r = c.reload()
            assert r.error_code == "unauthorized", r
            r = c.auth("wrong-token")
            assert r.status == 1 and r.error_code == "unauthorized", r
            r = c.stats()
            assert r.error_code == "unauthorized", r
            r = c.auth(CLIENT_TOKEN)
            assert r.ok and r.body == {"authenticated": True, "admin": False}, r
            assert c.stats().ok
            assert c.match(self.baseline).ok
            r = c.reload()
            assert r.error_code == "forbidden", r
            r = c.auth("wrong-again")
            assert r.error_code == "unauthorized", r
            assert c.stats().ok, "a wrong token must change nothing"
            r = c.auth(ADMIN_TOKEN)
            assert r.ok and r.body == {"authenticated": True, "admin": True}, r
            assert c.reload().ok
            r = c.auth(CLIENT_TOKEN)  # access only grows
            self.note_auth_after_admin = r.raw
            assert c.reload().ok, "access must only grow"

    @check("auth: token with trailing newline in payload")
    def t_auth_newline(self):
        with self.main.tcp() as c:
            r = c.auth(CLIENT_TOKEN + "\n")
            self.note_auth_newline = r.raw
        assert True

    @check("Unix socket with an admin token configured: client access without auth, admin forbidden")
    def t_unix_access(self):
        with self.main.unix() as c:
            assert c.stats().ok
            r = c.reload()
            assert r.error_code == "forbidden", r
            r = c.add_entries("pc-unix", [{"algorithm": "md5", "hash": "11" * 16}])
            assert r.error_code == "forbidden", r
            r = c.auth(ADMIN_TOKEN)
            assert r.ok and r.body["admin"] is True, r
            assert c.reload().ok

    @check("admin: reload answer; generation increases")
    def t_reload(self):
        with self.authed_tcp(ADMIN_TOKEN) as c:
            g0 = c.stats().body["generation"]
            r = c.reload()
            assert r.ok, r
            self.note_reload_shape = r.raw.decode()[:400]
            g1 = c.stats().body["generation"]
            assert g1 > g0, (g0, g1)

    @check("admin: add then remove entries (new set created, unchanged, duplicate_id, lookup, file log)")
    def t_add_remove(self):
        h = hashlib.md5(b"pc-entry-1").hexdigest()
        h2 = hashlib.md5(b"pc-entry-2").hexdigest()
        with self.authed_tcp(ADMIN_TOKEN) as c:
            g0 = c.stats().body["generation"]
            r = c.add_entries("pc-added", [{"id": "e1", "algorithm": "md5", "hash": h, "labels": ["x", "y"]},
                                           {"algorithm": "md5", "hash": h2}])
            assert r.ok, r
            assert r.body["set"] == "pc-added" and r.body["added"] == 2 and r.body["unchanged"] == 0, r
            assert r.body["generation"] >= g0, r
            path = os.path.join(self.sets, "pc-added.hashset")
            assert os.path.exists(path), "set file not created"
            r = c.lookup([("md5", h), ("md5", h2)])
            m = r.body["results"][0]["matches"]
            assert m and m[0]["set"] == "pc-added" and m[0]["id"] == "e1" and m[0]["labels"] == ["x", "y"], r
            m2 = r.body["results"][1]["matches"]
            assert m2 and m2[0]["id"] == "md5-" + h2, ("default id <algorithm>-<hex>", m2)
            r = c.add_entries("pc-added", [{"id": "e1", "algorithm": "md5", "hash": h, "labels": ["x", "y"]}])
            assert r.ok and r.body["added"] == 0 and r.body["unchanged"] == 1, r
            before = read(path)
            r = c.add_entries("pc-added", [{"id": "e1", "algorithm": "md5", "hash": h2}])
            assert r.error_code == "duplicate_id", r
            assert read(path) == before, "duplicate_id wrote to the file"
            r = c.remove_entries("pc-added", ["e1"])
            assert r.ok and r.body["removed"] == 1 and r.body["set"] == "pc-added", r
            assert "remove e1" in read(path).decode(), read(path)
            r = c.remove_entries("pc-added", ["e1", "never-there"])
            assert r.ok and r.body["removed"] == 0, r
            r = c.lookup([("md5", h)])
            assert r.body["results"][0]["matches"] == [], r
            r = c.remove_entries("no-such-set-xyz", ["a"])
            assert r.error_code == "no_such_set", r
            r = c.add_entries("../evil", [{"algorithm": "md5", "hash": h}])
            assert r.error_code == "bad_set_name", r
            r = c.add_entries("pc-added", [{"algorithm": "md5", "hash": "nothex"}])
            assert r.error_code == "bad_hash", r
            r = c.call(hm.ADD_ENTRIES, {"entries": []})
            assert r.error_code == "bad_request", r
            assert c.ping().ok

    @check("admin: forbidden with the client token, over TCP")
    def t_admin_forbidden(self):
        with self.authed_tcp() as c:
            for r in (c.reload(), c.add_entries("pc-added", [{"algorithm": "md5", "hash": "22" * 16}]),
                      c.remove_entries("pc-added", ["x"])):
                assert r.status == 1 and r.error_code == "forbidden", r
            assert c.ping().ok

    @check("undecodable file on an MD5 list: match answers status 1 AND the digest match")
    def t_block_whatever_status(self):
        junk = b"GIF89a not really decodable junk " * 4
        md5 = hashlib.md5(junk).hexdigest()
        with self.authed_tcp(ADMIN_TOKEN) as c:
            assert c.add_entries("pc-junk", [{"id": "junk", "algorithm": "md5", "hash": md5}]).ok
            r = c.match(junk)
            assert r.status == 1 and r.error_code.startswith("image_"), r
            assert any(e["id"] == "junk" and e["algorithm"] == "md5" for e in r.body.get("matches", [])), r
            assert c.remove_entries("pc-junk", ["junk"]).ok

    @check("reload_failed: an unloadable *.hashset keeps the old index; bad lines are issues")
    def t_reload_failed(self):
        bad = os.path.join(self.sets, "zz-broken.hashset")
        with self.authed_tcp(ADMIN_TOKEN) as c:
            g0 = c.stats().body["generation"]
            with open(bad, "wb") as f:
                f.write(b"\x00\x01\x02\xff\xfe binary garbage \x00")
            r = c.reload()
            self.note_reload_failed = r.raw.decode()[:300]
            os.unlink(bad)
            assert r.status == 1 and r.error_code == "reload_failed", r
            st = c.stats().body
            assert "fixtures" in st["sets"], st
            # a set file with a bad line loads with a warning
            with open(bad, "w") as f:
                f.write("#hashmatch-hashset v1\nmd5 %s good\nmd5 nothex badline\n" % ("33" * 16))
            r = c.reload()
            self.note_reload_issue = r.raw.decode()[:400]
            os.unlink(bad)
            assert r.ok and r.body.get("issues"), r
            r = c.reload()
            assert r.ok
            assert c.stats().body["generation"] > g0

    @check("SIGHUP reloads; the folder is watched (new file picked up within a few seconds)")
    def t_sighup_watch(self):
        with self.main.unix() as c:
            g0 = c.stats().body["generation"]
            self.main.proc.send_signal(signal.SIGHUP)
            g1 = wait_for(lambda: (c.stats().body["generation"] > g0) and c.stats().body["generation"], 5)
            assert g1, "SIGHUP did not reload"
            p = os.path.join(self.sets, "pc-watched.hashset")
            with open(p, "w") as f:
                f.write("#hashmatch-hashset v1\nmd5 %s watched-1\n" % ("44" * 16))
            ok = wait_for(lambda: "pc-watched" in c.stats().body["sets"], 8, 0.2)
            os.unlink(p)
            assert ok, "watched folder change not picked up within 8 s"
            gone = wait_for(lambda: "pc-watched" not in c.stats().body["sets"], 8, 0.2)
            assert gone, "removal of a set file not picked up"

    @check("Unix socket file mode is 0660")
    def t_socket_mode(self):
        m = stat.S_IMODE(os.stat(self.main.sock_path).st_mode)
        assert stat.S_ISSOCK(os.stat(self.main.sock_path).st_mode)
        assert m == 0o660, oct(m)

    @check("second serve on a live socket refuses to start")
    def t_second_refuses(self):
        r = subprocess.run([self.binary, "serve", "--socket", self.main.sock_path, "--hashsets", self.sets],
                           capture_output=True, timeout=20)
        assert r.returncode != 0, r
        with self.main.unix() as c:
            assert c.ping().ok, "the first server's socket was damaged"

    # -- HTTP -------------------------------------------------------------------------------------
    @check("HTTP: /healthz and /readyz without auth")
    def t_http_health(self):
        r = http(self.main.base, "GET", "/healthz")
        assert r.status == 200, r
        r = http(self.main.base, "GET", "/readyz")
        assert r.status == 200, r
        self.note_health = (http(self.main.base, "GET", "/healthz").text[:100],
                            http(self.main.base, "GET", "/readyz").text[:100])

    @check("HTTP: /v1/match with token -> 200 + matches; without -> 401 + WWW-Authenticate: Bearer")
    def t_http_match(self):
        r = http(self.main.base, "POST", "/v1/match", self.baseline, token=CLIENT_TOKEN)
        assert r.status == 200, r
        assert any(e["algorithm"] == "md5" and e["distance"] == 0 for e in r.body["matches"]), r
        assert r.body["pdq"] == self.expected["baseline.jpg"]["pdq"], r
        r = http(self.main.base, "POST", "/v1/match", self.baseline)
        assert r.status == 401 and r.error_code == "unauthorized", r
        assert (r.headers.get("WWW-Authenticate") or "").startswith("Bearer"), dict(r.headers)
        r = http(self.main.base, "POST", "/v1/match", self.baseline, token="wrong")
        assert r.status == 401, r
        r = http(self.main.base, "POST", "/v1/hash", self.baseline, token=CLIENT_TOKEN)
        assert r.status == 200 and "matches" not in r.body and r.body["phash"] == "aa4ba6d870e4c9c7", r

    @check("HTTP: undecodable image -> 422 with digests")
    def t_http_422(self):
        junk = b"not an image" * 5
        r = http(self.main.base, "POST", "/v1/match", junk, token=CLIENT_TOKEN)
        assert r.status == 422 and r.error_code.startswith("image_"), r
        assert r.body["md5"] == hashlib.md5(junk).hexdigest() and "matches" in r.body, r

    @check("HTTP: /v1/lookup ok, bad hash -> 400 bad_hash, malformed -> 400 bad_request")
    def t_http_lookup(self):
        md5 = hashlib.md5(self.baseline).hexdigest()
        r = http(self.main.base, "POST", "/v1/lookup", [{"algorithm": "md5", "hash": md5},
                                                        {"algorithm": "pdq", "hash": self.expected["baseline.jpg"]["pdq"]}],
                 token=CLIENT_TOKEN)
        assert r.status == 200 and len(r.body["results"]) == 2 and r.body["results"][0]["matches"], r
        r = http(self.main.base, "POST", "/v1/lookup", [{"algorithm": "pdq", "hash": "zz"}], token=CLIENT_TOKEN)
        assert r.status == 400 and r.error_code == "bad_hash", r
        r = http(self.main.base, "POST", "/v1/lookup", b"{nope", token=CLIENT_TOKEN)
        assert r.status == 400 and r.error_code == "bad_request", r

    @check("HTTP: /v1/ping, /v1/stats, 404 not_found, 405 method_not_allowed")
    def t_http_misc(self):
        r = http(self.main.base, "GET", "/v1/ping")
        self.note_http_ping_noauth = r.status
        r = http(self.main.base, "GET", "/v1/ping", token=CLIENT_TOKEN)
        assert r.status == 200 and r.body == {"pong": True}, r
        r = http(self.main.base, "GET", "/v1/stats", token=CLIENT_TOKEN)
        assert r.status == 200 and r.body["ready"] is True, r
        r = http(self.main.base, "GET", "/v1/stats")
        assert r.status == 401, r
        r = http(self.main.base, "GET", "/v1/nothing-here", token=CLIENT_TOKEN)
        assert r.status == 404 and r.error_code == "not_found", r
        r = http(self.main.base, "GET", "/v1/match", token=CLIENT_TOKEN)
        assert r.status == 405 and r.error_code == "method_not_allowed", r
        self.note_405_allow = r.headers.get("Allow")

    @check("HTTP: /metrics with client token, documented metric names")
    def t_http_metrics(self):
        r = http(self.main.base, "GET", "/metrics")
        assert r.status == 401, r
        r = http(self.main.base, "GET", "/metrics", token=CLIENT_TOKEN)
        assert r.status == 200, r
        self.note_metrics_ctype = r.headers.get("Content-Type")
        for name in ("hashmatch_requests_total", "hashmatch_request_duration_seconds_bucket",
                     "hashmatch_matches_total", "hashmatch_errors_total", "hashmatch_decode_failures_total",
                     "hashmatch_index_entries", "hashmatch_index_generation", "hashmatch_reloads_total",
                     "hashmatch_connections"):
            assert name in r.text, name
        assert 'transport="' in r.text and 'op="' in r.text, r.text[:500]

    @check("HTTP: admin reload/entries: client token 403, admin token 200, add+remove")
    def t_http_admin(self):
        r = http(self.main.base, "POST", "/v1/reload", token=CLIENT_TOKEN)
        assert r.status == 403 and r.error_code == "forbidden", r
        r = http(self.main.base, "POST", "/v1/reload")
        assert r.status == 401, r
        r = http(self.main.base, "POST", "/v1/reload", token=ADMIN_TOKEN)
        assert r.status == 200, r
        h = hashlib.sha1(b"pc-http").hexdigest()
        body = {"set": "pc-http", "entries": [{"id": "h1", "algorithm": "sha1", "hash": h}]}
        r = http(self.main.base, "POST", "/v1/entries", body, token=CLIENT_TOKEN)
        assert r.status == 403, r
        r = http(self.main.base, "POST", "/v1/entries", body, token=ADMIN_TOKEN)
        assert r.status == 200 and r.body["added"] == 1, r
        r = http(self.main.base, "POST", "/v1/entries",
                 {"set": "pc-http", "entries": [{"id": "h1", "algorithm": "sha1", "hash": "55" * 20}]},
                 token=ADMIN_TOKEN)
        assert r.status == 409 and r.error_code == "duplicate_id", r
        r = http(self.main.base, "DELETE", "/v1/entries", {"set": "pc-http", "ids": ["h1"]}, token=ADMIN_TOKEN)
        assert r.status == 200 and r.body["removed"] == 1, r
        r = http(self.main.base, "DELETE", "/v1/entries", {"set": "nope-nope", "ids": ["h1"]}, token=ADMIN_TOKEN)
        assert r.status == 404 and r.error_code == "no_such_set", r
        r = http(self.main.base, "POST", "/v1/entries", {"set": "../x", "entries": []}, token=ADMIN_TOKEN)
        assert r.status == 400 and r.error_code == "bad_set_name", r

    @check("HTTP: keep-alive pipelining on one connection, answers in order")
    def t_http_pipeline(self):
        s = socket.create_connection(("127.0.0.1", self.main.http_port), timeout=TIMEOUT)
        req = ("GET /v1/ping HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n\r\n" % CLIENT_TOKEN).encode()
        req2 = ("GET /nope HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n\r\n" % CLIENT_TOKEN).encode()
        s.sendall(req + req2 + req)
        f = s.makefile("rb")
        statuses = []
        for _ in range(3):
            status = f.readline().split(b" ")[1]
            n = None
            while True:
                line = f.readline().strip()
                if not line:
                    break
                k, _, v = line.partition(b":")
                if k.strip().lower() == b"content-length":
                    n = int(v)
            assert n is not None, "no Content-Length"
            f.read(n)
            statuses.append(status)
        s.close()
        assert statuses == [b"200", b"404", b"200"], statuses

    @check("HTTP: body over --max-frame-bytes -> 413 and close")
    def t_http_413(self):
        s = socket.create_connection(("127.0.0.1", self.main.http_port), timeout=TIMEOUT)
        s.sendall(("POST /v1/hash HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
                   "Content-Length: %d\r\n\r\n" % (CLIENT_TOKEN, 32 * 1024 * 1024 + 1)).encode())
        data = b""
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        except socket.timeout:
            raise AssertionError("not closed; got %r" % data[:300])
        s.close()
        assert data.startswith(b"HTTP/1.1 413"), data[:300]
        assert b"frame_too_large" in data, data[:400]


# -- separate servers ------------------------------------------------------------------------------
def t_no_admin_token(suite):
    """No admin token: admin over the Unix socket without auth; never over TCP."""
    srv = Server(suite.binary, suite.work, "noadmin", suite.sets, http_=True, token=True, admin=False)
    try:
        with srv.unix() as c:
            r = c.reload()
            assert r.ok, r
        with srv.tcp() as c:
            r = c.auth(CLIENT_TOKEN)
            assert r.ok and r.body["admin"] is False, r
            r = c.reload()
            assert r.error_code == "forbidden", r
            r = c.auth(ADMIN_TOKEN)
            assert r.error_code == "unauthorized", r
        r = http(srv.base, "POST", "/v1/reload", token=CLIENT_TOKEN)
        assert r.status == 403, r
    finally:
        assert srv.stop() == 0


def t_no_client_token(suite):
    """No client token on loopback TCP: client access without auth; admin still needs the admin token."""
    srv = Server(suite.binary, suite.work, "notoken", suite.sets, token=False, admin=True)
    try:
        with srv.tcp() as c:
            assert c.stats().ok
            assert c.reload().error_code == "forbidden"
            assert c.auth(ADMIN_TOKEN).ok
            assert c.reload().ok
        r = http(srv.base, "POST", "/v1/lookup", [{"algorithm": "md5", "hash": "00" * 16}])
        assert r.status == 200, r
    finally:
        assert srv.stop() == 0


def t_limits(suite):
    """--max-connections, --idle-timeout, --read-timeout on a small server."""
    srv = Server(suite.binary, suite.work, "limits", suite.sets, token=False, admin=False, http_=False,
                 extra=["--max-connections", "2", "--idle-timeout", "2", "--read-timeout", "1"])
    try:
        # read_timeout: a frame begun and not finished; first with only 3 bytes, then a full header
        with srv.tcp() as c:
            c.send_raw(b"\x00\x00\x00")
            r = c.recv()
            assert r.error_code == "read_timeout" and r.request_id == hm.CONNECTION_ID, r
            assert c.at_eof(3)
        with srv.tcp() as c:
            c.send_raw(struct.pack(">IBI", 100, hm.LOOKUP, 77) + b"[")
            r = c.recv()
            assert r.error_code == "read_timeout", r
            suite.note_read_timeout_id = r.request_id
            assert c.at_eof(3)
        # idle timeout: closed silently
        with srv.tcp() as c:
            assert c.ping().ok
            t0 = time.monotonic()
            assert c.at_eof(6), "idle connection not closed"
            suite.note_idle = time.monotonic() - t0
            assert not c._buf
        # max connections: the server may not yet have seen the timed-out connections above close, so retry
        # briefly until two fresh connections are both admitted

        def two_admitted():
            a, b = srv.tcp(), None
            try:
                b = srv.tcp()
                if a.ping().ok and b.ping().ok:
                    return a, b
            except (hm.ProtocolError, OSError):
                pass
            a.close()
            if b is not None:
                b.close()
            return None
        held = wait_for(two_admitted, 5, 0.1)
        assert held, "two connections not admitted under --max-connections 2"
        a, b = held
        with srv.unix() as c3:
            r = c3.recv()
            assert r.error_code == "overloaded" and r.request_id == hm.CONNECTION_ID, r
            assert c3.at_eof(3)
        a.close()
        b.close()
        # the closed slots free up once the server has seen the closes: retry briefly

        def fresh_ping():
            try:
                with srv.unix(2) as c:
                    return c.ping().ok
            except hm.ProtocolError:
                return False
        assert wait_for(fresh_ping, 5, 0.1), "connection slots not freed after closing"
    finally:
        assert srv.stop() == 0


def t_small_limits(suite):
    """--max-frame-bytes and --max-pixels set low; HTTP 413/422/408 on the same server."""
    srv = Server(suite.binary, suite.work, "small", suite.sets, token=False, admin=False,
                 extra=["--max-frame-bytes", "20000", "--max-pixels", "100000", "--read-timeout", "1"])
    try:
        with srv.unix() as c:
            r = c.hash(suite.baseline)  # 11 KB, 76 800 px: under both limits
            assert r.ok, r
            r = c.hash(suite.large)     # 45 KB > 20000: frame_too_large
            assert r.error_code == "frame_too_large", r
            assert c.at_eof(3)
        big = make_png(400, 300, lambda x, y: (0, 0, 0))  # 120 000 px, small file
        assert len(big) < 20000
        with srv.unix() as c:
            r = c.hash(big)
            assert r.status == 1 and r.error_code == "image_too_large", r
            assert r.body.get("md5") == hashlib.md5(big).hexdigest(), r
            assert c.ping().ok
        r = http(srv.base, "POST", "/v1/hash", big)
        assert r.status == 422 and r.error_code == "image_too_large", r
        # HTTP body over the limit: 413 decided from Content-Length (a client sending the whole body may see RST)
        s = socket.create_connection(("127.0.0.1", srv.http_port), timeout=TIMEOUT)
        s.sendall(b"POST /v1/hash HTTP/1.1\r\nHost: x\r\nContent-Length: 20001\r\n\r\n")
        data = s.recv(4096)
        s.close()
        assert data.startswith(b"HTTP/1.1 413"), data[:200]
    finally:
        assert srv.stop() == 0


def t_http_read_timeout(suite):
    """HTTP: a request begun and stalled past --read-timeout -> 408 read_timeout, close."""
    srv = Server(suite.binary, suite.work, "http408", suite.sets, token=False, admin=False, tcp=False,
                 extra=["--read-timeout", "1", "--idle-timeout", "30"])
    seen = []
    try:
        for req in (b"POST /v1/hash HTTP/1.1\r\nHost: x\r\nContent-Length: 200\r\n\r\nabc",  # body stalls
                    b"GET /v1/ping HTTP/1.1\r\nHo"):  # headers stall
            s = socket.create_connection(("127.0.0.1", srv.http_port), timeout=4)
            s.sendall(req)
            data = b""
            t0 = time.monotonic()
            try:
                while True:
                    chunk = s.recv(4096)
                    if not chunk:
                        data += b"<EOF>"
                        break
                    data += chunk
            except socket.timeout:
                data += b"<still open after 4 s>"
            except ConnectionResetError:
                data += b"<RST>"
            s.close()
            seen.append("%r after %.1fs" % (data[:300], time.monotonic() - t0))
        suite.note_http_read_timeout = seen
        for x in seen:
            assert x.startswith("b'HTTP/1.1 408") and "read_timeout" in x, seen
    finally:
        assert srv.stop() == 0


def t_overloaded(suite):
    """--max-queued-images: further image requests answered `overloaded`, in order; lookups unaffected."""
    srv = Server(suite.binary, suite.work, "queue", suite.sets, token=False, admin=False,
                 extra=["--workers", "1", "--max-queued-images", "1"])
    try:
        with srv.unix(timeout=30) as c:
            n = 10
            frames = b"".join(encode_frame(hm.MATCH, i, suite.large) for i in range(n))
            c.send_raw(frames + encode_frame(hm.PING, 99))
            answers = [c.recv() for _ in range(n + 1)]
        assert [a.request_id for a in answers] == list(range(n)) + [99], answers
        codes = [a.error_code or "ok" for a in answers[:n]]
        suite.note_overloaded = codes
        assert "overloaded" in codes and "ok" in codes, codes
        assert set(codes) <= {"ok", "overloaded"}, codes
        r = http(srv.base, "GET", "/v1/ping")
        assert r.status == 200
    finally:
        assert srv.stop() == 0


def t_deadline(suite):
    """--request-deadline: a request not answered in time gets deadline_exceeded; connection kept."""
    srv = Server(suite.binary, suite.work, "deadline", suite.sets, token=False, admin=False, http_=False,
                 extra=["--workers", "1", "--request-deadline", "0.05"])
    try:
        with srv.unix(timeout=30) as c:
            n = 8
            c.send_raw(b"".join(encode_frame(hm.MATCH, i, suite.large) for i in range(n)))
            answers = [c.recv() for _ in range(n)]
            codes = [a.error_code or "ok" for a in answers]
            suite.note_deadline = codes
            assert [a.request_id for a in answers] == list(range(n))
            assert "deadline_exceeded" in codes, codes
            assert c.ping().ok
    finally:
        assert srv.stop() == 0


def t_dihedral(suite):
    """--dihedral: pdq_dihedral in answers; a mirrored copy matches with a `variant`."""
    srv = Server(suite.binary, suite.work, "dihedral", suite.sets, token=False, admin=False, http_=False,
                 tcp=False, extra=["--dihedral"])
    try:
        with srv.unix() as c:
            r = c.hash(suite.baseline)
            assert r.ok and "pdq_dihedral" in r.body, r
            suite.note_dihedral_shape = json.dumps(r.body["pdq_dihedral"])[:160]
            mirror = read(os.path.join(FIXTURES, "variants", "baseline.mirror.jpg"))
            r = c.match(mirror)
            assert r.ok, r
            m = [e for e in r.body["matches"] if e["algorithm"] == "pdq" and "baseline.jpg" in e["id"]]
            assert m and m[0]["variant"], r.body["matches"]
            suite.note_dihedral_variant = m[0]["variant"]
    finally:
        assert srv.stop() == 0


def t_stale_socket(suite):
    """A socket file left by a dead server is replaced; SIGINT stops with exit 0 and removes it."""
    path = os.path.join(suite.work, "stale.sock")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path)
    s.close()  # file stays, nobody listens
    assert os.path.exists(path)
    srv = Server(suite.binary, suite.work, "stale", suite.sets, tcp=False, http_=False, token=False, admin=False)
    try:
        with srv.unix() as c:
            assert c.ping().ok
        srv.proc.send_signal(signal.SIGINT)
        assert srv.proc.wait(25) == 0
    finally:
        srv.stop()
    assert not os.path.exists(srv.sock_path), "socket file not removed on shutdown"


def t_shutdown(suite):
    """SIGTERM: requests already read are answered, connections closed, socket removed, exit 0."""
    srv = Server(suite.binary, suite.work, "term", suite.sets, token=False, admin=False, http_=True,
                 extra=["--workers", "1"])
    n = 12
    frames = b"".join(encode_frame(hm.MATCH, 1000 + i, suite.large) for i in range(n))
    c = srv.tcp(timeout=25)
    idle = srv.unix()
    assert idle.ping().ok
    c.send_raw(frames)
    first = c.recv()  # the server is working on this connection now
    assert first.request_id == 1000 and first.ok, first
    t0 = time.monotonic()
    srv.proc.send_signal(signal.SIGTERM)
    answers = [first]
    while True:
        try:
            answers.append(c.recv())
        except hm.ProtocolError:
            break
    try:
        rc = srv.proc.wait(25)
    except subprocess.TimeoutExpired:
        srv.proc.kill()
        raise AssertionError("server did not exit within 25 s of SIGTERM")
    elapsed = time.monotonic() - t0
    srv.log.close()
    suite.note_shutdown = "%d of %d pipelined matches answered; statuses %s; exit %d after %.2fs" % (
        len(answers), n, sorted({a.error_code or "ok" for a in answers}), rc, elapsed)
    for i, a in enumerate(answers):
        assert a.request_id == 1000 + i, (i, a)
        assert a.ok or a.error_code == "shutting_down", a
    assert len(answers) >= 2, suite.note_shutdown
    assert rc == 0, rc
    assert idle.at_eof(3), "idle connection not closed at shutdown"
    assert not os.path.exists(srv.sock_path), "socket file not removed"
    try:
        Client.tcp("127.0.0.1", srv.port, timeout=2).close()
        raise AssertionError("TCP still accepting after exit")
    except OSError:
        pass


def make_png(w, h, px):
    import zlib
    raw = b"".join(b"\x00" + b"".join(bytes(px(x, y)) for x in range(w)) for y in range(h))

    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def run(name, fn):
    t0 = time.monotonic()
    try:
        fn()
        RESULTS.append((name, True, ""))
        print("PASS  %-95s %.2fs" % (name, time.monotonic() - t0), flush=True)
    except Exception as e:  # noqa: BLE001
        detail = "%s: %s" % (type(e).__name__, str(e)[:600])
        if not isinstance(e, AssertionError):
            detail += "\n" + traceback.format_exc(limit=3)
        RESULTS.append((name, False, detail))
        print("FAIL  %s\n      %s" % (name, detail.replace("\n", "\n      ")), flush=True)


def main(argv):
    binary = argv[1] if len(argv) > 1 else os.environ.get("HASHMATCH_BIN") or os.path.join(ROOT, ".build", "debug",
                                                                                          "hashmatch")
    binary = os.path.abspath(binary)
    if not os.access(binary, os.X_OK):
        print("no hashmatch binary at %s (pass it as argv[1] or HASHMATCH_BIN)" % binary)
        print("0 passed, 1 failed")
        return 1
    suite = Suite(binary)
    try:
        for attr in sorted(vars(Suite), key=lambda a: getattr(Suite, a).__code__.co_firstlineno
                           if callable(getattr(Suite, a)) and hasattr(getattr(Suite, a), "__code__") else 0):
            fn = getattr(Suite, attr)
            if hasattr(fn, "_check_name"):
                run(fn._check_name, getattr(suite, attr))
        for fn in (t_no_admin_token, t_no_client_token, t_limits, t_small_limits, t_http_read_timeout, t_overloaded, t_deadline,
                   t_dihedral, t_stale_socket):
            run(fn.__doc__.strip().split("\n")[0], lambda fn=fn: fn(suite))
        main_rc = suite.main.stop()
        run("main server exits 0 on SIGTERM", lambda: (_ for _ in ()).throw(AssertionError(main_rc))
            if main_rc != 0 else None)
        run(t_shutdown.__doc__.strip(), lambda: t_shutdown(suite))
    finally:
        suite.close()
    notes = {k[5:]: v for k, v in vars(suite).items() if k.startswith("note_")}
    if notes:
        print("observations:")
        for k, v in sorted(notes.items()):
            print("  %s: %s" % (k, v))
    if os.environ.get("KEEP_WORKDIR"):
        print("workdir kept: %s" % suite.work)
    else:
        shutil.rmtree(suite.work, ignore_errors=True)
    passed = sum(1 for _, ok, _ in RESULTS if ok)
    failed = len(RESULTS) - passed
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
