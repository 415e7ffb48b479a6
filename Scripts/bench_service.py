#!/usr/bin/env python3
"""Driver of Scripts/bench-service: the catalogue and the match socket at 1M (and 10M) PDQ entries.

Python 3 standard library only; the framing comes from Scripts/hashmatch_client.py.

Per size N:
  1. writes a synthetic set (N random 256-bit PDQ hashes, ids e0000001..., label `synthetic`) as native
     `.hashset` text in a temporary folder;
  2. times, with /usr/bin/time (wall and peak RSS): `hashmatch match --hashsets DIR IMAGE` loading the text,
     `hashmatch index build --hashsets DIR`, and the same `match` loading the snapshot; plus `match` on an
     empty folder (start-up + hashing the image: the floor of the other two);
  3. starts `hashmatch serve --socket S --http 127.0.0.1:PORT --hashsets DIR`, times it to /readyz = 200, and
     measures for --duration seconds each: pipelined PDQ lookups over the Unix socket (1 and 2 client
     processes), pipelined JPEG matches over the Unix socket, and the same two over HTTP with wrk; the server's
     VmRSS/VmHWM after loading and at the end; a reload; then admin adds and removes (1 entry a call, then
     1,000) while a client keeps looking up: each call's time and the slowest lookup overlapping it; at the
     first N, JPEG matches again against servers started with fewer hashes or a faster PDQ mode (--lean-serve);
  4. times `match` again: the snapshot is now behind the set by the admin changes, which are replayed.
"""
import argparse
import array
import datetime
import json
import multiprocessing
import os
import platform
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hashmatch_client import HEADER, OP_ADD_ENTRIES, OP_LOOKUP, OP_MATCH, OP_REMOVE_ENTRIES, Client  # noqa: E402

DOCS = "docs/BENCHMARKS.md"
SECTION = "## Service and catalogue at scale"
BEGIN = "<!-- Scripts/bench-service results: begin (rewritten by the script) -->"
END = "<!-- Scripts/bench-service results: end -->"
QUERY_POOL = 1024  # distinct lookup payloads, cycled


BATCH = 64  # hashes per request in the batched lookup phase


def log(message):
    print(f"bench-service: {message}", file=sys.stderr, flush=True)


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def mib(kib):
    return kib / 1024


# ---------------------------------------------------------------------------------------------------- the set


def write_hashset(directory, n, seed):
    """N random PDQ entries; returns (path, sample) where sample is the first QUERY_POOL // 2 hashes."""
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, "synthetic.hashset")
    rng = random.Random(seed)
    sample = []
    chunk = 100_000
    with open(path, "w", buffering=1 << 22) as f:
        f.write("#hashmatch-hashset v1\n")
        f.write(f"#set description=Synthetic benchmark set: {n} random PDQ hashes (Scripts/bench-service)\n")
        for start in range(0, n, chunk):
            count = min(chunk, n - start)
            text = rng.randbytes(32 * count).hex()
            lines = []
            for i in range(count):
                hex_hash = text[64 * i : 64 * i + 64]
                if len(sample) < QUERY_POOL // 2:
                    sample.append(hex_hash)
                lines.append(f"pdq {hex_hash} e{start + i + 1:07d} synthetic\n")
            f.write("".join(lines))
    return path, sample


def batch_payloads(sample, seed, size):
    """Requests of `size` hashes each, cycling the same half-hit, half-random mix as lookup_payloads."""
    rng = random.Random(seed + 2)
    hashes = []
    for hex_hash in sample:
        hashes += [hex_hash, rng.randbytes(32).hex()]
    return [json.dumps([{"algorithm": "pdq", "hash": h} for h in hashes[i : i + size]]).encode()
            for i in range(0, len(hashes) - size + 1, size)]


def lookup_payloads(sample, seed):
    """Half the set's own hashes (one hit each, distance 0), half random hashes (no hit: 256 random bits are
    ~128 from everything), interleaved. One hash per request."""
    rng = random.Random(seed + 1)
    payloads = []
    for hex_hash in sample:
        payloads.append(json.dumps([{"algorithm": "pdq", "hash": hex_hash}]).encode())
        payloads.append(json.dumps([{"algorithm": "pdq", "hash": rng.randbytes(32).hex()}]).encode())
    return payloads


# ---------------------------------------------------------------------------------------------------- CLI timing


