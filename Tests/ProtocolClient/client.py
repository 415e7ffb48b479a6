"""A client for the hashmatch match socket, written from docs/PROTOCOL.md alone.

Python 3 standard library only. Framed binary protocol over a Unix domain socket or TCP:

    request:   u32 length | u8 opcode | u32 request id | payload (length - 5 bytes)
    response:  u32 length | u8 status | u32 request id | JSON    (length - 5 bytes, UTF-8)

All integers unsigned big-endian; `length` counts every byte after the length field.
"""

import itertools
import json
import socket
import struct
import urllib.error
import urllib.request

# Opcodes (PROTOCOL.md, "Opcodes").
PING = 0x01
AUTH = 0x02
HASH = 0x10
MATCH = 0x11
LOOKUP = 0x12
STATS = 0x20
RELOAD = 0x30
ADD_ENTRIES = 0x31
REMOVE_ENTRIES = 0x32

STATUS_OK = 0
STATUS_ERROR = 1

CONNECTION_ID = 0xFFFFFFFF  # reserved: errors about the connection, not a request
HEADER = struct.Struct(">IBI")  # length, opcode/status, request id
DEFAULT_MAX_FRAME = 32 * 1024 * 1024


class ProtocolError(Exception):
    """The server sent something the protocol document does not allow, or closed early."""


class Response:
    __slots__ = ("status", "request_id", "body", "raw")

    def __init__(self, status, request_id, body, raw):
        self.status = status
        self.request_id = request_id
        self.body = body
        self.raw = raw

    @property
    def ok(self):
        return self.status == STATUS_OK

    @property
    def error_code(self):
        err = self.body.get("error") if isinstance(self.body, dict) else None
        return err.get("code") if isinstance(err, dict) else None

    def __repr__(self):
        return "Response(status=%d, id=%#x, body=%s)" % (self.status, self.request_id, self.raw[:200])


def encode_frame(opcode, request_id, payload=b""):
    if isinstance(payload, str):
        payload = payload.encode("utf-8")
    elif not isinstance(payload, (bytes, bytearray, memoryview)):
        payload = json.dumps(payload, separators=(",", ":")).encode("utf-8")
    payload = bytes(payload)
    return HEADER.pack(5 + len(payload), opcode, request_id & 0xFFFFFFFF) + payload


class Client:
    """One framed connection. Not thread-safe."""

    def __init__(self, sock, timeout=10.0):
        self.sock = sock
        self.sock.settimeout(timeout)
        self._buf = bytearray()
        self._ids = itertools.count(1)

    # -- connecting -------------------------------------------------------------------------------
    @classmethod
    def unix(cls, path, timeout=10.0):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(timeout)
        s.connect(path)
        return cls(s, timeout)

    @classmethod
    def tcp(cls, host, port, timeout=10.0):
        s = socket.create_connection((host, port), timeout=timeout)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return cls(s, timeout)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def settimeout(self, t):
        self.sock.settimeout(t)

    # -- raw frames -------------------------------------------------------------------------------
    def next_id(self):
        return next(self._ids) & 0xFFFFFFFF

    def send_raw(self, data):
        self.sock.sendall(data)

    def send(self, opcode, payload=b"", request_id=None):
        rid = self.next_id() if request_id is None else request_id
        self.sock.sendall(encode_frame(opcode, rid, payload))
        return rid

    def _read_exact(self, n):
        while len(self._buf) < n:
            chunk = self.sock.recv(max(65536, n - len(self._buf)))
            if not chunk:
                raise ProtocolError("connection closed after %d of %d bytes" % (len(self._buf), n))
            self._buf += chunk
        data = bytes(self._buf[:n])
        del self._buf[:n]
        return data

    def recv(self):
        """Reads one response frame. Raises ProtocolError on EOF or a malformed frame."""
        length, status, rid = HEADER.unpack(self._read_exact(9))
        if length < 5:
            raise ProtocolError("response length %d below 5" % length)
        raw = self._read_exact(length - 5)
        if status not in (STATUS_OK, STATUS_ERROR):
            raise ProtocolError("status %d is neither 0 nor 1" % status)
        try:
            body = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            raise ProtocolError("response payload is not JSON: %r (%s)" % (raw[:100], e))
        if not isinstance(body, dict):
            raise ProtocolError("response payload is not a JSON object: %r" % raw[:100])
        if status == STATUS_ERROR and "error" not in body:
            raise ProtocolError("error response without an error member: %r" % raw[:100])
        return Response(status, rid, body, raw)

    def at_eof(self, timeout=2.0):
        """True when the server has closed the connection (no more bytes, EOF) within `timeout`."""
        old = self.sock.gettimeout()
        self.sock.settimeout(timeout)
        try:
            if self._buf:
                return False
            try:
                chunk = self.sock.recv(1)
            except ConnectionResetError:
                return True
            if chunk:
                self._buf += chunk
                return False
            return True
        finally:
            self.sock.settimeout(old)

    def call(self, opcode, payload=b"", request_id=None):
        rid = self.send(opcode, payload, request_id)
        resp = self.recv()
        if resp.request_id != rid:
            raise ProtocolError("asked id %#x, answer has id %#x" % (rid, resp.request_id))
        return resp

    # -- operations -------------------------------------------------------------------------------
    def ping(self):
        return self.call(PING)

    def auth(self, token):
        return self.call(AUTH, token.encode("utf-8") if isinstance(token, str) else token)

    def hash(self, image_bytes):
        return self.call(HASH, image_bytes)

    def match(self, image_bytes):
        return self.call(MATCH, image_bytes)

    def lookup(self, items):
        """items: [{"algorithm": "pdq", "hash": "…"}, …] or [("pdq", "…"), …]."""
        items = [i if isinstance(i, dict) else {"algorithm": i[0], "hash": i[1]} for i in items]
        return self.call(LOOKUP, items)

    def stats(self):
        return self.call(STATS)

    def reload(self):
        return self.call(RELOAD)

    def add_entries(self, set_name, entries):
        return self.call(ADD_ENTRIES, {"set": set_name, "entries": entries})

    def remove_entries(self, set_name, ids):
        return self.call(REMOVE_ENTRIES, {"set": set_name, "ids": ids})


