"""Benchmark: a 1,000,000-row full submission end to end on PostgreSQL.

receive (stream to disk, SHA-256) → validate (engine, compared with the test store) → stage the
accepted records (COPY) → apply them to the store (set-based SQL) → report. Runs twice per
format: into an empty store, then a second full file with 1% of the records changed against the
1M-row store; the same records as CSV (UTF-8), JSON Lines and a JSON array (the store is emptied
between formats).
Uses a throwaway database (created and dropped here; its name carries the process id) on
127.0.0.1:5432, user postgres. Prints each run's phases (wall seconds: stream the body to disk
with fsync, verify it again while the store's index is read, validate, apply to the store,
write the report) and the CPU seconds of the main process, the validation worker and the
PostgreSQL backend, and for each format the time merely to parse the file (``csv.reader``,
``json.loads``): on a shared machine wall time also measures the others' load, and the parse
floor shows the machine's pace. Each run starts with the store vacuumed, the page cache
written out and a checkpoint taken (:func:`quiet`).

    python benchmarks/intake.py                  # 1,000,000 rows
    python benchmarks/intake.py --rows 100000 --db-name pmh_bench_mine --formats csv,json
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DB = f"pmh_bench_intake_{os.getpid()}"  # never another run's database
SERVER = "postgres://postgres@127.0.0.1:5432"


def write_file(path: Path, rows: int, *, changed_every: int = 0) -> None:
    """Realistic records (2,000 distinct sample rows), each made unique by its history key."""
    from uploads.lib.validation import samples

    lines = samples.csv_bytes(samples.records(2000)).decode("utf-8").splitlines()
    header, templates = lines[0], lines[1:]
    parts = []
    for n, line in enumerate(templates):
        head, tail = line.split(f"H{n:08d}")
        parts.append((head, tail))
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write(header + "\r\n")
        for i in range(rows):
            head, tail = parts[i % len(parts)]
            if changed_every and i % changed_every == 0:
                head = head.replace(",一般,", ",特別,", 1)
            fh.write(f"{head}H{i:08d}{tail}\r\n")


def write_json_file(path: Path, rows: int, *, changed_every: int = 0, lines: bool = False) -> None:
    """The records of :func:`write_file` as JSON Lines or an array (PMH's API body)."""
    import json

    from uploads.lib.validation import samples

    templates = samples.records(2000)
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write("" if lines else "[\n")
        for i in range(rows):
            record = dict(templates[i % len(templates)], historyKey=f"H{i:08d}")
            if changed_every and i % changed_every == 0 and record.get("segment") == "一般":
                record["segment"] = "特別"
            text = json.dumps(record, ensure_ascii=False)
            fh.write(f"{text}\n" if lines else f"{',' if i else ''}{text}\n")
        fh.write("" if lines else "]\n")


def parse_floor(path: Path, fmt: str) -> float:
    """Seconds to merely parse the file (``csv.reader``; ``json.loads`` per record): printed
    beside the runs, it tells how fast the machine is at the moment (a shared machine drifts)."""
    import csv
    import json

    start = time.perf_counter()
    with open(path, encoding="utf-8", newline="") as fh:
        if fmt == "csv":
            for _row in csv.reader(fh):
                pass
        else:
            for line in fh:
                text = line.strip().lstrip(",")
                if text not in ("[", "]", ""):
                    json.loads(text)
    return time.perf_counter() - start


def setup_database(name: str) -> None:
    import psycopg

    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name}")
        conn.execute(f"CREATE DATABASE {name}")


def drop_database(name: str) -> None:
    import psycopg
    from django.db import connections

    connections.close_all()
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name}")


class Phases:
    """Wall time spent in the steps of processing, measured by wrapping the functions called."""

    def __init__(self):
        from uploads import processing, teststore
        from uploads.lib import storage

        self.seconds: dict[str, float] = {}
        self._wrap(storage, "receive_stream", "stream")
        self._wrap(storage, "verify", "verify")
        self._wrap(processing, "load_index", "index")
        self._wrap(processing, "validate_file", "validate")
        self._wrap(processing, "_finish", "finish")
        self._wrap(teststore.Staging, "apply", "store")

    def _wrap(self, owner, name: str, phase: str) -> None:
        original = getattr(owner, name)

        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                elapsed = time.perf_counter() - start
                self.seconds[phase] = self.seconds.get(phase, 0.0) + elapsed

        setattr(owner, name, timed)

    def take(self) -> dict[str, float]:
        taken, self.seconds = self.seconds, {}
        taken["report"] = taken.pop("finish", 0.0) - taken.get("store", 0.0)
        return taken


