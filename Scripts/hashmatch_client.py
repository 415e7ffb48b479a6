#!/usr/bin/env python3
"""Reference client for the hashmatch match socket (docs/PROTOCOL.md). Python 3 standard library only.

As a module:
    from hashmatch_client import Client
    with Client.unix("/tmp/hashmatch.sock") as c:      # or Client.tcp("127.0.0.1", 7878, token=b"...")
        print(c.match(open("upload.jpg", "rb").read()))
        answers = c.pipeline([(OP_LOOKUP, json_bytes), ...])   # many requests sent before any answer is read

As a command:
    hashmatch_client.py [--socket PATH | --connect HOST:PORT] [--token-file F] ping|stats|reload
    hashmatch_client.py ... hash|match FILE...        (pipelined: all sent, then all answers read)
    hashmatch_client.py ... lookup ALG:HEX...
    hashmatch_client.py ... bench-lookup ALG:HEX [--count N] [--depth D]   (requests/s of pipelined lookups)
Exit status: 0 answered without a match, 1 a match was found, 2 an error.
"""
import argparse
import json
import os
import socket
import struct
import sys
import time

OP_PING, OP_AUTH = 0x01, 0x02
OP_HASH, OP_MATCH, OP_LOOKUP = 0x10, 0x11, 0x12
OP_STATS = 0x20
OP_RELOAD, OP_ADD_ENTRIES, OP_REMOVE_ENTRIES = 0x30, 0x31, 0x32
STATUS_OK, STATUS_ERROR = 0, 1
HEADER = struct.Struct(">IBI")  # length of the rest, opcode/status, request id


class ProtocolError(Exception):
    """The connection broke or the server answered out of order."""


class ServiceError(Exception):
    """An error answer: .code is the stable code, .body the whole JSON answer."""

    def __init__(self, body):
        error = body.get("error", {})
        super().__init__(f"{error.get('code')}: {error.get('message')}")
        self.code = error.get("code")
        self.body = body


def default_socket_path():
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    return os.path.join(runtime, "hashmatch.sock") if runtime else "/tmp/hashmatch.sock"