def timed(command, ok_codes=(0, 1)):
    """Runs command under /usr/bin/time; returns (wall seconds, peak RSS KiB, stderr)."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as out:
        load = loadavg()
        proc = subprocess.run(
            ["/usr/bin/time", "-o", out.name, "-f", "%e %M"] + command,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )
        fields = out.read().strip().splitlines()[-1].split()
    if proc.returncode not in ok_codes:
        raise SystemExit(f"bench-service: {' '.join(command)} exited {proc.returncode}: {proc.stderr[-2000:]}")
    return {"seconds": float(fields[0]), "peak_rss_kib": int(fields[1]), "load": load, "stderr": proc.stderr}


def run_cli(args, directory, empty):
    hm, image = args.hashmatch, args.image
    snapshot = os.path.join(directory, ".hashmatch-index")
    if os.path.exists(snapshot):
        os.remove(snapshot)
    results = {}
    log("match, empty folder (floor)")
    results["floor"] = timed([hm, "match", "--hashsets", empty, image])
    log("match, loading the text set")
    results["text"] = timed([hm, "match", "--hashsets", directory, image])
    log("index build")
    results["build"] = timed([hm, "index", "build", "--hashsets", directory], ok_codes=(0,))
    results["build"]["snapshot_bytes"] = os.path.getsize(snapshot)
    log("match, loading the snapshot")
    results["snapshot"] = timed([hm, "match", "--hashsets", directory, image])
    if "out of date" in results["snapshot"]["stderr"] or "loading the sets instead" in results["snapshot"]["stderr"]:
        log("warning: the snapshot was not used: " + results["snapshot"]["stderr"].strip())
        results["snapshot"]["not_used"] = True
    for value in results.values():
        value.pop("stderr", None)
    return results


# ---------------------------------------------------------------------------------------------------- socket load


def pipelined_worker(socket_path, opcode, payloads, depth, warmup, duration, queue):
    """Keeps `depth` requests outstanding on one Unix-socket connection (a new request goes out for every answer
    read); latency of a request = time its answer was parsed - time it was sent. Only requests sent after the
    warm-up and answered before the end count."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect(socket_path)
    frames = [HEADER.pack(5 + len(p), opcode, 0) + p for p in payloads]
    now = time.perf_counter
    start = now()
    measure_from, stop_at = start + warmup, start + warmup + duration
    sent_at = {}
    next_id, next_payload = 1, 0
    latencies = array.array("d")
    errors = 0
    completed = 0
    buffer = bytearray()

    def send(count):
        nonlocal next_id, next_payload
        chunks = []
        t = now()
        for _ in range(count):
            frame = frames[next_payload]
            next_payload = (next_payload + 1) % len(frames)
            chunks.append(frame[:5] + next_id.to_bytes(4, "big") + frame[9:])
            sent_at[next_id] = t
            next_id += 1
        sock.sendall(b"".join(chunks))

    cpu_start = time.process_time()
    send(depth)
    while True:
        chunk = sock.recv(1 << 20)
        if not chunk:
            raise SystemExit("bench-service: the server closed the connection")
        buffer += chunk
        t = now()
        answered = 0
        offset = 0
        while len(buffer) - offset >= 9:
            length, status, request_id = HEADER.unpack_from(buffer, offset)
            if len(buffer) - offset < 4 + length:
                break
            offset += 4 + length
            answered += 1
            sent = sent_at.pop(request_id)
            if status != 0:
                errors += 1
            if sent >= measure_from and t <= stop_at:
                latencies.append(t - sent)
                completed += 1
        del buffer[:offset]
        if t >= stop_at:
            break
        if answered:
            send(answered)
    sock.close()
    queue.put((completed, errors, latencies.tobytes(), (time.process_time() - cpu_start) / (now() - start)))


def percentile(sorted_values, fraction):
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(fraction * (len(sorted_values) - 1))))
    return sorted_values[index]