# -- HTTP API ---------------------------------------------------------------------------------------
class HTTPResult:
    __slots__ = ("status", "headers", "body", "text")

    def __init__(self, status, headers, raw):
        self.status = status
        self.headers = headers
        self.text = raw.decode("utf-8", "replace")
        try:
            self.body = json.loads(self.text)
        except ValueError:
            self.body = None

    @property
    def error_code(self):
        if isinstance(self.body, dict) and isinstance(self.body.get("error"), dict):
            return self.body["error"].get("code")
        return None

    def __repr__(self):
        return "HTTPResult(%d, %s)" % (self.status, self.text[:200])


def http(base, method, path, body=None, token=None, timeout=10.0, content_type=None):
    """One HTTP request with urllib. Returns HTTPResult for every status (4xx/5xx included)."""
    if body is not None and not isinstance(body, (bytes, bytearray)):
        body = json.dumps(body).encode("utf-8")
        content_type = content_type or "application/json"
    req = urllib.request.Request(base.rstrip("/") + path, data=body, method=method)
    if token:
        req.add_header("Authorization", "Bearer " + token)
    if body is not None:
        req.add_header("Content-Type", content_type or "application/octet-stream")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return HTTPResult(r.status, r.headers, r.read())
    except urllib.error.HTTPError as e:
        return HTTPResult(e.code, e.headers, e.read())


if __name__ == "__main__":
    import argparse
    import sys

    ap = argparse.ArgumentParser(description="hashmatch match-socket client (from docs/PROTOCOL.md)")
    ap.add_argument("--socket", help="Unix socket path")
    ap.add_argument("--tcp", help="HOST:PORT of a framed TCP listener")
    ap.add_argument("--token")
    ap.add_argument("op", choices=["ping", "hash", "match", "lookup", "stats", "reload"])
    ap.add_argument("args", nargs="*")
    a = ap.parse_args()
    if a.tcp:
        host, _, port = a.tcp.rpartition(":")
        c = Client.tcp(host, int(port))
    else:
        c = Client.unix(a.socket or "/tmp/hashmatch.sock")
    if a.token:
        r = c.auth(a.token)
        if not r.ok:
            print(r.raw.decode(), file=sys.stderr)
            sys.exit(2)
    rc = 0
    if a.op in ("hash", "match"):
        for p in a.args:
            with open(p, "rb") as f:
                r = getattr(c, a.op)(f.read())
            print(r.raw.decode())
            rc = max(rc, 0 if r.ok else 2)
    elif a.op == "lookup":
        r = c.lookup([tuple(x.split(":", 1)) for x in a.args])
        print(r.raw.decode())
    else:
        r = getattr(c, a.op)()
        print(r.raw.decode())
    sys.exit(rc if rc else (0 if r.ok else 2))
