"""Benchmark of the record validation engine.

Generates realistic files of the same records (CP932 CSV with Japanese headers, UTF-8 JSON Lines
and an indented UTF-8 JSON array; about 1% of rows carry a planted issue of every kind) into a
temporary directory. In each round, every measurement runs in a fresh process: the CSV parse
floor (``csv.reader`` over the decoded CP932 stream), the JSON parse floor (``json.loads`` of
every decoded line of the JSON Lines file), the engine on each file (in-process, and the CSV
through ``manage.py validate_file`` including start-up), and frictionless-py on the CSV with two
pattern constraints when it is installed (``pip install -e ".[bench]"``). Ratios are taken
against the floors of the same round, and the median of the rounds is printed (and the best
wall-time ratio to the CSV floor of any round), so that the figures stay honest on a shared,
noisy machine; the load average is printed too.

    python benchmarks/validate.py                      # 100k and 1M rows, 3 rounds
    python benchmarks/validate.py --rows 100000        # one quick size
    python benchmarks/validate.py --sizes 100000,300000 --repeat 5 --workers 1
    python benchmarks/validate.py --header             # hostile headers: time and memory
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from uploads.lib.validation import samples, validate_file  # noqa: E402


def generate(directory: Path, rows: int) -> dict[str, Path]:
    paths = _paths(directory, rows)
    samples.write_csv(paths["csv"], samples.planted_records(rows), encoding="cp932", aliases=True)
    samples.write_jsonl(paths["jsonl"], samples.planted_records(rows, csv=False))
    samples.write_json(paths["json"], samples.planted_records(rows, csv=False))
    return paths


def _paths(directory: Path, rows: int) -> dict[str, Path]:
    return {
        "csv": directory / f"subsidy-{rows}.cp932.csv",
        "jsonl": directory / f"subsidy-{rows}.jsonl",
        "json": directory / f"subsidy-{rows}.json",
    }


def csv_floor(path: Path) -> dict:
    with open(path, "rb") as raw:
        for _row in csv.reader(io.TextIOWrapper(raw, encoding="cp932", newline="")):
            pass
    return {}


def json_floor(path: Path) -> dict:
    with open(path, "rb") as raw:
        for line in io.TextIOWrapper(raw, encoding="utf-8", newline=""):
            json.loads(line)
    return {}


def project(path: Path, workers: int | None) -> dict:
    report = validate_file(path, workers=workers, max_bytes=1 << 40)
    return {"rows": report.rows, "errors": report.errors, "codes": len(report.counts)}


def frictionless_csv(path: Path) -> dict:
    """frictionless-py with two pattern constraints (個人番号, 公費負担者番号), all else text."""
    from frictionless import Resource, Schema, fields

    with open(path, encoding="cp932", newline="") as fh:
        header = next(csv.reader(fh))
    columns = []
    for name in header:
        field = fields.StringField(name=name)
        if name.startswith("個人番号"):
            field.constraints = {"pattern": "[0-9]{12}"}
        elif name == "公費負担者番号":
            field.constraints = {"pattern": "[0-9]{8}"}
        columns.append(field)
    resource = Resource(
        path=path.name, basepath=str(path.parent), format="csv", encoding="cp932",
        schema=Schema(fields=columns),
    )  # fmt: skip
    report = resource.validate(limit_errors=10**9)
    return {"rows": report.task.stats.get("rows"), "errors": len(report.task.errors)}


def measure(kind: str, path: Path, workers: int | None) -> dict:
    """Run in a fresh process: wall and CPU time (with the worker's), peak RSS of both."""
    start, cpu = time.perf_counter(), time.process_time()
    if kind == "csv-floor":
        out = csv_floor(path)
    elif kind == "json-floor":
        out = json_floor(path)
    elif kind == "frictionless":
        out = frictionless_csv(path)
    else:
        out = project(path, workers)
    elapsed = time.perf_counter() - start
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    out.update(
        elapsed=elapsed,
        cpu=time.process_time() - cpu + children.ru_utime + children.ru_stime,
        rss_main=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        rss_worker=children.ru_maxrss / 1024,
    )
    return out


def measure_cli(path: Path, workers: int | None) -> dict:
    """``manage.py validate_file --json`` as an operator runs it, start-up included."""
    args = [sys.executable, str(ROOT / "manage.py"), "validate_file", str(path), "--json"]
    start = time.perf_counter()
    done = subprocess.run(args, capture_output=True, text=True, cwd=ROOT, check=False)
    elapsed = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    report = json.loads(done.stdout) if done.stdout.strip() else {}
    return {
        "elapsed": elapsed,
        "cpu": usage.ru_utime + usage.ru_stime,
        "rows": report.get("rows"),
        "errors": report.get("errors"),
        "rss_main": usage.ru_maxrss / 1024,
        "rss_worker": 0,
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


def run_child(kind: str, path: Path, workers: int | None) -> dict:
    if kind == "cli":
        out = subprocess.run(
            [sys.executable, __file__, "--measure-cli", str(path)], check=True,
            capture_output=True, text=True,
        ).stdout  # fmt: skip
        return json.loads(out.strip().splitlines()[-1])
    args = [sys.executable, __file__, "--measure", str(path), "--kind", kind]
    if workers is not None:
        args += ["--workers", str(workers)]
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def _has_frictionless() -> bool:
    try:
        import frictionless  # noqa: F401
    except ImportError:
        return False
    return True


# (label, what runs, which file)
TARGETS = [
    ("CSV floor", "csv-floor", "csv"),
    ("JSON floor", "json-floor", "jsonl"),
    ("project CSV", "project", "csv"),
    ("project CSV (CLI)", "cli", "csv"),
    ("project JSONL", "project", "jsonl"),
    ("project JSON", "project", "json"),
    ("frictionless CSV", "frictionless", "csv"),
]


def run_sizes(directory: Path, sizes: list[int], repeat: int, workers: int | None) -> None:
    targets = [t for t in TARGETS if t[1] != "frictionless" or _has_frictionless()]
    if len(targets) < len(TARGETS):
        print('note: frictionless-py is not installed (pip install -e ".[bench]"): its row is '
              "left out")  # fmt: skip
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, workers={workers}, "
          f"{repeat} rounds; medians; ratios against the floors of the same round")  # fmt: skip
    for rows in sizes:
        paths = _files(directory, rows)
        rounds: list[dict[str, dict]] = []
        loads = []
        for _ in range(repeat):
            loads.append(os.getloadavg()[0])
            rounds.append({label: run_child(kind, paths[f], workers) for label, kind, f in targets})
        loads.append(os.getloadavg()[0])
        print(f"\n{rows:,} records (CSV {paths['csv'].stat().st_size / 2**20:.0f} MB, JSON Lines "
              f"{paths['jsonl'].stat().st_size / 2**20:.0f} MB, JSON "
              f"{paths['json'].stat().st_size / 2**20:.0f} MB); load average "
              f"{min(loads):.1f}–{max(loads):.1f}")  # fmt: skip
        print(f"{'run':<19}{'wall s':>8}{'× CSV':>7}{'× JSON':>8}{'CPU s':>8}{'× CSV':>7}"
              f"{'rows/s':>11}{'RSS main':>10}{'+worker':>9}{'errors':>8}"
              f"{'best × CSV':>11}")  # fmt: skip
        for label, _, _ in targets:
            _print_row(label, rounds, rows)


def _print_row(label: str, rounds: list[dict[str, dict]], rows: int) -> None:
    def median(value) -> float:
        return statistics.median(value(r) for r in rounds)

    wall = median(lambda r: r[label]["elapsed"])
    cpu = median(lambda r: r[label]["cpu"])
    to_csv = median(lambda r: r[label]["elapsed"] / r["CSV floor"]["elapsed"])
    to_json = median(lambda r: r[label]["elapsed"] / r["JSON floor"]["elapsed"])
    cpu_csv = median(lambda r: r[label]["cpu"] / r["CSV floor"]["cpu"])
    errors = rounds[-1][label].get("errors")
    print(
        f"{label:<19}{wall:>8.2f}{to_csv:>6.2f}x{to_json:>7.2f}x{cpu:>8.2f}{cpu_csv:>6.2f}x"
        f"{rows / wall:>11,.0f}{median(lambda r: r[label]['rss_main']):>8.0f}MB"
        f"{median(lambda r: r[label]['rss_worker']):>7.0f}MB"
        f"{'' if errors is None else f'{errors:,}':>8}"
        f"{min(r[label]['elapsed'] / r['CSV floor']['elapsed'] for r in rounds):>10.2f}x"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, help="one size only")
    parser.add_argument("--sizes", default="100000,1000000", help="comma-separated row counts")
    parser.add_argument("--repeat", type=int, default=3, help="rounds; medians are printed")
    parser.add_argument("--workers", type=int, default=None, help="1 forces one process")
    parser.add_argument("--keep", type=Path, help="generate into (and reuse) this directory")
    parser.add_argument("--header", action="store_true", help="hostile headers instead")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--kind", default="project", help=argparse.SUPPRESS)
    parser.add_argument("--measure-cli", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--measure-header", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--measure-import", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure_import:
        print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        return
    if args.measure:
        print(json.dumps(measure(args.kind, args.measure, args.workers)))
        return
    if args.measure_cli:
        print(json.dumps(measure_cli(args.measure_cli, args.workers)))
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
        run_sizes(directory, sizes, args.repeat, args.workers)


def _files(directory: Path, rows: int) -> dict[str, Path]:
    paths = _paths(directory, rows)
    if all(p.exists() for p in paths.values()):
        return paths
    return generate(directory, rows)


if __name__ == "__main__":
    main()
