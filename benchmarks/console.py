"""Benchmark: the console's pages at national scale under concurrent requests (issue 22.6).

Seeds a throwaway PostgreSQL database (127.0.0.1:5432, user postgres, created and dropped here)
with the national picture of `seed_demo --national` (every prefecture, ~1,800 municipalities,
~5,700 integrations over twelve vendors), then 100,000 submissions and 1,000,000 issues using
COPY; starts gunicorn on loopback with a few workers, and drives each page with wrk (10
connections, a logged-in session cookie): the onboarding board (default and filtered), the
integration list with its bulk selection, the vendor scorecards, the dashboard and the help
desk's history, filter and detail pages. Prints p50, p95 and p99 latency, requests per second
and the HTML size of each page; the targets are p95 under 300 ms and HTML under 300 KiB.

    python benchmarks/console.py
    python benchmarks/console.py --pages national --submissions 20000 --duration 5 --keep
    python benchmarks/console.py --reuse --duration 5   # the kept database, no seeding

Each page first gets `--warmup` seconds (1) of unmeasured load, so that the first page measured
does not pay for every worker's first request (templates compiled, connection opened).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DB = "pmh_bench_console"
SERVER = "postgres://postgres@127.0.0.1:5432"
PORT = 8765
CODES = ["V_MYNUMBER", "V_KANA", "V_DATE", "V_HOUBETSU_UNKNOWN", "V_REQUIRED", "V_RANGE"]
FIELDS = ["myNumber", "basicFiveInfo.nameKana", "birthDate", "medicalSubsidyInsurerNumber"]
LUA = """
done = function(summary, latency, requests)
  io.write(string.format("RESULT %d %d %d %.1f %.1f %.1f\\n", summary.requests,
    summary.errors.status + summary.errors.connect + summary.errors.read
      + summary.errors.write + summary.errors.timeout,
    summary.duration, latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000))
