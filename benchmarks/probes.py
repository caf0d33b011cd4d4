"""Probe throughput, and the cost of the run history with its retention policy.

    .venv/bin/python benchmarks/probes.py [--targets 1800] [--concurrency 50]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
        .venv/bin/python benchmarks/probes.py --history [--targets 1800] [--interval 60]

Throughput: every target is on 127.0.0.1: a pool of HTTP and HTTPS servers, a closed port, and
a server that never answers, so a share of the probes runs into its full timeout as on a bad day.

History (`--history`): 30 days at one run per interval for every target, stored the way the
retention job leaves it (raw runs for the last PMH_PROBE_RAW_DAYS, hourly roll-ups before),
in a throwaway database (`pmh_bench_probes` on the server of DATABASE_URL, dropped afterwards
unless --keep; SQLite under var/ without DATABASE_URL). Prints rows, table sizes, the cost of
the hourly roll-up and prune job, and the query times of the uptime figures, with and without
the policy.
"""

import argparse
import datetime
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from contextlib import ExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from connectivity.lib.probe import ProbeSpec, run_probes  # noqa: E402
from tests.connectivity.servers import (  # noqa: E402
    LoopbackHTTPServer,
    SilentTCPServer,
    free_port,
    make_pki,
    server_context,
)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--targets", type=int, default=1800)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--servers", type=int, default=8, help="HTTP and HTTPS servers each")
    parser.add_argument("--tls-share", type=float, default=0.3)
    parser.add_argument("--timeout-share", type=float, default=0.1)
    parser.add_argument("--refused-share", type=float, default=0.05)
    parser.add_argument("--timeout", type=float, default=5.0, help="seconds per probe")
    parser.add_argument("--history", action="store_true", help="Measure the run history.")
    parser.add_argument("--interval", type=int, default=60, help="seconds between runs")
    parser.add_argument("--days", type=int, default=30, help="history to keep figures for")
    parser.add_argument("--raw-days", type=int, default=3, help="raw runs kept (the policy)")
    parser.add_argument("--database", default="pmh_bench_probes")
    parser.add_argument("--keep", action="store_true", help="Keep the benchmark database.")
    return parser.parse_args()


def build_specs(args, http, https, silent, closed_port, ca_pem) -> list[ProbeSpec]:
    timeouts = round(args.targets * args.timeout_share)
    refused = round(args.targets * args.refused_share)
    tls = round(args.targets * args.tls_share)
    specs = [ProbeSpec(f"http://{silent.address}/", timeout=args.timeout)] * timeouts
    specs += [ProbeSpec(f"127.0.0.1:{closed_port}", kind="tcp", timeout=args.timeout)] * refused
    specs += [
        ProbeSpec(https[i % len(https)].url, timeout=args.timeout, ca_pem=ca_pem)
        for i in range(tls)
    ]
    rest = args.targets - len(specs)
    specs += [
        ProbeSpec(http[i % len(http)].url, timeout=args.timeout, expect_keyword="PMH OK")
        for i in range(rest)
    ]
    # Interleave so the timeouts are spread over the run instead of arriving as one block.
    return [specs[i] for i in sorted(range(len(specs)), key=lambda i: (i * 7919) % len(specs))]


def throughput(args) -> None:
    pki = make_pki()
    with ExitStack() as stack:
        http = [stack.enter_context(LoopbackHTTPServer()) for _ in range(args.servers)]
        context = server_context(pki.valid)
        https = [stack.enter_context(LoopbackHTTPServer(tls=context)) for _ in range(args.servers)]
        silent = stack.enter_context(SilentTCPServer())
        specs = build_specs(args, http, https, silent, free_port(), pki.ca_pem)

        started = time.perf_counter()
        runs = [run for _, run in run_probes(specs, concurrency=args.concurrency)]
        wall = time.perf_counter() - started

    totals = sorted(run.total_ms for run in runs)
    ok_totals = sorted(run.total_ms for run in runs if run.ok)
    cuts = statistics.quantiles(totals, n=100)
    outcomes = Counter(run.error_class or "ok" for run in runs)
    floor = outcomes["timeout"] * args.timeout / args.concurrency
    print(f"targets            {len(runs)} (concurrency {args.concurrency})")
    print(f"outcomes           {dict(sorted(outcomes.items()))}")
    print(f"wall time          {wall:.2f} s")
    print(f"targets per minute {len(runs) / wall * 60:,.0f}")
    print(f"total_ms p50/p95   {cuts[49]:.1f} / {cuts[94]:.1f} (all runs)")
    if len(ok_totals) > 1:
        ok_cuts = statistics.quantiles(ok_totals, n=100)
        print(f"total_ms p50/p95   {ok_cuts[49]:.1f} / {ok_cuts[94]:.1f} (passed runs only)")
    print(f"timeout floor      {floor:.2f} s (timeouts x timeout / concurrency)")


