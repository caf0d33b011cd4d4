"""Benchmark of the record validation engine.

Generates realistic files (CP932 CSV with Japanese headers, and UTF-8 JSON Lines; about 1% of
rows carry a planted issue of every kind) into a temporary directory, then validates each one in
a fresh process and prints rows/s, peak RSS and the ratio to a parse floor measured on the same
file in the same process (``csv.reader`` over the decoded stream; for JSON Lines, ``json.loads``
of every decoded line).

    python benchmarks/validate.py                      # 100k and 1M rows
    python benchmarks/validate.py --rows 100000        # one quick size
    python benchmarks/validate.py --sizes 100000,300000 --repeat 3 --workers 1
    python benchmarks/validate.py --header             # hostile headers: time and memory
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from uploads.lib.validation import samples, validate_file  # noqa: E402


def generate(directory: Path, rows: int) -> list[tuple[str, Path]]:
    csv_path = directory / f"subsidy-{rows}.cp932.csv"
    jsonl_path = directory / f"subsidy-{rows}.jsonl"
    samples.write_csv(csv_path, samples.planted_records(rows), encoding="cp932", aliases=True)
    samples.write_jsonl(jsonl_path, samples.planted_records(rows, csv=False))
    return [("csv/cp932", csv_path), ("jsonl", jsonl_path)]


def parse_floor(path: Path) -> float:
    start = time.perf_counter()
    with open(path, "rb") as raw:
        if path.suffix == ".csv":
            for _row in csv.reader(io.TextIOWrapper(raw, encoding="cp932", newline="")):
                pass
        else:
            for line in io.TextIOWrapper(raw, encoding="utf-8", newline=""):
                json.loads(line)
    return time.perf_counter() - start


def measure(path: Path, workers: int | None) -> dict:
    """Run in a fresh process: floor, then validation; peak RSS of this process and its worker."""
    floor = parse_floor(path)
    start = time.perf_counter()
    report = validate_file(path, workers=workers, max_bytes=1 << 40)
    elapsed = time.perf_counter() - start
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {
        "floor": floor,
        "elapsed": elapsed,
        "rows": report.rows,
        "errors": report.errors,
        "warnings": report.warnings,
        "codes": len(report.counts),
        "rss_main": own,
        "rss_worker": child,
    }


# Header widths for --header: the layout's own columns, the widest header accepted, one more,
# and the attack of issue 17 (200,000 commas, then a megabyte of them).
HEADER_CASES = ("layout", "max", "max+1", "200000", "1048576")


def header_file(directory: Path, case: str, rows: int = 1000) -> Path:
    """A valid file of ``rows`` records whose header (and rows) carry extra empty columns."""
    layout = samples.load_layout()
    columns = samples.csv_header(layout)
    extra = {
        "layout": 0,
        "max": layout.max_columns - len(columns),
        "max+1": layout.max_columns - len(columns) + 1,
    }.get(case)
    header_only = extra is None  # the attack: a tiny file, its header all commas
    if header_only:
        extra, rows = int(case) - len(columns), 2
    text = "".join(samples.csv_text(samples.records(rows), newline="\n"))
    lines = text.splitlines()
    path = directory / f"header-{case}.csv"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        for i, line in enumerate(lines):
            fh.write(line + ("," * extra if i == 0 or not header_only else "") + "\n")
    return path


def measure_header(path: Path) -> dict:
    start = time.perf_counter()
    report = validate_file(path, workers=1, max_bytes=1 << 40)
    elapsed = time.perf_counter() - start
    return {
        "elapsed": elapsed,
        "rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "columns": len(path.open(encoding="utf-8").readline().split(",")),
        "rows": report.rows,
        "first": report.issues[0].code if report.issues else "accepted",
    }


def run_headers(directory: Path) -> None:
    baseline = subprocess.run(
        [sys.executable, __file__, "--measure-import"], check=True, capture_output=True, text=True
    ).stdout.strip()
    print(f"peak RSS of a process that only imports the engine: {float(baseline):.0f} MB")
    print(f"{'header':<10}{'columns':>10}{'MB':>8}{'rows':>7}{'time s':>9}{'RSS MB':>8}  verdict")
    for case in HEADER_CASES:
        path = header_file(directory, case)
        out = subprocess.run(
            [sys.executable, __file__, "--measure-header", str(path)],
            check=True, capture_output=True, text=True,
        ).stdout  # fmt: skip
        r = json.loads(out.strip().splitlines()[-1])
        print(
            f"{case:<10}{r['columns']:>10,}{path.stat().st_size / 2**20:>8.1f}{r['rows']:>7}"
            f"{r['elapsed']:>9.3f}{r['rss']:>8.0f}  {r['first']}"
        )


def run_child(path: Path, workers: int | None) -> dict:
    args = [sys.executable, __file__, "--measure", str(path)]
    if workers is not None:
        args += ["--workers", str(workers)]
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, help="one size only")
    parser.add_argument("--sizes", default="100000,1000000", help="comma-separated row counts")
    parser.add_argument("--repeat", type=int, default=2, help="runs per file; the best counts")
    parser.add_argument("--workers", type=int, default=None, help="1 forces one process")
    parser.add_argument("--keep", type=Path, help="generate into (and reuse) this directory")
    parser.add_argument("--header", action="store_true", help="hostile headers instead")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--measure-header", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--measure-import", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure_import:
        print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        return
    if args.measure:
        print(json.dumps(measure(args.measure, args.workers)))
        return
    if args.measure_header:
        print(json.dumps(measure_header(args.measure_header)))
        return
    if args.header:
        with tempfile.TemporaryDirectory(prefix="pmh-bench-") as tmp:
            run_headers(Path(tmp))
        return
    sizes = [args.rows] if args.rows else [int(s) for s in args.sizes.split(",")]
    with tempfile.TemporaryDirectory(prefix="pmh-bench-") as tmp:
        directory = args.keep or Path(tmp)
        directory.mkdir(parents=True, exist_ok=True)
        print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, workers={args.workers}")
        header = (
            f"{'file':<11}{'rows':>10}{'MB':>8}{'floor s':>9}{'valid. s':>9}"
            f"{'ratio':>7}{'rows/s':>11}{'RSS main':>10}{'+worker':>9}{'codes':>7}"
        )
        print(header)
        for rows in sizes:
            for name, path in _files(directory, rows):
                best = min(
                    (run_child(path, args.workers) for _ in range(args.repeat)),
                    key=lambda r: r["elapsed"] / r["floor"],
                )
                print(
                    f"{name:<11}{best['rows']:>10,}{path.stat().st_size / 2**20:>8.0f}"
                    f"{best['floor']:>9.2f}{best['elapsed']:>9.2f}"
                    f"{best['elapsed'] / best['floor']:>6.2f}x"
                    f"{best['rows'] / best['elapsed']:>11,.0f}"
                    f"{best['rss_main']:>8.0f}MB{best['rss_worker']:>7.0f}MB{best['codes']:>7}"
                )


def _files(directory: Path, rows: int) -> list[tuple[str, Path]]:
    existing = [
        ("csv/cp932", directory / f"subsidy-{rows}.cp932.csv"),
        ("jsonl", directory / f"subsidy-{rows}.jsonl"),
    ]
    if all(p.exists() for _, p in existing):
        return existing
    return generate(directory, rows)


if __name__ == "__main__":
    main()