def cpu_seconds(pid):
    """User + system CPU seconds of a process so far (/proc/PID/stat)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_pipelined(socket_path, opcode, payloads, depth, processes, warmup, duration, server_pid):
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    load = loadavg()
    workers = [
        context.Process(
            target=pipelined_worker, args=(socket_path, opcode, payloads, depth, warmup, duration, queue)
        )
        for _ in range(processes)
    ]
    for w in workers:
        w.start()
    time.sleep(warmup)
    server_cpu = cpu_seconds(server_pid)
    time.sleep(duration)
    server_cpu = (cpu_seconds(server_pid) - server_cpu) / duration
    results = [queue.get(timeout=warmup + duration + 120) for _ in workers]
    for w in workers:
        w.join()
    completed = sum(r[0] for r in results)
    errors = sum(r[1] for r in results)
    latencies = array.array("d")
    for r in results:
        latencies.frombytes(r[2])
    values = sorted(latencies)
    return {
        "processes": processes, "depth": depth, "requests": completed, "errors": errors,
        "per_second": completed / duration,
        "p50_ms": percentile(values, 0.50) * 1e3, "p99_ms": percentile(values, 0.99) * 1e3,
        "load": load, "load_after": loadavg(),
        "server_cores": server_cpu, "client_cores": [round(r[3], 3) for r in results],
    }


# ---------------------------------------------------------------------------------------------------- HTTP (wrk)

WRK_LUA = r"""
local bodies = {}
local paths = {}
for line in io.lines(os.getenv("BENCH_BODY_LIST")) do
  local f = assert(io.open(line, "rb"))
  bodies[#bodies + 1] = f:read("*a")
  f:close()
end
local path = os.getenv("BENCH_PATH")
local content_type = os.getenv("BENCH_CONTENT_TYPE")
local i = 0
request = function()
  i = i % #bodies + 1
  return wrk.format("POST", path, {["Content-Type"] = content_type}, bodies[i])
end
"""


def parse_duration_ms(text):
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    value, unit = float(match.group(1)), match.group(2)
    return value * {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 6e4}[unit]


def run_wrk(port, path, content_type, bodies, connections, threads, duration, workdir, warmup, server_pid):
    body_dir = os.path.join(workdir, f"wrk-bodies-{path.strip('/').replace('/', '-')}")
    os.makedirs(body_dir, exist_ok=True)
    names = []
    for i, body in enumerate(bodies):
        name = os.path.join(body_dir, f"{i}.body")
        with open(name, "wb") as f:
            f.write(body)
        names.append(name)
    body_list = os.path.join(body_dir, "list")
    with open(body_list, "w") as f:
        f.write("\n".join(names) + "\n")
    script = os.path.join(workdir, "bench.lua")
    with open(script, "w") as f:
        f.write(WRK_LUA)
    env = dict(os.environ, BENCH_BODY_LIST=body_list, BENCH_PATH=path, BENCH_CONTENT_TYPE=content_type)
    url = f"http://127.0.0.1:{port}{path}"
    base = ["wrk", "-t", str(threads), "-c", str(connections), "-s", script]
    if warmup > 0:
        subprocess.run(base + ["-d", f"{max(1, round(warmup))}s", url], env=env, capture_output=True, check=True)
    load = loadavg()
    server_cpu = cpu_seconds(server_pid)
    output = subprocess.run(
        base + ["-d", f"{duration}s", "--latency", url], env=env, capture_output=True, text=True, check=True
    ).stdout
    server_cpu = (cpu_seconds(server_pid) - server_cpu) / duration
    result = {"connections": connections, "threads": threads, "load": load, "load_after": loadavg(), "raw": output,
              "server_cores": server_cpu}
    result["per_second"] = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    result["requests"] = int(re.search(r"(\d+) requests in", output).group(1))
    for label, key in (("50%", "p50_ms"), ("99%", "p99_ms")):
        result[key] = parse_duration_ms(re.search(rf"^\s+{label}\s+(\S+)", output, re.M).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    errors = re.search(r"Socket errors: (.*)", output)
    result["errors"] = int(non2xx.group(1)) if non2xx else 0
    result["socket_errors"] = errors.group(1) if errors else ""
    return result


# ---------------------------------------------------------------------------------------------------- the server


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proc_memory(pid):
    values = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(rest.split()[0])
    return values


def steady_reader(socket_path, seed, stop, queue):
    """One PDQ lookup per request, back to back, until `stop` is set; puts [(start, seconds)] on `queue`."""
    rng = random.Random(seed)
    timings = []
    with Client.unix(socket_path, timeout=600) as client:
        while not stop.is_set():
            started = time.perf_counter()
            client.lookup([("pdq", rng.randbytes(32).hex())])
            timings.append((started, time.perf_counter() - started))
    queue.put(timings)


def run_admin_changes(socket_path, args):
    """(e) Admin adds and removes (1 entry, then 1,000) while a client keeps looking up: each call's wall time and
    the slowest lookup overlapping it, against the slowest of the lookups before the first change."""
    stop = multiprocessing.Event()
    queue = multiprocessing.Queue()
    reader = multiprocessing.Process(target=steady_reader, args=(socket_path, args.seed + 5, stop, queue))
    reader.start()
    rng = random.Random(args.seed + 6)
    calls = []
    load = loadavg()
    try:
        time.sleep(3)
        with Client.unix(socket_path, timeout=600) as client:
            for batch, rounds in ((1, 5), (1000, 3)):
                for round_ in range(rounds):
                    ids = [f"admin-{batch}-{round_}-{k}" for k in range(batch)]
                    entries = [{"id": i, "algorithm": "pdq", "hash": rng.randbytes(32).hex()} for i in ids]
                    for kind, opcode, body in (
                        ("add", OP_ADD_ENTRIES, {"set": "synthetic", "entries": entries}),
                        ("remove", OP_REMOVE_ENTRIES, {"set": "synthetic", "ids": ids}),
                    ):
                        started = time.perf_counter()
                        answer = client.call(opcode, json.dumps(body).encode())
                        calls.append({"kind": kind, "batch": batch, "start": started,
                                      "seconds": time.perf_counter() - started})
                        if answer.get("added", answer.get("removed")) != batch:
                            raise SystemExit(f"bench-service: {kind} of {batch} answered {answer!r}")
    finally:
        stop.set()
        timings = queue.get()
        reader.join()
    before = [t for started, t in timings if started < calls[0]["start"]]
    result = {"load": load, "lookups": len(timings), "before_worst": max(before), "before_count": len(before)}
    for call in calls:
        end = call["start"] + call["seconds"]
        call["worst_lookup"] = max([t for started, t in timings if started + t >= call["start"] and started <= end],
                                   default=0)
    for kind in ("add", "remove"):
        for batch in (1, 1000):
            chosen = [c for c in calls if c["kind"] == kind and c["batch"] == batch]
            result[f"{kind}_{batch}"] = {"seconds": sorted(c["seconds"] for c in chosen),
                                         "worst_lookup": max(c["worst_lookup"] for c in chosen)}
    return result


def stop(server):
    """SIGTERM (a graceful shutdown), then SIGKILL after a minute."""
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=60)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def run_lean_match(args, directory, workdir, options):
    """Pipelined JPEG matches against `serve OPTIONS` on the same sets (e.g. `--algorithms pdq,md5`): what a platform
    that blocks on fewer hashes, or takes a faster PDQ mode, gets. The default server computes all seven per image
    at `--pdq-mode full`."""
    socket_path = os.path.join(workdir, "lean.sock")
    command = [args.hashmatch, "serve", "--socket", socket_path, "--hashsets", directory] + options.split()
    log(f"(b) JPEG matches, lean server: {' '.join(command)}")
    with open(os.path.join(workdir, "serve-lean.log"), "w") as stderr:
        server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=stderr)
        try:
            deadline = time.monotonic() + 600
            while True:
                if server.poll() is not None:
                    raise SystemExit(f"bench-service: lean serve exited {server.returncode}; see {stderr.name}")
                try:
                    with Client.unix(socket_path, timeout=5) as client:
                        client.ping()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise SystemExit("bench-service: lean serve not answering after 600 s")
                    time.sleep(0.05)
            with open(args.image, "rb") as f:
                image = f.read()
            result = run_pipelined(socket_path, OP_MATCH, [image], args.image_depth, 1, args.warmup, args.duration,
                                   server.pid)
        finally:
            stop(server)
    result["command"] = " ".join(command)
    log(json.dumps(result))
    return result


def run_server(args, directory, n, sample, workdir):
    os.makedirs(workdir, exist_ok=True)
    socket_path = os.path.join(workdir, "hashmatch.sock")
    port = free_port()
    command = [
        args.hashmatch, "serve", "--socket", socket_path, "--http", f"127.0.0.1:{port}", "--hashsets", directory,
    ]
    log(f"serve: {' '.join(command)}")
    load = loadavg()
    started = time.perf_counter()
    stderr = open(os.path.join(workdir, "serve.log"), "w")
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=stderr)
    results = {"command": " ".join(command), "pid": server.pid}
    try:
        while True:
            if server.poll() is not None:
                raise SystemExit(f"bench-service: serve exited {server.returncode}; see {stderr.name}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            time.sleep(0.05)
        results["ready_seconds"] = time.perf_counter() - started
        results["ready_load"] = load
        time.sleep(1)
        results["memory_loaded"] = proc_memory(server.pid)
        results["memory_loaded"]["load"] = loadavg()

        with Client.unix(socket_path) as client:
            stats = client.stats()
            results["entries"] = stats.get("entries", {})
            hit = client.lookup([("pdq", sample[0])])[0]["matches"]
            miss = client.lookup([("pdq", "0" * 64)])[0]["matches"]
            with open(args.image, "rb") as f:
                image = f.read()
            answer = client.match(image)
            if not hit or hit[0]["distance"] != 0:
                raise SystemExit(f"bench-service: lookup of an entry found {hit!r}")
            results["check"] = {"hit": hit[0]["id"], "miss_matches": len(miss), "image_matches": len(answer["matches"])}
        log(f"serve ready in {results['ready_seconds']:.2f} s, {results['entries']}, check {results['check']}")

        payloads = lookup_payloads(sample, args.seed)
        for processes in args.lookup_processes:
            log(f"(a) lookups over the Unix socket: {processes} client process(es), depth {args.depth}")
            results[f"lookup_unix_{processes}"] = run_pipelined(
                socket_path, OP_LOOKUP, payloads, args.depth, processes, args.warmup, args.duration, server.pid
            )
            log(json.dumps(results[f"lookup_unix_{processes}"]))
        log(f"(a) batched lookups: {BATCH} hashes per request, 2 client processes, depth 8")
        results["lookup_batch"] = run_pipelined(
            socket_path, OP_LOOKUP, batch_payloads(sample, args.seed, BATCH), 8, 2, args.warmup, args.duration,
            server.pid,
        )
        log(json.dumps(results["lookup_batch"]))
        log(f"(b) JPEG matches over the Unix socket: depth {args.image_depth}")
        results["match_unix"] = run_pipelined(
            socket_path, OP_MATCH, [image], args.image_depth, 1, args.warmup, args.duration, server.pid
        )
        log(json.dumps(results["match_unix"]))
        log(f"(c) HTTP: wrk POST /v1/match, {args.image_depth} connections")
        results["match_http"] = run_wrk(
            port, "/v1/match", "image/jpeg", [image], args.image_depth, min(2, args.image_depth),
            args.duration, workdir, args.warmup, server.pid,
        )
        log(f"    {results['match_http']['per_second']:.0f}/s")
        log(f"(c) HTTP: wrk POST /v1/lookup, {args.http_connections} connections")
        results["lookup_http"] = run_wrk(
            port, "/v1/lookup", "application/json", payloads, args.http_connections, 2,
            args.duration, workdir, args.warmup, server.pid,
        )
        log(f"    {results['lookup_http']['per_second']:.0f}/s")
        results["memory_end"] = proc_memory(server.pid)
        results["memory_end"]["load"] = loadavg()
        log("reload over the Unix socket (admin: allowed on the socket without an admin token)")
        load = loadavg()
        with Client.unix(socket_path, timeout=600) as client:
            started = time.perf_counter()
            client.reload()
            results["reload"] = {"seconds": time.perf_counter() - started, "load": load}
        time.sleep(1)
        results["reload"].update(proc_memory(server.pid))
        log(json.dumps(results["reload"]))
        log("(e) admin adds and removes over the Unix socket while a client looks up")
        results["admin"] = run_admin_changes(socket_path, args)
        log(json.dumps(results["admin"]))
    finally:
        stop(server)
        stderr.close()
    results["exit_status"] = server.returncode
    return results


# ---------------------------------------------------------------------------------------------------- report


def machine():
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    memory = ""
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.0f} GiB RAM"
    return f"{cpu}, {os.cpu_count()} logical cores, {memory}; {platform.platform()}"


def fmt_s(value):
    return f"{value:.2f} s" if value < 100 else f"{value:.0f} s"


def render(runs, args):
    lines = []
    when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M+00:00")
    image = os.path.relpath(args.image)
    lines.append(f"Generated by `{args.command}` on {when}.")
    lines.append("")
    lines.append(f"- Machine: {machine()}")
    lines.append(f"- Image: `{image}` ({os.path.getsize(args.image):,} bytes); set: N random PDQ hashes, one "
                 "`synthetic` label, one `.hashset` file; lookups: one hash per request, cycling 1,024 hashes "
                 "(half copied from the set: one hit at distance 0; half random: no hit)")
    lines.append(f"- Load phases: {args.warmup:g} s warm-up, then {args.duration:g} s measured; clients run on the "
                 "same 2 cores as the server (they compete with it)")
    lines.append("- Load average (1/5/15 min) is given with every figure; other jobs ran on the machine")
    lines.append("")
    header = "| measurement | " + " | ".join(f"N = {n:,}" for n in runs) + " |"
    lines.append(header)
    lines.append("|---|" + "---:|" * len(runs))

    def row(label, cell):
        cells = []
        for n, run in runs.items():
            try:
                cells.append(cell(run))
            except (KeyError, TypeError):
                cells.append("–")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")

    row("`.hashset` text file", lambda r: f"{r['text_bytes'] / 1e6:,.0f} MB")
    row("`match` on an empty folder (start-up + hashing: the floor)",
        lambda r: f"{fmt_s(r['cli']['floor']['seconds'])}, {mib(r['cli']['floor']['peak_rss_kib']):,.0f} MiB peak "
                  f"(load {r['cli']['floor']['load']})")
    row("`match --hashsets DIR` loading the **text** set: wall, peak RSS",
        lambda r: f"{fmt_s(r['cli']['text']['seconds'])}, {mib(r['cli']['text']['peak_rss_kib']):,.0f} MiB "
                  f"(load {r['cli']['text']['load']})")
    row("`index build`: wall, peak RSS",
        lambda r: f"{fmt_s(r['cli']['build']['seconds'])}, {mib(r['cli']['build']['peak_rss_kib']):,.0f} MiB "
                  f"(load {r['cli']['build']['load']})")
    row("snapshot `.hashmatch-index` size",
        lambda r: f"{r['cli']['build']['snapshot_bytes'] / 1e6:,.0f} MB "
                  f"({r['cli']['build']['snapshot_bytes'] / r['n']:.0f} B/entry)")
    row("`match --hashsets DIR` loading the **snapshot**: wall, peak RSS",
        lambda r: f"{fmt_s(r['cli']['snapshot']['seconds'])}, {mib(r['cli']['snapshot']['peak_rss_kib']):,.0f} MiB "
                  f"(load {r['cli']['snapshot']['load']})" + (" **snapshot not used**" if r['cli']['snapshot'].get('not_used') else ""))
    row("`serve`: start to `/readyz` 200 (loads the snapshot `index build` wrote above)",
        lambda r: f"{fmt_s(r['serve']['ready_seconds'])} (load {r['serve']['ready_load']})")
    row("`serve` VmRSS once loaded (VmHWM)",
        lambda r: f"{mib(r['serve']['memory_loaded']['VmRSS']):,.0f} MiB ({mib(r['serve']['memory_loaded']['VmHWM']):,.0f}); "
                  f"{r['serve']['memory_loaded']['VmRSS'] * 1024 / r['n']:.0f} B/entry")
    for processes in args.lookup_processes:
        row(f"(a) PDQ lookups, Unix socket, {processes} Python client process{'es' if processes > 1 else ''} × "
            f"depth {args.depth}: req/s, p50 / p99",
            lambda r, p=processes: pipelined_cell(r["serve"][f"lookup_unix_{p}"]))
    row(f"(a) PDQ lookups in batches of {BATCH} hashes, Unix socket, 2 Python client processes × depth 8: "
        "**hashes/s**, then requests: req/s, p50 / p99",
        lambda r: f"**{r['serve']['lookup_batch']['per_second'] * BATCH:,.0f} hashes/s**; "
                  + pipelined_cell(r["serve"]["lookup_batch"]))
    row(f"(b) JPEG match, Unix socket, 1 connection × depth {args.image_depth}: req/s, p50 / p99",
        lambda r: pipelined_cell(r["serve"]["match_unix"]))
    for options in args.lean_serve:
        row(f"(b) the same against `serve {options}` (the default: all seven hashes, `--pdq-mode full`; measured at "
            "the first N only)",
            lambda r, o=options: pipelined_cell(r["lean_match"][o]))
    row(f"(c) JPEG match, HTTP `POST /v1/match`, wrk {args.image_depth} connections: req/s, p50 / p99",
        lambda r: wrk_cell(r["serve"]["match_http"]))
    row(f"(c) PDQ lookup, HTTP `POST /v1/lookup`, wrk {args.http_connections} connections: req/s, p50 / p99",
        lambda r: wrk_cell(r["serve"]["lookup_http"]))
    row("(d) `serve` VmRSS after the load phases (VmHWM)",
        lambda r: f"{mib(r['serve']['memory_end']['VmRSS']):,.0f} MiB ({mib(r['serve']['memory_end']['VmHWM']):,.0f}) "
                  f"(load {r['serve']['memory_end']['load']})")
    row("`reload` (op 0x30, sets unchanged): wall; then VmRSS (VmHWM since start)",
        lambda r: f"{fmt_s(r['serve']['reload']['seconds'])}; {mib(r['serve']['reload']['VmRSS']):,.0f} MiB "
                  f"({mib(r['serve']['reload']['VmHWM']):,.0f}) (load {r['serve']['reload']['load']})")
    for kind in ("add", "remove"):
        for batch in (1, 1000):
            row(f"(e) admin {kind} entries, {batch:,} a call, while a client looks up: wall (each call, sorted); "
                "slowest lookup overlapping",
                lambda r, k=kind, b=batch: ", ".join(fmt_s(t) for t in r["serve"]["admin"][f"{k}_{b}"]["seconds"])
                + f"; {r['serve']['admin'][f'{k}_{b}']['worst_lookup'] * 1000:.1f} ms "
                  f"(before the changes: {r['serve']['admin']['before_worst'] * 1000:.1f} ms) "
                  f"(load {r['serve']['admin']['load']})")
    row("`match --hashsets DIR` after those changes (the snapshot, and the lines appended since replayed): wall, "
        "peak RSS",
        lambda r: f"{fmt_s(r['replay']['seconds'])}, {mib(r['replay']['peak_rss_kib']):,.0f} MiB "
                  f"(load {r['replay']['load']})" + (" **nothing replayed**" if r['replay'].get('not_replayed') else ""))
    lines.append("")
    first = next(iter(runs.values()))
    lines.append(f"Server command: `{first['serve']['command']}` (paths are temporary).")
    return "\n".join(lines)


def pipelined_cell(r):
    errors = f", **{r['errors']} errors**" if r["errors"] else ""
    clients = " + ".join(f"{c:.2f}" for c in r["client_cores"])
    return (f"{r['per_second']:,.0f}/s, {r['p50_ms']:.2f} / {r['p99_ms']:.2f} ms{errors}; CPU: server "
            f"{r['server_cores']:.2f}, client {clients} cores (load {r['load']})")


def wrk_cell(r):
    errors = f", **{r['errors']} non-2xx**" if r["errors"] else ""
    if r.get("socket_errors"):
        errors += f", socket errors: {r['socket_errors']}"
    return (f"{r['per_second']:,.0f}/s, {r['p50_ms']:.2f} / {r['p99_ms']:.2f} ms{errors}; CPU: server "
            f"{r['server_cores']:.2f} cores (load {r['load']})")


def write_markdown(block):
    with open(DOCS) as f:
        text = f.read()
    generated = f"{BEGIN}\n\n{block}\n\n{END}"
    if BEGIN in text and END in text:
        before, rest = text.split(BEGIN, 1)
        _, after = rest.split(END, 1)
        text = before + generated + after
    else:
        section = f"{SECTION}\n\n{generated}\n\n"
        if "\n## Robustness" in text:
            before, after = text.split("\n## Robustness", 1)
            text = before + "\n" + section + "## Robustness" + after
        else:
            text = text.rstrip("\n") + "\n\n" + section
    with open(DOCS, "w") as f:
        f.write(text)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hashmatch", default=".build/release/hashmatch")
    parser.add_argument("--command", default="Scripts/bench_service.py")
    parser.add_argument("--sizes", default="1000000", help="comma-separated entry counts")
    parser.add_argument("--ten-million", action="store_true", help="add N = 10,000,000 (~900 MB of text)")
    parser.add_argument("--duration", type=float, default=20, help="seconds measured per load phase")
    parser.add_argument("--warmup", type=float, default=2, help="seconds before measuring, per load phase")
    parser.add_argument("--depth", type=int, default=64, help="lookup pipeline depth per connection")
    parser.add_argument("--lookup-processes", default="1,2", help="client process counts for (a)")
    parser.add_argument("--image-depth", type=int, default=4,
                        help="JPEG requests outstanding: pipeline depth over the socket, wrk connections over HTTP")
    parser.add_argument("--http-connections", type=int, default=64, help="wrk connections for /v1/lookup")
    parser.add_argument("--lean-serve", action="append", metavar="OPTIONS",
                        help="serve options to measure JPEG matches with as well, at the first N; repeatable "
                             "(default: '--algorithms pdq,md5' and '--algorithms pdq,md5 --pdq-mode cli512'; "
                             "'' for none)")
    parser.add_argument("--image", help="JPEG to match (default: the 1024x768 shared vector, else the fixture)")
    parser.add_argument("--workdir", help="where the sets go (default: a new folder under $TMPDIR)")
    parser.add_argument("--keep", action="store_true", help="keep the generated sets")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-write", action="store_true", help=f"print only, leave {DOCS} alone")
    parser.add_argument("--json", help="also write the raw figures here")
    args = parser.parse_args()
    args.duration = int(args.duration) if args.duration == int(args.duration) else args.duration
    if args.lean_serve is None:
        args.lean_serve = ["--algorithms pdq,md5", "--algorithms pdq,md5 --pdq-mode cli512"]
    args.lean_serve = [options for options in args.lean_serve if options.strip()]
    args.lookup_processes = [int(p) for p in args.lookup_processes.split(",") if p]
    if args.image is None:
        shared = "../shared/vectors/pdq/synthetic/m1024_img000.jpg"
        args.image = shared if os.path.exists(shared) else "Tests/Fixtures/images/large-1024x768.jpg"
    args.hashmatch = os.path.abspath(args.hashmatch)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    if args.ten_million and 10_000_000 not in sizes:
        sizes.append(10_000_000)
    if shutil.which("wrk") is None:
        raise SystemExit("bench-service: wrk is missing (apt-get install -y wrk)")

    workdir = args.workdir or tempfile.mkdtemp(prefix="hashmatch-bench-service-")
    os.makedirs(workdir, exist_ok=True)
    empty = os.path.join(workdir, "empty")
    os.makedirs(empty, exist_ok=True)
    runs = {}
    try:
        for n in sizes:
            need = n * 90 * 2.2  # the text, the snapshot (~half), slack
            free = shutil.disk_usage(workdir).free
            if free < need:
                log(f"skipping N = {n:,}: {free / 1e9:.1f} GB free in {workdir}, want {need / 1e9:.1f} GB")
                continue
            directory = os.path.join(workdir, f"set-{n}")
            log(f"N = {n:,}: writing {directory}/synthetic.hashset (load {loadavg()})")
            started = time.perf_counter()
            path, sample = write_hashset(directory, n, args.seed)
            run = {"n": n, "text_bytes": os.path.getsize(path), "generate_seconds": time.perf_counter() - started}
            run["cli"] = run_cli(args, directory, empty)
            log(json.dumps(run["cli"]))
            run["serve"] = run_server(args, directory, n, sample, os.path.join(workdir, f"serve-{n}"))
            if not runs:
                run["lean_match"] = {
                    options: run_lean_match(args, directory, os.path.join(workdir, f"serve-{n}"), options)
                    for options in args.lean_serve
                }
            log("match after the admin changes: the snapshot plus the appended lines replayed")
            run["replay"] = timed([args.hashmatch, "match", "--hashsets", directory, args.image])
            if "replayed" not in run["replay"]["stderr"]:
                log("warning: no lines were replayed: " + run["replay"]["stderr"].strip())
                run["replay"]["not_replayed"] = True
            runs[n] = run
            if not args.keep:
                shutil.rmtree(directory, ignore_errors=True)
    finally:
        if not args.keep and not args.workdir:
            shutil.rmtree(workdir, ignore_errors=True)
    if not runs:
        raise SystemExit("bench-service: nothing measured")
    block = render(runs, args)
    print(block)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({str(n): r for n, r in runs.items()}, f, indent=1)
    if not args.no_write:
        write_markdown(block)
        log(f"wrote {DOCS}")


if __name__ == "__main__":
    main()