# Run history ------------------------------------------------------------------------------------

RAW_COLUMNS = (
    "probe_id, started_at, ok, error_class, failed_phase, dns_ms, connect_ms, tls_ms, "
    "first_byte_ms, total_ms, address, tls_version, cert_subject, cert_days_left, http_status, "
    "message, attempts, suppressed"
)
# One in a hundred runs fails with a timeout, as on an ordinary day; the rest are HTTPS passes.
PG_RAW_SELECT = """
SELECT p.id, ts, (random() > 0.01),
       CASE WHEN random() > 0.01 THEN '' ELSE 'timeout' END, '',
       1 + random() * 3, 2 + random() * 8, 5 + random() * 20, 10 + random() * 80,
       20 + random() * 110, '10.10.' || (p.id %% 250) || '.' || (p.id %% 200), 'TLSv1.3',
       'CN=pmh-api-' || p.id || '.lgwan.example.lg.jp', 200, 200, 'HTTP 200 OK', 1, ''
FROM connectivity_probe p
CROSS JOIN generate_series(%(start)s::timestamptz, %(end)s::timestamptz, %(step)s) ts
WHERE p.id BETWEEN %(first)s AND %(last)s
"""


def _bench_database_url(args) -> str | None:
    import dj_database_url
    import psycopg

    url = os.environ.get("DATABASE_URL")
    if not url:
        return None
    config = dj_database_url.parse(url)
    admin = psycopg.connect(
        host=config["HOST"] or "127.0.0.1",
        port=config["PORT"] or 5432,
        user=config["USER"],
        password=config["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    )
    with admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{args.database}"')
        admin.execute(f'CREATE DATABASE "{args.database}"')
    return url.rsplit("/", 1)[0] + "/" + args.database


def _drop_bench_database(args) -> None:
    import dj_database_url
    import psycopg
    from django.db import connections

    connections.close_all()
    config = dj_database_url.parse(os.environ["DATABASE_URL"])
    with psycopg.connect(
        host=config["HOST"] or "127.0.0.1",
        port=config["PORT"] or 5432,
        user=config["USER"],
        password=config["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    ) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{args.database}"')


def _setup_django(args) -> bool:
    bench_url = _bench_database_url(args)
    if bench_url:
        os.environ["DATABASE_URL"] = bench_url
    else:
        os.environ["PMH_VAR_DIR"] = str(Path(tempfile.mkdtemp(prefix="pmh-bench-")))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pmhadmin.settings")
    os.environ.setdefault("DEBUG", "1")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, skip_checks=True)
    return bool(bench_url)


def _timed(func, repeat: int = 5) -> tuple[float, object]:
    best, value = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        value = func()
        best = min(best, time.perf_counter() - started)
    return best * 1000, value


def _insert_raw(postgres: bool, first: int, last: int, start, end, step) -> None:
    from django.db import connection

    if postgres:
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO connectivity_proberesult ({RAW_COLUMNS}) {PG_RAW_SELECT}",
                {"start": start, "end": end, "step": step, "first": first, "last": last},
            )
        return
    import random

    from connectivity.models import ProbeResult

    rows, moment = [], start
    while moment <= end:
        for pid in range(first, last + 1):
            ok = random.random() > 0.01
            rows.append(
                ProbeResult(
                    probe_id=pid,
                    started_at=moment,
                    ok=ok,
                    error_class="" if ok else "timeout",
                    dns_ms=2.0,
                    connect_ms=5.0,
                    tls_ms=15.0,
                    first_byte_ms=40.0,
                    total_ms=62.0,
                    address="10.10.0.1",
                    tls_version="TLSv1.3",
                    cert_subject=f"CN=pmh-api-{pid}.lgwan.example.lg.jp",
                    cert_days_left=200,
                    http_status=200,
                    message="HTTP 200 OK",
                )
            )
        if len(rows) >= 20000:
            ProbeResult.objects.bulk_create(rows)
            rows = []
        moment += step
    ProbeResult.objects.bulk_create(rows)


def _insert_rollups(postgres: bool, first: int, last: int, start, end, runs: int) -> None:
    from django.db import connection

    if postgres:
        with connection.cursor() as cursor:
            cursor.execute(
                """
                INSERT INTO connectivity_proberollup (probe_id, hour, runs, ok_runs,
                    excluded_runs, avg_dns_ms, avg_connect_ms, avg_tls_ms, avg_first_byte_ms,
                    avg_total_ms, max_total_ms)
                SELECT p.id, h, %(runs)s, %(runs)s - (random() < 0.3)::int, 0, 2.5, 6.5,
                       17.5, 55.0, 81.5, 130.0
                FROM connectivity_probe p
                CROSS JOIN generate_series(%(start)s::timestamptz, %(end)s::timestamptz,
                                           interval '1 hour') h
                WHERE p.id BETWEEN %(first)s AND %(last)s
                """,
                {"runs": runs, "start": start, "end": end, "first": first, "last": last},
            )
        return
    from connectivity.models import ProbeRollup

    rows, hour = [], start
    while hour <= end:
        rows += [
            ProbeRollup(probe_id=pid, hour=hour, runs=runs, ok_runs=runs, avg_total_ms=81.5)
            for pid in range(first, last + 1)
        ]
        hour += datetime.timedelta(hours=1)
    ProbeRollup.objects.bulk_create(rows, batch_size=20000)


def _table_sizes(postgres: bool) -> dict[str, tuple[int, int]]:
    from django.db import connection

    sizes = {}
    with connection.cursor() as cursor:
        for table in ("connectivity_proberesult", "connectivity_proberollup"):
            cursor.execute(f"SELECT count(*) FROM {table}")
            rows = cursor.fetchone()[0]
            size = 0
            if postgres:
                cursor.execute("SELECT pg_total_relation_size(%s)", [table])
                size = cursor.fetchone()[0]
            sizes[table] = (rows, size)
    return sizes


def _mib(size: int) -> str:
    return f"{size / 2**20:,.0f} MiB"


def history(args) -> None:
    postgres = _setup_django(args)
    try:
        _history(args, postgres)
    finally:
        if postgres and not args.keep:
            _drop_bench_database(args)


def _history(args, postgres: bool) -> None:
    from django.db import connection
    from django.utils import timezone

    from connectivity import selectors, services
    from connectivity.models import Probe

    targets = args.targets if postgres or args.targets != 1800 else 100
    now = timezone.now().replace(second=0, microsecond=0)
    step = datetime.timedelta(seconds=args.interval)
    runs_per_hour = 3600 // args.interval
    probes = Probe.objects.bulk_create(
        Probe(name=f"t{n}", url=f"https://pmh-api-{n}.lgwan.example.lg.jp/", route="lgwan")
        for n in range(targets)
    )
    first, last = probes[0].pk, probes[-1].pk
    raw_start = services._hour_floor(now - datetime.timedelta(days=args.raw_days, hours=1))
    rollup_end = raw_start - datetime.timedelta(hours=1)
    rollup_start = services._hour_floor(now - datetime.timedelta(days=args.days))

    started = time.perf_counter()
    _insert_raw(postgres, first, last, raw_start, now, step)
    _insert_rollups(postgres, first, last, rollup_start, rollup_end, runs_per_hour)
    if postgres:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    load = time.perf_counter() - started

    job_ms, rolled = _timed(lambda: services.results_rollup(now=now), repeat=1)
    hours_rolled = max(rolled // max(targets, 1), 1)
    prune_ms, pruned = _timed(lambda: services.results_prune(now=now), repeat=1)
    if postgres:
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE connectivity_proberesult")
    sizes = _table_sizes(postgres)
    # Without the policy: one target carries its full 30 days raw, to time the per-target page.
    naive = Probe.objects.create(name="naive", url="https://naive.lgwan.example.lg.jp/")
    _insert_raw(postgres, naive.pk, naive.pk, now - datetime.timedelta(days=args.days), now, step)
    if postgres:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE connectivity_proberesult")

    ids = [p.pk for p in probes]
    one_ms, _ = _timed(lambda: selectors.uptime_figures(ids[:1], now=now))
    page_ms, _ = _timed(lambda: selectors.uptime_figures(ids[:50], now=now))
    all_ms, _ = _timed(lambda: selectors.uptime_figures(ids, now=now), repeat=3)
    chart_ms, _ = _timed(lambda: selectors.latency_chart(ids[0], now=now))
    chart30_ms, _ = _timed(
        lambda: selectors.latency_chart(ids[0], span=selectors.WINDOWS["30d"], now=now)
    )
    naive_ms, _ = _timed(lambda: _raw_uptime([naive.pk], now, args.days))
    scan_ms, _ = _timed(lambda: _raw_uptime(ids, now, args.raw_days), repeat=2)

    raw_rows, raw_size = sizes["connectivity_proberesult"]
    rollup_rows, rollup_size = sizes["connectivity_proberollup"]
    full_rows = targets * args.days * 86400 // args.interval
    per_row = raw_size / raw_rows if raw_rows else 0
    engine = "PostgreSQL" if postgres else "SQLite (sizes need PostgreSQL)"
    print(f"database              {engine}, {targets} targets, 1 run / {args.interval} s")
    print(f"loaded in             {load:.1f} s")
    print(f"policy                raw runs {args.raw_days} d (failures 30 d), hourly roll-ups")
    print(f"without policy        {full_rows:,} raw rows for {args.days} d", end="")
    print(f", about {_mib(full_rows * per_row)}" if per_row else "")
    print(f"raw runs kept         {raw_rows:,} rows, {_mib(raw_size)} incl. indexes")
    print(f"hourly roll-ups       {rollup_rows:,} rows, {_mib(rollup_size)} incl. indexes")
    if per_row:
        print(f"bytes per raw run     {per_row:,.0f} (table and indexes)")
    print(
        f"roll-up job           {job_ms / hours_rolled:,.0f} ms per hour rolled ({rolled:,} rows)"
    )
    print(f"prune job             {prune_ms:,.0f} ms ({pruned:,} rows deleted)")
    print(f"uptime 24h/7d/30d     {one_ms:.1f} ms one target (target page)")
    print(f"                      {page_ms:.1f} ms 50 targets (a page of the overview)")
    print(f"                      {all_ms:.1f} ms all {targets} targets")
    print(f"latency chart         {chart_ms:.1f} ms 24 h, {chart30_ms:.1f} ms 30 d")
    print(f"without policy        {naive_ms:.1f} ms one target, 30 d straight from raw runs")
    estimate = scan_ms * args.days / args.raw_days
    print(f"                      ~{estimate:,.0f} ms all targets (raw {args.raw_days} d ", end="")
    print(f"scan {scan_ms:,.0f} ms x {args.days / args.raw_days:.0f})")


def _raw_uptime(ids, now, days):
    from django.db.models import Count, Q

    from connectivity.models import ProbeResult

    since = now - datetime.timedelta(days=days)
    return list(
        ProbeResult.objects.filter(probe_id__in=ids, started_at__gte=since, suppressed="")
        .values("probe_id")
        .annotate(runs=Count("id"), ok=Count("id", filter=Q(ok=True)))
        .order_by()
    )


def main() -> None:
    args = parse_args()
    if args.history:
        history(args)
    else:
        throughput(args)


if __name__ == "__main__":
    main()