def cpu_seconds() -> dict[str, float]:
    """CPU time of this process, its finished children and this connection's PostgreSQL backend
    (on a shared machine, wall time also measures the others' load)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        backend = (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:  # a server on another machine
        backend = float("nan")
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "main": own.ru_utime + own.ru_stime,
        "worker": children.ru_utime + children.ru_stime,
        "postgres": backend,
    }


def quiet() -> None:
    """Before each run, the disk and the server settle, so that no run pays for the work the
    one before it left behind (six heavy runs follow each other within two minutes here; a
    day's files do not): the store vacuumed, as autovacuum does soon after a million rows are
    copied in (otherwise it runs during the next run's stream, on one of the two cores), the
    page cache written out and a checkpoint taken. Each run still pays for its own writes, its
    WAL and whatever checkpoint it causes."""
    from django.db import connection

    from uploads.models import StoredRecord

    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM (ANALYZE) {StoredRecord._meta.db_table}")
        os.sync()
        cursor.execute("CHECKPOINT")  # superuser or pg_checkpoint: the benchmark's own server


def run(integration, path: Path, name: str, phases: Phases) -> dict:
    from uploads import lifecycle
    from uploads.models import Submission

    quiet()
    phases.take()
    cpu = cpu_seconds()
    start = time.perf_counter()
    with open(path, "rb") as fh:
        submission = lifecycle.submission_receive(
            integration=integration,
            channel="api",
            original_name=name,
            stream=fh,
            sender="benchmark",
        )
    elapsed = time.perf_counter() - start
    s = Submission.objects.get(pk=submission.pk)
    if s.validated_at is None:
        raise SystemExit(f"not validated: {s.status} {s.failure_reason} {s.duplicate_of_id}")
    return {
        "total": elapsed,
        "receive": (s.queued_at - s.received_at).total_seconds(),
        "validate+apply": (s.validated_at - s.validating_at).total_seconds(),
        "phases": phases.take(),
        "cpu": {k: v - cpu[k] for k, v in cpu_seconds().items()},
        "status": s.status,
        "verdict": s.verdict,
        "rows": s.rows,
        "diff": s.report["diff"],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--db-name", default=DB, help="throwaway database (created and dropped)")
    parser.add_argument("--formats", default="csv,jsonl,json", help="csv, jsonl, json")
    args = parser.parse_args()
    setup_database(args.db_name)
    tmp = Path(tempfile.mkdtemp(prefix="pmh-bench-intake-"))
    try:
        return _benchmark(args, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)  # two files and their stored copies: 1.2 GB


def _benchmark(args: argparse.Namespace, tmp: Path) -> int:
    os.environ.update(
        DATABASE_URL=f"{SERVER}/{args.db_name}",
        DJANGO_SETTINGS_MODULE="pmhadmin.settings",
        PMH_STORAGE_ROOT=str(tmp / "files"),
        DEBUG="1",
        PMH_MAX_UPLOAD_MB="2048",
    )
    os.environ.pop("REDIS_URL", None)
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.PMH_JOBS_MODE = "sync"  # the job runs at commit, in this process: timed here
    call_command("migrate", verbosity=0)
    from django.db import connection

    from onboarding.models import Integration, Municipality
    from uploads.models import StoredRecord

    town = Municipality.objects.create(code="131016", prefecture="東京都", city="千代田区")
    integration = Integration.objects.create(
        municipality=town, business_system="bench", dropbox_name="131016", data_mode="full"
    )
    phases = Phases()
    try:
        for fmt in args.formats.split(","):
            _format(args, tmp, fmt, integration, phases)
            with connection.cursor() as cursor:  # the next format starts with an empty store
                cursor.execute(f"TRUNCATE {StoredRecord._meta.db_table}")
        own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(f"peak RSS: {own:.0f} MB (this process), {children:.0f} MB (largest child)")
    finally:
        drop_database(args.db_name)
    return 0


def _format(args: argparse.Namespace, tmp: Path, fmt: str, integration, phases: Phases) -> None:
    from uploads.models import StoredRecord

    suffix = {"csv": "csv", "jsonl": "jsonl", "json": "json"}[fmt]
    first, second = tmp / f"full-1.{suffix}", tmp / f"full-2.{suffix}"
    t = time.perf_counter()
    for path, every in ((first, 0), (second, 100)):
        if fmt == "csv":
            write_file(path, args.rows, changed_every=every)
        else:
            write_json_file(path, args.rows, changed_every=every, lines=fmt == "jsonl")
    size = first.stat().st_size / 1e6
    # On disk before the runs: the two files (1.9 GB of JSON) would otherwise still be written
    # back while the first run streams its body to disk, and the stream phase would measure
    # this benchmark's own writes (a body arrives from the network, not from a fresh file).
    os.sync()
    written = time.perf_counter() - t
    floor = parse_floor(first, fmt)
    print(f"{fmt}: {args.rows:,} rows, {size:,.0f} MB each (written in {written:.1f} s); "
          f"parse floor {floor:.2f} s; load average {os.getloadavg()[0]:.1f}")  # fmt: skip
    if os.environ.get("PMH_BENCH_PROFILE"):
        import cProfile

        out = os.environ["PMH_BENCH_PROFILE"]
        cProfile.runctx("run(integration, first, 'p', phases)", globals(), locals(), out)
        return
    for label, path in (("empty store", first), ("1% changed", second)):
        result = run(integration, path, path.name, phases)
        stored = StoredRecord.objects.filter(integration=integration).count()
        steps = "  ".join(f"{k} {v:5.2f}" for k, v in result["phases"].items())
        steps += "  | cpu (s): " + "  ".join(f"{k} {v:5.2f}" for k, v in result["cpu"].items())
        print(
            f"{label:12} total {result['total']:6.2f} s  receive {result['receive']:5.2f} s"
            f"  validate+store {result['validate+apply']:6.2f} s  "
            f"{args.rows / result['total']:,.0f} rows/s  {result['verdict']}  "
            f"diff {result['diff']}  store {stored:,}\n{'':12} phases (s): {steps}"
        )
    for path in (first, second):
        path.unlink()


if __name__ == "__main__":
    sys.exit(main())