class Client:
    def __init__(self, sock, token=None):
        self.sock = sock
        self.next_id = 1
        self.buffer = bytearray()
        if token is not None:
            self.call(OP_AUTH, token)

    @classmethod
    def unix(cls, path=None, token=None, timeout=30.0):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        sock.connect(path or default_socket_path())
        return cls(sock, token)

    @classmethod
    def tcp(cls, host, port, token=None, timeout=30.0):
        sock = socket.create_connection((host, port), timeout=timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return cls(sock, token)

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @staticmethod
    def frame(opcode, request_id, payload=b""):
        return HEADER.pack(5 + len(payload), opcode, request_id) + payload

    def _read_exactly(self, count):
        while len(self.buffer) < count:
            chunk = self.sock.recv(max(65536, count - len(self.buffer)))
            if not chunk:
                raise ProtocolError("the server closed the connection")
            self.buffer += chunk
        data = bytes(self.buffer[:count])
        del self.buffer[:count]
        return data

    def receive(self):
        """The next answer: (status, request id, decoded JSON)."""
        length, status, request_id = HEADER.unpack(self._read_exactly(9))
        return status, request_id, json.loads(self._read_exactly(length - 5) or b"{}")

    def pipeline(self, requests):
        """Sends every (opcode, payload) before reading; returns the answers in order as (status, JSON)."""
        first = self.next_id
        self.next_id += len(requests)
        self.sock.sendall(b"".join(self.frame(op, (first + i) & 0xFFFFFFFF, p) for i, (op, p) in enumerate(requests)))
        answers = []
        for i in range(len(requests)):
            status, request_id, body = self.receive()
            if request_id != (first + i) & 0xFFFFFFFF:
                raise ProtocolError(f"answer {request_id} out of order, expected {first + i}")
            answers.append((status, body))
        return answers

    def call(self, opcode, payload=b""):
        """One request; returns the JSON answer or raises ServiceError."""
        status, body = self.pipeline([(opcode, payload)])[0]
        if status != STATUS_OK:
            raise ServiceError(body)
        return body

    def ping(self):
        return self.call(OP_PING)

    def stats(self):
        return self.call(OP_STATS)

    def reload(self):
        return self.call(OP_RELOAD)

    def hash(self, image):
        return self.call(OP_HASH, image)

    def match(self, image):
        return self.call(OP_MATCH, image)

    def lookup(self, hashes):
        """hashes: [(algorithm, hex)]; returns the per-hash results."""
        payload = json.dumps([{"algorithm": a, "hash": h} for a, h in hashes]).encode()
        return self.call(OP_LOOKUP, payload)["results"]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--socket", help="Unix socket path (default $XDG_RUNTIME_DIR/hashmatch.sock or /tmp)")
    parser.add_argument("--connect", help="HOST:PORT over TCP instead")
    parser.add_argument("--token-file", help="authenticate with this file's token first")
    parser.add_argument("--count", type=int, default=100000, help="bench-lookup: requests in all")
    parser.add_argument("--depth", type=int, default=256, help="bench-lookup: requests per pipelined batch")
    parser.add_argument("operation", choices=["ping", "stats", "reload", "hash", "match", "lookup", "bench-lookup"])
    parser.add_argument("inputs", nargs="*")
    args = parser.parse_args(argv)
    if args.operation == "bench-lookup" and len(args.inputs) != 1:
        parser.error("bench-lookup takes one ALG:HEX hash")
    if args.operation in ("lookup", "bench-lookup"):
        if not args.inputs:
            parser.error("lookup takes one or more ALG:HEX hashes")
        for text in args.inputs:
            if ":" not in text:
                parser.error(f"{text!r} is not ALG:HEX (e.g. pdq:<64 hex digits>)")
    if args.operation in ("hash", "match") and not args.inputs:
        parser.error(f"{args.operation} takes one or more image files (- for standard input)")

    token = None
    if args.token_file:
        with open(args.token_file, "rb") as f:
            token = f.read().rstrip()
    try:
        if args.connect:
            host, _, port = args.connect.rpartition(":")
            client = Client.tcp(host.strip("[]"), int(port), token)
        else:
            client = Client.unix(args.socket, token)
    except (OSError, ServiceError) as error:
        print(f"hashmatch_client: {error}", file=sys.stderr)
        return 2

    with client:
        if args.operation == "bench-lookup":
            algorithm, _, hex_hash = args.inputs[0].partition(":")
            payload = json.dumps([{"algorithm": algorithm, "hash": hex_hash}]).encode()
            start, done = time.perf_counter(), 0
            while done < args.count:
                batch = min(args.depth, args.count - done)
                answers = client.pipeline([(OP_LOOKUP, payload)] * batch)
                if any(status != STATUS_OK for status, _ in answers):
                    print("an answer was an error", file=sys.stderr)
                    return 2
                done += batch
            elapsed = time.perf_counter() - start
            print(json.dumps({"requests": done, "seconds": round(elapsed, 3), "per_second": round(done / elapsed)}))
            return 0
        opcode = {"ping": OP_PING, "stats": OP_STATS, "reload": OP_RELOAD, "hash": OP_HASH, "match": OP_MATCH}
        if args.operation in ("hash", "match"):
            requests = []
            for path in args.inputs:
                with open(path, "rb") if path != "-" else sys.stdin.buffer as f:
                    requests.append((opcode[args.operation], f.read()))
        elif args.operation == "lookup":
            items = [dict(zip(("algorithm", "hash"), text.split(":", 1))) for text in args.inputs]
            requests = [(OP_LOOKUP, json.dumps(items).encode())]
        else:
            requests = [(opcode[args.operation], b"")]
        status = 0
        for answer_status, body in client.pipeline(requests):
            print(json.dumps(body))
            if answer_status != STATUS_OK:
                status = 2
            elif status == 0 and (body.get("matches") or any(r.get("matches") for r in body.get("results", []))):
                status = 1
        return status


if __name__ == "__main__":
    sys.exit(main())