end
"""


def reuse_registry():
    """The kept database of an earlier `--keep` run: its bench users and its heaviest file."""
    from onboarding.models import User
    from uploads.models import Submission

    users = {
        group: User.objects.get(username=f"bench_{group}")
        for group in ("operator", "helpdesk", "vendor")
    }
    heavy = Submission.objects.filter(errors__gte=901).order_by("pk").values_list("pk", flat=True)
    return users, heavy[0]


def setup_database() -> None:
    import psycopg

    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB}")


def drop_database() -> None:
    import psycopg
    from django.db import connections

    connections.close_all()
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")


def seed_registry():
    """The national picture, through the same code as `seed_demo --national`."""
    from django.contrib.auth.models import Group

    from console.roles import ensure_groups
    from dashboard.demo_national import seed_national
    from onboarding.models import Integration, User, Vendor

    seed_national()
    ensure_groups()
    users = {}
    for name, group, vendor in (
        ("bench_operator", "operator", None),
        ("bench_helpdesk", "helpdesk", None),
        ("bench_vendor", "vendor", Vendor.objects.get(slug="vendor-a")),
    ):
        users[group] = User.objects.create_user(name, password="bench-Secret-42", vendor=vendor)
        users[group].groups.add(Group.objects.get(name=group))
    return list(Integration.objects.order_by("pk")), users


def _issue_count(i: int) -> int:
    # 1% large rejected files (901 issues), 9% with a few issues, the rest clean: 1.0M in all.
    if i % 100 == 0:
        return 901
    return 11 if i % 10 == 1 else 0


def seed_submissions(integration_ids: list[int], n: int) -> tuple[int, int]:
    from django.db import connection
    from django.utils import timezone

    rng = random.Random(7)
    now = timezone.now()
    span = 90 * 24 * 3600
    cols = (
        "integration_id, channel, original_name, size, sha256, sender, mode, stage_at_receipt,"
        " status, verdict, storage_name, received_at, queued_at, validating_at, validated_at,"
        " returned_at, delivered_at, rows, valid_rows, errors, warnings, report,"
        " progress_bytes, job_id, attempts, failure_reason, review_comment, context_fingerprint"
    )
    channels = ["web", "api", "folder", "mail", "media"]
    raw = connection.connection
    with raw.cursor() as cur, cur.copy(f"COPY uploads_submission ({cols}) FROM STDIN") as copy:
        for i in range(n):
            issues = _issue_count(i)
            errors = issues if i % 100 == 0 else issues // 2
            at = now - timedelta(seconds=span * (n - i) / n)
            status = "failed" if i % 997 == 0 else ("review" if i % 50 == 7 else "returned")
            verdict = None if status == "failed" else ("rejected" if errors else "accepted")
            report = {"counts": {c: issues // len(CODES) for c in CODES}} if issues else {}
            copy.write_row(
                (
                    integration_ids[i % len(integration_ids)],
                    channels[i % 5],
                    f"file-{i}.csv",
                    1000 + i,
                    f"{rng.getrandbits(256):064x}",
                    "bench",
                    "full" if i % 3 else "diff",
                    "testing",
                    status,
                    verdict,
                    "",
                    at,
                    at,
                    at,
                    at + timedelta(seconds=2),
                    at + timedelta(seconds=2),
                    at + timedelta(seconds=3),
                    1000,
                    1000 - errors,
                    errors,
                    issues - errors,
                    json.dumps(report),
                    1000 + i,
                    "",
                    1,
                    "",
                    "",
                    "",
                )
            )
    with raw.cursor() as cur:
        cur.execute("SELECT id FROM uploads_submission ORDER BY id")
        ids = [r[0] for r in cur.fetchall()]
    total = 0
    with (
        raw.cursor() as cur,
        cur.copy(
            "COPY uploads_submissionissue (submission_id, attempt, seq, row, line, field, code,"
            " severity, message, value) FROM STDIN"
        ) as copy,
    ):
        for i, pk in enumerate(ids):
            count = _issue_count(i)
            for seq in range(count):
                code = CODES[seq % len(CODES)]
                copy.write_row(
                    (
                        pk,
                        1,
                        seq,
                        seq + 1,
                        seq + 2,
                        FIELDS[seq % len(FIELDS)],
                        code,
                        "error" if seq % 2 == 0 or count == 901 else "warning",
                        f"{code} の指摘です",
                        "****1234",
                    )
                )
            total += count
    raw.commit()
    with raw.cursor() as cur:
        cur.execute("VACUUM ANALYZE")  # as autovacuum leaves tables that took inserts
    return ids[0], total


def seed_errors(integration_ids: list[int]) -> None:
    from helpdesk.services import error_item_record
    from onboarding.models import Integration

    for integration in Integration.objects.filter(pk__in=integration_ids[:100]):
        for code in CODES[:3]:
            error_item_record(kind="rejected", code=code, title=f"{code}", integration=integration)


def session_cookie(user) -> str:
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[-1]
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return f"{settings.SESSION_COOKIE_NAME}={store.session_key}"


def start_server(env: dict, workers: int) -> subprocess.Popen:
    cmd = [
        str(ROOT / ".venv/bin/gunicorn"),
        "pmhadmin.wsgi",
        "-w",
        str(workers),
        "-b",
        f"127.0.0.1:{PORT}",
        "--log-level",
        "warning",
    ]
    server = subprocess.Popen(cmd, cwd=ROOT, env=env, start_new_session=True)
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{PORT}/healthz", timeout=1)  # noqa: S310
            return server
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not start")


def check(path: str, cookie: str) -> int:
    """Fetch the page once; its HTML size in bytes."""
    request = urllib.request.Request(f"http://127.0.0.1:{PORT}{path}", headers={"Cookie": cookie})
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        if response.status != 200 or "/login/" in response.url:
            raise SystemExit(f"{path}: {response.status} {response.url}")
        return len(response.read())


def run_wrk(path: str, cookie: str, lua: Path, duration: int, clients: int) -> dict:
    cmd = [
        "wrk",
        f"-t{min(clients, 2)}",
        f"-c{clients}",
        f"-d{duration}s",
        "--timeout",
        "10s",
        "-s",
        str(lua),
        "-H",
        f"Cookie: {cookie}",
        f"http://127.0.0.1:{PORT}{path}",
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout  # noqa: S603
    line = next(x for x in out.splitlines() if x.startswith("RESULT"))
    requests, errors, micros, p50, p95, p99 = line.split()[1:]
    return {
        "requests": int(requests),
        "errors": int(errors),
        "rps": int(requests) / (int(micros) / 1e6),
        "p50": float(p50),
        "p95": float(p95),
        "p99": float(p99),
    }


def national_pages(cookies: dict) -> list[tuple[str, str, str]]:
    operator, vendor = cookies["operator"], cookies["vendor"]
    stuck = "prefecture=%E5%8C%97%E6%B5%B7%E9%81%93&vendor=vendor-b&stuck=on"  # 北海道
    return [
        ("board", "/board/", operator),
        ("board filtered", f"/board/?{stuck}", operator),
        ("board waiting 60 d", "/board/?waiting=60&method=api", operator),
        ("board (vendor)", "/board/", vendor),
        ("list + bulk form", "/integrations/", operator),
        ("list filtered + bulk", f"/integrations/?{stuck}", operator),
        ("list page 50 by wait", "/integrations/?sort=-stage_changed_at&page=50", operator),
        ("list (vendor)", "/integrations/?stage=testing", vendor),
        ("scorecards", "/scorecards/", operator),
        ("scorecard (vendor)", "/scorecards/vendor-a/", vendor),
        ("dashboard", "/", operator),
        ("dashboard (vendor)", "/", vendor),
    ]


def history_pages(cookies: dict, heavy: int, sha: str) -> list[tuple[str, str, str]]:
    staff, vendor = cookies["helpdesk"], cookies["vendor"]
    return [
        ("history", "/submissions/", staff),
        ("history page 200", "/submissions/?page=200", staff),
        ("filter status+channel", "/submissions/?status=returned&channel=mail&mode=full", staff),
        ("filter municipality", "/submissions/?municipality=1001", staff),
        (
            "filter date range",
            "/submissions/?received_from=2000-01-01&received_to=2100-01-01",
            staff,
        ),
        ("search file name", "/submissions/?q=file-4242", staff),
        ("search sha-256", f"/submissions/?q={sha}", staff),
        ("sort by errors", "/submissions/?sort=-errors", staff),
        ("history (vendor)", "/submissions/", vendor),
        ("detail 901 issues", f"/submissions/{heavy}/", staff),
        ("detail issues filter", f"/submissions/{heavy}/?code=V_KANA&field=myNumber&page=3", staff),
        ("error queue", "/errors/", staff),
    ]


P95_TARGET_MS = 300
HTML_TARGET = 300 * 1024


def main() -> int:
    global DB
    parser = argparse.ArgumentParser()
    parser.add_argument("--submissions", type=int, default=100_000)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument(
        "--warmup", type=int, default=1, help="seconds of unmeasured load per page first"
    )
    parser.add_argument("--pages", choices=("all", "national", "history"), default="all")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--reuse", action="store_true", help="measure the database kept by --keep (no seeding)"
    )
    parser.add_argument("--database", default=DB, help=f"database name (default {DB})")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install -y wrk")
    DB = args.database
    if args.reuse:
        args.keep = True
    else:
        setup_database()
    tmp = Path(tempfile.mkdtemp(prefix="pmh-bench-console-"))
    env = {
        **os.environ,
        "DATABASE_URL": f"{SERVER}/{DB}",
        "DJANGO_SETTINGS_MODULE": "pmhadmin.settings",
        "DEBUG": "0",
        "SECRET_KEY": "bench-" + os.urandom(16).hex(),
        "PMH_SECURE_COOKIES": "0",
        "PMH_STORAGE_ROOT": str(tmp / "files"),
    }
    env.pop("REDIS_URL", None)
    os.environ.update(env)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("collectstatic", verbosity=0, interactive=False)
    if args.reuse:
        users, heavy = reuse_registry()
        print(f"reusing the kept database {DB}")
    else:
        t = time.perf_counter()
        integrations, users = seed_registry()
        print(f"seeded the national picture: {len(integrations):,} integrations "
              f"in {time.perf_counter() - t:.1f} s")  # fmt: skip
        t = time.perf_counter()
        ids = [i.pk for i in integrations]
        heavy, issues = seed_submissions(ids, args.submissions)
        seed_errors(ids)
        print(
            f"seeded {args.submissions:,} submissions and {issues:,} issues "
            f"in {time.perf_counter() - t:.1f} s"
        )
    cookies = {group: session_cookie(user) for group, user in users.items()}
    from uploads.models import Submission

    sha = Submission.objects.get(pk=heavy + 5).sha256
    pages = []
    if args.pages in ("all", "national"):
        pages += national_pages(cookies)
    if args.pages in ("all", "history"):
        pages += history_pages(cookies, heavy, sha)
    lua = tmp / "p95.lua"
    lua.write_text(LUA)
    server = start_server(env, args.workers)
    worst, largest = 0.0, 0
    try:
        print(
            f"wrk, {args.clients} connections, {args.duration} s per page, "
            f"gunicorn {args.workers} sync workers, {os.cpu_count()} CPUs"
        )
        print(
            f"{'page':24} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}"
            f" {'HTML KiB':>9} errors"
        )
        for name, path, cookie in pages:
            size = check(path, cookie)
            if args.warmup > 0:  # every worker compiles its templates and opens its connection
                run_wrk(path, cookie, lua, args.warmup, args.clients)
            r = run_wrk(path, cookie, lua, args.duration, args.clients)
            worst, largest = max(worst, r["p95"]), max(largest, size)
            print(
                f"{name:24} {r['rps']:7.1f} {r['p50']:8.1f} {r['p95']:8.1f} {r['p99']:8.1f}"
                f" {size / 1024:9.1f} {r['errors']}"
            )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        if not args.keep:
            drop_database()
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"worst p95: {worst:.1f} ms (target ≤ {P95_TARGET_MS} ms); "
          f"largest page: {largest / 1024:.1f} KiB (target ≤ 300 KiB)")  # fmt: skip
    return 0 if worst <= P95_TARGET_MS and largest <= HTML_TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
