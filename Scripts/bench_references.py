#!/usr/bin/env python3
"""hashmatch beside its references, same run, same files, one core each.

Driven by Scripts/bench-references (which creates the venv and builds the Swift side); run that, not this.
Writes raw results to .build-bench/results.json and the tables to docs/BENCHMARKS.md between the markers.
"""

import argparse
import datetime
import io
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / ".build-bench"
SHARED = ROOT.parent / "shared" / "vectors"
BEGIN = "<!-- BEGIN GENERATED: Scripts/bench-references -->"
END = "<!-- END GENERATED: Scripts/bench-references -->"
SEED = 20240601


def log(message):
    print(f"bench-references: {message}", file=sys.stderr, flush=True)


def pin(cores):
    """Runs this process (and what it starts) on `cores`; no-op where affinity is unsupported."""
    try:
        os.sched_setaffinity(0, cores)
    except (AttributeError, OSError):
        pass


def median(values):
    return statistics.median(values) if values else float("nan")


def taskset(core):
    return ["taskset", "-c", str(core)] if shutil.which("taskset") else []


# ---------------------------------------------------------------------------------------------------------------
# Corpus


def synthetic_image(rng, width, height):
    """A photo-like picture (smooth shapes, gradients, fine texture), so JPEG sizes and decode costs are realistic."""
    coarse = rng.integers(0, 256, size=(height // 64 + 2, width // 64 + 2, 3), dtype=np.uint8)
    base = Image.fromarray(coarse).resize((width, height), Image.Resampling.BICUBIC)
    pixels = np.asarray(base).astype(np.int16)
    texture = rng.normal(0, 12, size=(height // 2, width // 2, 1))
    texture = np.repeat(np.repeat(texture, 2, axis=0), 2, axis=1)[:height, :width]
    pixels = np.clip(pixels + texture, 0, 255).astype(np.uint8)
    return Image.fromarray(pixels)


def build_corpus(args):
    """Groups of files: syn1024 (1024×768 JPEGs), syn4000 (4000×3000 JPEGs), photos (real photographs)."""
    corpus = WORK / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    groups = {"syn1024": [], "syn4000": [], "photos": []}
    synthetic = SHARED / "pdq" / "synthetic"
    sources = {"syn1024": "m1024_*.jpg", "syn4000": "m4000_*.jpg"}
    sizes = {"syn1024": (1024, 768), "syn4000": (4000, 3000)}
    wanted = {"syn1024": args.syn1024, "syn4000": args.syn4000}
    provenance = {}
    for group, pattern in sources.items():
        found = sorted(synthetic.glob(pattern)) if synthetic.is_dir() else []
        if found:
            groups[group] = found[: wanted[group]]
            provenance[group] = f"{len(groups[group])} × `../shared/vectors/pdq/synthetic/{pattern}`"
            continue
        rng = np.random.default_rng(SEED + sizes[group][0])
        for index in range(wanted[group]):
            path = corpus / f"{group}_{index:03d}.jpg"
            if not path.exists():
                synthetic_image(rng, *sizes[group]).save(path, quality=90)
            groups[group].append(path)
        provenance[group] = f"{wanted[group]} generated (Pillow, seed {SEED + sizes[group][0]}, quality 90)"
    photos = []
    for folder in (SHARED / "pdq" / "images", SHARED / "imagehash" / "images"):
        if folder.is_dir():
            photos += sorted(p for p in folder.rglob("*") if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
    groups["photos"] = photos
    provenance["photos"] = (
        f"{len(photos)} files from `../shared/vectors/pdq/images` and `../shared/vectors/imagehash/images`"
        if photos
        else "absent (shared vectors not found)"
    )
    # hashmatch must be able to decode every file, else the groups would differ between the two sides.
    return {name: files for name, files in groups.items() if files}, provenance


# ---------------------------------------------------------------------------------------------------------------
# Hashing: hashmatch bench vs pdqhash / imagehash


def hashmatch_bench(hashmatch, files, extra, repeat):
    command = taskset(0) + [str(hashmatch), "bench", "-j", "1", "--repeat", str(repeat), "--format", "jsonl"]
    command += extra + [str(f) for f in files]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{result.stderr}")
    rows = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    return {row["path"]: row["median_ms"] for row in rows}


def time_in_process(files, function, repeat):
    """Median (over files) of each file's median (over `repeat` runs) milliseconds; bytes read beforehand."""
    per_file = {}
    for path in files:
        data = Path(path).read_bytes()
        function(data)  # warm-up
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            function(data)
            times.append((time.perf_counter() - start) * 1000)
        per_file[str(path)] = median(times)
    return per_file


def pdqhash_full(data):
    import pdqhash

    return pdqhash.compute(np.asarray(Image.open(io.BytesIO(data)).convert("RGB")))


def imagehash_three(data):
    import imagehash

    image = Image.open(io.BytesIO(data))
    image.load()
    return imagehash.phash(image), imagehash.dhash(image), imagehash.average_hash(image)


def process_ms(command, repeat):
    """Median wall-clock milliseconds of running `command` as a process."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        times.append((time.perf_counter() - start) * 1000)
    return median(times)


def djpeg_floor(files, scale, repeat):
    """djpeg per file minus the same command on an 8×8 JPEG (process start-up and output setup)."""
    tiny = WORK / "tiny-8x8.jpg"
    if not tiny.exists():
        Image.new("RGB", (8, 8), (128, 64, 32)).save(tiny, quality=90)
    options = ["-scale", scale] if scale else []
    startup = process_ms(taskset(0) + ["djpeg"] + options + ["-outfile", "/dev/null", str(tiny)], repeat * 2)
    per_file = {}
    for path in files:
        if Path(path).suffix.lower() not in (".jpg", ".jpeg"):
            continue
        ms = process_ms(taskset(0) + ["djpeg"] + options + ["-outfile", "/dev/null", str(path)], repeat)
        per_file[str(path)] = max(ms - startup, 0.0)
    return per_file, startup


def run_hashing(args, hashmatch, groups):
    pin({0})
    results = {}
    for group, files in groups.items():
        log(f"hashing: {group} ({len(files)} files)")
        r = {}
        for mode in ("full", "cli512", "fast"):
            r[f"hashmatch pdq {mode}"] = hashmatch_bench(
                hashmatch, files, ["--algorithms", "pdq", "--pdq-mode", mode], args.repeat
            )
        r["hashmatch phash,dhash,ahash"] = hashmatch_bench(
            hashmatch, files, ["--algorithms", "phash,dhash,ahash"], args.repeat
        )
        r["pdqhash (PIL decode + full-res PDQ)"] = time_in_process(files, pdqhash_full, args.py_repeat)
        r["imagehash phash+dhash+average_hash (PIL decode)"] = time_in_process(files, imagehash_three, args.py_repeat)
        if shutil.which("djpeg"):
            r["djpeg -scale 1/8 (start-up subtracted)"], _ = djpeg_floor(files, "1/8", args.py_repeat)
            r["djpeg full (start-up subtracted)"], startup = djpeg_floor(files, None, args.py_repeat)
            results.setdefault("_djpeg_startup_ms", {})[group] = startup
        results[group] = {name: per_file for name, per_file in r.items() if per_file}
    pin(set(range(os.cpu_count() or 1)))
    return results


# ---------------------------------------------------------------------------------------------------------------
# Lookups: our indexes (IndexBench) vs faiss and pybktree on the same files


def make_hash_data(bits, n, kind, nq, rng):
    """`n` base rows and `nq` queries of `bits` bits as (rows, limbs) uint64 arrays.

    random: uniform bits. clustered: n/100 centres, each row a centre with 0…bits/4 bits flipped (uniform).
    Queries: random base rows with 0…radius+4 bits flipped, so every query has at least one true neighbour
    at small radii and the result counts exercise the radius boundary.
    """
    limbs = bits // 64
    if kind == "random":
        base = rng.integers(0, 2**64, size=(n, limbs), dtype=np.uint64)
    else:
        centres = rng.integers(0, 2**64, size=(max(n // 100, 1), limbs), dtype=np.uint64)
        base = centres[rng.integers(0, len(centres), size=n)].copy()
        flip_bits(base, rng.integers(0, bits // 4 + 1, size=n), bits, rng)
    queries = base[rng.integers(0, n, size=nq)].copy()
    flip_bits(queries, rng.integers(0, (12 if bits == 64 else 35) + 1, size=nq), bits, rng)
    return base, queries


def flip_bits(rows, counts, bits, rng):
    for row, count in enumerate(counts):
        for bit in rng.choice(bits, size=int(count), replace=False):
            rows[row, bit // 64] ^= np.uint64(1) << np.uint64(bit % 64)


def rss_bytes():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def time_queries(search, queries, repeat=3):
    per_query, hits = [], 0
    for q in queries:
        best = float("inf")
        for _ in range(repeat):
            start = time.perf_counter()
            found = search(q)
            best = min(best, (time.perf_counter() - start) * 1000)
        hits += found
        per_query.append(best)
    return median(per_query), sum(per_query) / len(per_query), hits


def faiss_side(base, queries, bits, radius, repeat):
    import faiss

    faiss.omp_set_num_threads(1)
    xb = np.ascontiguousarray(base).view(np.uint8).reshape(len(base), bits // 8)
    xq = np.ascontiguousarray(queries).view(np.uint8).reshape(len(queries), bits // 8)
    out = []
    nhash = bits // 16
    # A wider layout as well, the one faiss users pick for big sets (11×23 for PDQ, 3×21 for 64-bit): still exact,
    # since the slots are disjoint and some slot is within radius // slots bits of any hit.
    wide_bits = 23 if bits == 256 else 21
    wide = bits // wide_bits
    for name, make in (
        ("faiss IndexBinaryFlat", lambda: faiss.IndexBinaryFlat(bits)),
        (f"faiss IndexBinaryMultiHash {nhash}×16 nflip={radius // nhash}", lambda: multihash(faiss, bits, nhash, 16, radius)),
        (f"faiss IndexBinaryMultiHash {wide}×{wide_bits} nflip={radius // wide}",
         lambda: multihash(faiss, bits, wide, wide_bits, radius)),
    ):
        before = rss_bytes()
        start = time.perf_counter()
        index = make()
        index.add(xb)
        build = (time.perf_counter() - start) * 1000
        memory = (rss_bytes() - before) / 2**20

        # faiss's binary range_search keeps distances < radius (strict), so ask for radius + 1.
        def search(q, index=index):
            lims, _, _ = index.range_search(q.reshape(1, -1), radius + 1)
            return int(lims[1])

        med, mean, hits = time_queries(search, xq, repeat)
        out.append(dict(kind=name, build_ms=build, rss_delta_mb=memory, query_ms_median=med, query_ms_mean=mean, hits=hits))
        if bits == 256:
            # A dihedral lookup: the 8 PDQ variants of one image in one call (faiss searches them as a batch).
            def search8(i, index=index):
                group = xq[[(i + k) % len(xq) for k in range(8)]]
                lims, _, _ = index.range_search(group, radius + 1)
                return int(lims[-1])

            med, mean, hits = time_queries(search8, range(len(xq)), repeat)
            out.append(dict(kind=f"{name}, 8 queries per call", group=8, build_ms=build, rss_delta_mb=memory,
                            query_ms_median=med, query_ms_mean=mean, hits=hits))
        del index
    return out


def multihash(faiss, bits, nhash, slot_bits, radius):
    index = faiss.IndexBinaryMultiHash(bits, nhash, slot_bits)
    # Exact by pigeonhole: nhash disjoint slots, so some slot is within radius // nhash bits.
    index.nflip = radius // nhash
    return index


_trees = {}


def pybktree_side(base, queries, bits, radius, max_queries, cache_key):
    import pybktree

    def hamming(a, b):
        return (a ^ b).bit_count()

    def as_int(row):
        value = 0
        for limb in row:
            value = (value << 64) | int(limb)
        return value

    items = [as_int(row) for row in base]
    tree_entry = _trees.get(cache_key)
    if tree_entry is None:
        _trees.clear()
        before = rss_bytes()
        start = time.perf_counter()
        tree = pybktree.BKTree(hamming, items)
        tree_entry = (tree, (time.perf_counter() - start) * 1000, (rss_bytes() - before) / 2**20)
        _trees[cache_key] = tree_entry
    tree, build, memory = tree_entry
    qs = [as_int(row) for row in queries[:max_queries]]
    med, mean, hits = time_queries(lambda q: len(tree.find(q, radius)), qs, repeat=1)
    return dict(kind="pybktree", build_ms=build, rss_delta_mb=memory, query_ms_median=med, query_ms_mean=mean,
                hits=hits, queries=len(qs))


def index_bench(binary, bits, base_file, query_file, radius, kinds="linear,bktree,mih,auto", repeat=1, group=1):
    command = taskset(0) + [str(binary), "--bits", str(bits), "--base", str(base_file), "--queries",
                            str(query_file), "--radius", str(radius), "--kinds", kinds, "--repeat", str(repeat),
                            "--group", str(group)]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{result.stderr}")
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


def run_lookups(args, index_bench_binary):
    pin({0})
    data_dir = WORK / "hashdata"
    data_dir.mkdir(parents=True, exist_ok=True)
    results = []
    sizes = [int(s) for s in args.sizes.split(",")]
    for n in sizes:
        for bits, radii in ((64, (8, 10)), (256, (31,))):
            for kind in ("random", "clustered"):
                nq = 200 if n <= 100_000 else 100
                rng = np.random.default_rng([SEED, bits, n, 0 if kind == "random" else 1])
                base_file = data_dir / f"{kind}-{bits}-{n}.base.bin"
                query_file = data_dir / f"{kind}-{bits}-{n}.queries.bin"
                if not base_file.exists() or not query_file.exists():
                    log(f"lookups: generating {kind} {bits}-bit n={n}")
                    base, queries = make_hash_data(bits, n, kind, nq, rng)
                    base.astype("<u8").tofile(base_file)
                    queries.astype("<u8").tofile(query_file)
                base = np.fromfile(base_file, dtype="<u8").reshape(-1, bits // 64)
                queries = np.fromfile(query_file, dtype="<u8").reshape(-1, bits // 64)
                for radius in radii:
                    log(f"lookups: {kind} {bits}-bit n={n} r={radius}")
                    config = dict(n=n, bits=bits, data=kind, radius=radius, queries=len(queries))
                    rows = [dict(r, side="hashmatch") for r in index_bench(index_bench_binary, bits, base_file, query_file, radius,
                                                                           kinds=args.index_kinds, repeat=args.query_repeat)]
                    if bits == 256:
                        rows += [dict(r, side="hashmatch", kind=f"{r['kind']}, 8 queries per searchAny")
                                 for r in index_bench(index_bench_binary, bits, base_file, query_file, radius,
                                                      kinds="auto", repeat=args.query_repeat, group=8)]
                    rows += [dict(r, side="faiss") for r in faiss_side(base, queries, bits, radius, args.query_repeat)]
                    if not args.no_pybktree and n <= args.pybktree_max:
                        max_q = len(queries) if n <= 100_000 else args.pybktree_queries
                        rows.append(dict(pybktree_side(base, queries, bits, radius, max_q, (bits, n, kind)), side="python"))
                    results.append(dict(config, rows=rows))
    _trees.clear()
    pin(set(range(os.cpu_count() or 1)))
    return results


# ---------------------------------------------------------------------------------------------------------------
# Scan throughput and popcount


def run_scan(args, hashmatch, groups):
    folder = WORK / "scan1000"
    sources = [Path(p) for p in groups.get("syn1024", [])]
    if not sources:
        return None
    folder.mkdir(parents=True, exist_ok=True)
    for index in range(1000):
        link = folder / f"scan_{index:04d}.jpg"
        if not link.exists():
            link.symlink_to(sources[index % len(sources)].resolve())
    out = {}
    for jobs in (1, 2):
        command = [str(hashmatch), "scan", "--hashsets", str(ROOT / "hashsets"), "--format", "jsonl", "-j", str(jobs), str(folder)]
        times = []
        for _ in range(args.scan_repeat):
            start = time.perf_counter()
            result = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            if result.returncode > 1:
                raise SystemExit(f"{' '.join(command)} failed:\n{result.stderr}")
            times.append(time.perf_counter() - start)
        out[str(jobs)] = 1000 / median(times)
    return dict(files=1000, sources=len(sources), files_per_s=out)


def run_popcnt(args, hashmatch, index_bench):
    """Counts POPCNT and PMULLD in the release binaries: the package builds its hashing and index modules for
    x86-64-v2 (Package.swift), and Swift's default target would use neither instruction."""
    count = lambda binary, op: int(
        subprocess.run(f"objdump -d '{binary}' | grep -cw {op} || true", shell=True, capture_output=True, text=True).stdout.strip() or 0
    )
    return dict(hashmatch=count(hashmatch, "popcnt"), indexbench_default=count(index_bench, "popcnt"),
                hashmatch_pmulld=count(hashmatch, "pmulld"))


# ---------------------------------------------------------------------------------------------------------------
# Report


def machine():
    model, cores = platform.processor() or "unknown", os.cpu_count()
    try:
        text = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        for line in text.splitlines():
            if line.startswith("Model name:"):
                model = line.split(":", 1)[1].strip()
    except FileNotFoundError:
        pass
    flags = ""
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
        has = lambda f: f" {f} " in cpuinfo or f" {f}\n" in cpuinfo
        flags = ", ".join(f for f in ("popcnt", "sse4_2", "avx2", "avx512f") if has(f))
    except OSError:
        pass
    return model, cores, flags


def fmt(value, digits=3):
    if value is None or value != value:
        return "–"
    if value >= 100:
        return f"{value:.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.{digits}f}"


def render(results, command):
    model, cores, flags = machine()
    lines = [BEGIN, "", f"Generated by `{command}` on {results['date']}.", ""]
    for section, (earlier_command, earlier_date) in results.get("kept", {}).items():
        lines.append(f"- Section {section}: kept from `{earlier_command}` on {earlier_date} (`--keep`).")
    lines += [f"- Machine: {model}, {cores} logical cores (CPU flags: {flags}); {platform.platform()}"]
    lines += [f"- Load average when the run started: {results['loadavg']} (other work on the machine makes every figure noisier)"]
    for group, text in results["provenance"].items():
        lines.append(f"- Corpus `{group}`: {text}")
    lines += ["", "### Hashing, one core (ms per image incl. decoding; median over files of each file's median; djpeg rows: JPEGs only)", ""]
    hashing = results.get("hashing", {})
    groups = [g for g in hashing if not g.startswith("_")]
    if groups:
        lines.append("| tool | " + " | ".join(f"{g} ({len(next(iter(hashing[g].values())))} files)" for g in groups) + " |")
        lines.append("|---|" + "---:|" * len(groups))
        names = []
        for g in groups:
            names += [n for n in hashing[g] if n not in names]
        for name in names:
            cells = [fmt(median(list(hashing[g][name].values()))) if name in hashing[g] else "–" for g in groups]
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
        lines += ["", "Ratios (reference ÷ hashmatch, median of per-file ratios over the files both timed; > 1 means "
                  "hashmatch is faster):", ""]
        pairs = [
            ("pdqhash (PIL decode + full-res PDQ)", "hashmatch pdq full"),
            ("imagehash phash+dhash+average_hash (PIL decode)", "hashmatch phash,dhash,ahash"),
            ("djpeg -scale 1/8 (start-up subtracted)", "hashmatch pdq fast"),
            ("djpeg full (start-up subtracted)", "hashmatch pdq full"),
        ]
        lines.append("| reference ÷ hashmatch | " + " | ".join(groups) + " |")
        lines.append("|---|" + "---:|" * len(groups))
        for ref, ours in pairs:
            cells = []
            for g in groups:
                common = [f for f in hashing[g].get(ref, {}) if f in hashing[g].get(ours, {}) and hashing[g][ours][f] > 0]
                if common:
                    # Median of per-file ratios, over the files both sides timed (djpeg: JPEGs only).
                    cells.append(fmt(median([hashing[g][ref][f] / hashing[g][ours][f] for f in common]), 2))
                else:
                    cells.append("–")
            lines.append(f"| {ref} ÷ {ours} | " + " | ".join(cells) + " |")
        startup = hashing.get("_djpeg_startup_ms", {})
        if startup:
            lines += ["", "djpeg method: wall-clock of `djpeg [-scale 1/8] -outfile /dev/null FILE` per process (median of "
                      "runs, pinned with `taskset -c 0`) minus the median of the same command on an 8×8 JPEG "
                      f"({', '.join(f'{g}: {fmt(v, 2)} ms' for g, v in startup.items())}). hashmatch and the Python "
                      "tools are timed in-process with the file already in memory."]
    lookups = results.get("lookups", [])
    if lookups:
        repeat = results.get("query_repeat", 3)
        timing = ("each query timed once, so caches hold no trace of it: what a stream of new queries sees" if repeat == 1
                  else f"each of ours and faiss's is the best of {repeat} runs: warm caches")
        lines += ["", f"### Lookups, one core (ms per query, median over queries; {timing})", ""]
        lines.append("| n | bits | data | r | index | build ms | RSS Δ MB | ms/query median | ms/query mean | hits | same hits |")
        lines.append("|---:|---:|---|---:|---|---:|---:|---:|---:|---:|---|")
        for config in lookups:
            reference = next(r["hits"] for r in config["rows"] if r["kind"] == "LinearScan")
            for row in config["rows"]:
                queries = row.get("queries", config["queries"])
                agree = "yes" if row["hits"] == reference else "**NO**"
                if row.get("group", 1) > 1:
                    agree = "(8 per call)"
                if queries != config["queries"]:
                    agree = f"({queries} queries)"
                lines.append(
                    f"| {config['n']:,} | {config['bits']} | {config['data']} | {config['radius']} | {row['kind']} | "
                    f"{fmt(row['build_ms'])} | {fmt(row['rss_delta_mb'], 1)} | {fmt(row['query_ms_median'], 4)} | "
                    f"{fmt(row['query_ms_mean'], 4)} | {row['hits']} | {agree} |"
                )
        lines += ["", "pybktree at 1M is timed on the first queries only (see column); its hit count is then not comparable."]
    scan = results.get("scan")
    if scan:
        fps = scan["files_per_s"]
        lines += ["", "### Scan throughput", "",
                  f"`hashmatch scan --hashsets hashsets` over {scan['files']} 1024×768 JPEGs (symlinks, named "
                  f"`scan_NNNN.jpg`, to the {scan['sources']} files of corpus `syn1024`; page cache warm): "
                  f"**{fmt(fps['1'])} files/s with `-j 1`**, **{fmt(fps['2'])} files/s with `-j 2`** "
                  f"(×{fmt(fps['2'] / fps['1'], 2)})."]
    popcnt = results.get("popcnt")
    if popcnt:
        lines += ["", "### Machine code", "",
                  f"`objdump -d` counts: `popcnt` in the hashmatch release build {popcnt['hashmatch']}, in IndexBench "
                  f"{popcnt['indexbench_default']}; `pmulld` in hashmatch {popcnt.get('hashmatch_pmulld', 0)} "
                  "(Swift's default x86-64 target emits neither; Package.swift builds the hashing and index modules for x86-64-v2)."]
    lines += ["", END]
    return "\n".join(lines)


def write_markdown(block):
    path = ROOT / "docs" / "BENCHMARKS.md"
    text = path.read_text() if path.exists() else "# Benchmarks\n\n" + BEGIN + "\n" + END + "\n"
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        _, tail = rest.split(END, 1)
        text = head + block + tail
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    path.write_text(text)
    log(f"wrote {path.relative_to(ROOT)}")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--hashmatch", required=True)
    parser.add_argument("--index-bench", required=True)
    parser.add_argument("--command", default="Scripts/bench-references")
    parser.add_argument("--only", default="hashing,lookups,scan,popcnt")
    parser.add_argument("--repeat", type=int, default=15, help="hashmatch bench --repeat")
    parser.add_argument("--py-repeat", type=int, default=7, help="runs per file for Python tools and djpeg")
    parser.add_argument("--syn1024", type=int, default=12)
    parser.add_argument("--syn4000", type=int, default=2)
    parser.add_argument("--sizes", default="10000,1000000", help="index sizes, e.g. 10000,1000000,10000000")
    parser.add_argument("--pybktree-queries", type=int, default=10, help="queries for pybktree above 100k entries")
    parser.add_argument("--no-pybktree", action="store_true")
    parser.add_argument("--keep", action="store_true",
                        help="keep the sections --only leaves out from the previous run's results.json")
    parser.add_argument("--pybktree-max", type=int, default=1_000_000,
                        help="largest set pybktree is built for (a Python tree of 10M items takes many GB)")
    parser.add_argument("--query-repeat", type=int, default=1,
                        help="runs per lookup query, best kept (1: cold caches, as for a stream of new queries)")
    parser.add_argument("--index-kinds", default="linear,bktree,mih,auto", help="IndexBench kinds (bktree is slow at 10M)")
    parser.add_argument("--scan-repeat", type=int, default=3)
    parser.add_argument("--no-markdown", action="store_true")
    args = parser.parse_args()
    only = set(args.only.split(","))
    previous = json.loads((WORK / "results.json").read_text()) if args.keep and (WORK / "results.json").exists() else {}

    WORK.mkdir(exist_ok=True)
    groups, provenance = build_corpus(args)
    results = dict(
        date=datetime.datetime.now().astimezone().isoformat(timespec="minutes"),
        loadavg=" ".join(f"{x:.2f}" for x in os.getloadavg()),
        provenance=provenance,
    )
    if "hashing" in only:
        results["hashing"] = run_hashing(args, args.hashmatch, groups)
    if "lookups" in only:
        results["query_repeat"] = args.query_repeat
        results["lookups"] = run_lookups(args, args.index_bench)
    if "scan" in only:
        log("scan throughput")
        results["scan"] = run_scan(args, args.hashmatch, groups)
    if "popcnt" in only:
        log("popcount builds")
        results["popcnt"] = run_popcnt(args, args.hashmatch, args.index_bench)
    # --keep: sections not run this time come from the previous run, named as such in the report.
    for section in ("hashing", "lookups", "scan", "popcnt"):
        if section not in results and section in previous:
            results[section] = previous[section]
            if section == "lookups":
                results["query_repeat"] = previous.get("query_repeat", 3)
            earlier = previous.get("kept", {}).get(section) or (previous.get("command", "?"), previous.get("date", "?"))
            results.setdefault("kept", {})[section] = earlier
    results["command"] = args.command
    (WORK / "results.json").write_text(json.dumps(results, indent=1))
    block = render(results, args.command)
    print(block)
    if not args.no_markdown:
        write_markdown(block)


if __name__ == "__main__":
    main()
