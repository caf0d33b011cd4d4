"""Benchmark of the layout doctor: a municipality's export converted to PMH's layout and then
validated by the engine, against the engine validating the same records already in PMH's layout.

The export is a CP932 CSV with the municipality's own Japanese headers in its own order, 和暦
dates, half-width kana and 男/女 (``tests/fixtures/uploads/doctor/exports.py``); its mapping is
the one the doctor proposes, with the fixed values a user adds. The PMH-layout file is the
converted output itself, so both runs validate the same bytes. Each run is a fresh process;
the best of ``--repeat`` runs counts, and runs alternate so that a busy machine hurts both.

    python benchmarks/doctor.py                      # 1,000,000 rows (target: ratio ≤ 2.0×)
    python benchmarks/doctor.py --rows 100000 --xlsx-rows 20000
"""

from __future__ import annotations

import argparse
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

from tests.fixtures.uploads.doctor import exports  # noqa: E402
from uploads.lib.doctor import convert, profile_file  # noqa: E402
from uploads.lib.validation import validate_file  # noqa: E402

FIXED = {"orgSpecificCertificateTypeId": {"value": "KODOMO01"},
         "isAlwaysReimbursement": {"value": "0"}}  # fmt: skip


def generate(directory: Path, rows: int) -> tuple[Path, Path]:
    export = directory / f"export-{rows}.cp932.csv"
    mapping = directory / f"export-{rows}.mapping.json"
    if not export.exists():
        with open(export, "w", encoding="cp932", newline="") as out:
            exports.write_kokuho(out, exports.iter_records(rows, seed=11))
    doc = profile_file(export).mapping()
    doc["fields"].update(FIXED)
    mapping.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return export, mapping


def measure_doctor(export: Path, mapping: Path, target: Path, workers: int | None) -> dict:
    doc = json.loads(mapping.read_text(encoding="utf-8"))
    start = time.perf_counter()
    with open(target, "w", encoding="utf-8", newline="") as out:
        summary = convert(export, doc, out, workers=workers)
    converted = time.perf_counter() - start
    report = validate_file(target, max_bytes=1 << 40, workers=workers)
    total = time.perf_counter() - start
    return {"convert": converted, "validate": total - converted, "total": total,
            "rows": summary.rows, "problems": summary.problems_total,
            "errors": report.errors, **_rss()}  # fmt: skip


def measure_engine(target: Path, workers: int | None) -> dict:
    start = time.perf_counter()
    report = validate_file(target, max_bytes=1 << 40, workers=workers)
    return {"total": time.perf_counter() - start, "rows": report.rows, **_rss()}


def generate_xlsx(rows: int, directory: Path) -> None:
    path = directory / f"kodomo-{rows}.xlsx"
    if not path.exists():
        exports.kodomo_xlsx(list(exports.iter_records(rows, seed=12, programs=(1,))), path)


def measure_xlsx(rows: int, directory: Path) -> dict:
    path = directory / f"kodomo-{rows}.xlsx"
    doc = profile_file(path).mapping()
    doc["fields"].update(FIXED)
    start = time.perf_counter()
    with open(directory / "kodomo.pmh.csv", "w", encoding="utf-8", newline="") as out:
        summary = convert(path, doc, out)
    return {"total": time.perf_counter() - start, "rows": summary.rows,
            "mb": path.stat().st_size / 2**20, **_rss()}  # fmt: skip


def _rss() -> dict:
    """Peak RSS, and CPU seconds of this process and its workers (steadier than wall time on
    a shared machine)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = sum(r.ru_utime + r.ru_stime for r in (own, children))
    return {"rss": own.ru_maxrss / 1024, "rss_workers": children.ru_maxrss / 1024, "cpu": cpu}


def child(*args: str) -> dict:
    command = [sys.executable, __file__, "--child", *args]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def run_child(args) -> None:
    kind, *paths = args.child
    workers = args.workers
    if kind == "doctor":
        result = measure_doctor(Path(paths[0]), Path(paths[1]), Path(paths[2]), workers)
    elif kind == "engine":
        result = measure_engine(Path(paths[0]), workers)
    else:
        result = measure_xlsx(int(paths[0]), Path(paths[1]))
    print(json.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--xlsx-rows", type=int, default=50_000, help="0: no workbook run")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; the best counts")
    parser.add_argument("--workers", type=int, default=None, help="1 forces one process")
    parser.add_argument("--keep", type=Path, help="generate into (and reuse) this directory")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run_child(args)
        return
    with tempfile.TemporaryDirectory(prefix="pmh-doctor-bench-") as tmp:
        directory = args.keep or Path(tmp)
        directory.mkdir(parents=True, exist_ok=True)
        report(args, directory)


def report(args, directory: Path) -> None:
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, workers={args.workers}, "
          f"load average {os.getloadavg()[0]:.1f}")  # fmt: skip
    export, mapping = generate(directory, args.rows)
    target = directory / f"export-{args.rows}.pmh.csv"
    extra = ["--workers", str(args.workers)] if args.workers else []
    doctor, engine = [], []
    for _ in range(args.repeat):
        doctor.append(child("doctor", str(export), str(mapping), str(target), *extra))
        engine.append(child("engine", str(target), *extra))
    d = min(doctor, key=lambda r: r["total"])
    e = min(engine, key=lambda r: r["total"])
    mb = export.stat().st_size / 2**20
    print(f"rows {d['rows']:,}  export {mb:.0f} MB (CP932)  PMH layout "
          f"{target.stat().st_size / 2**20:.0f} MB (UTF-8)")  # fmt: skip
    print(f"engine on the PMH-layout file   {e['total']:7.2f} s   "
          f"RSS {e['rss']:.0f} MB + workers {e['rss_workers']:.0f} MB")  # fmt: skip
    print(
        f"doctor: convert {d['convert']:.2f} s + validate {d['validate']:.2f} s = "
        f"{d['total']:.2f} s   RSS {d['rss']:.0f} MB + workers {d['rss_workers']:.0f} MB"
    )
    cpu_d = min(r["cpu"] for r in doctor)
    cpu_e = min(r["cpu"] for r in engine)
    print(
        f"CPU seconds (all processes): doctor {cpu_d:.2f}, engine {cpu_e:.2f}, "
        f"ratio {cpu_d / cpu_e:.2f}x"
    )
    print(f"ratio {d['total'] / e['total']:.2f}x (target <= 2.0x); conversion problems "
          f"{d['problems']}, engine errors {d['errors']}")  # fmt: skip
    print(
        f"all runs (doctor / engine, s): "
        f"{[round(r['total'], 2) for r in doctor]} / {[round(r['total'], 2) for r in engine]}"
    )
    if args.xlsx_rows:
        generate_xlsx(args.xlsx_rows, directory)  # here: the child measures reading alone
        x = child("xlsx", str(args.xlsx_rows), str(directory))
        print(f"xlsx {x['rows']:,} rows ({x['mb']:.1f} MB): convert {x['total']:.2f} s "
              f"({x['rows'] / x['total']:,.0f} rows/s), RSS {x['rss']:.0f} MB")  # fmt: skip
    print(f"load average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
