"""Probe throughput: N loopback targets through `run_probes()` in one process.

    .venv/bin/python benchmarks/probes.py [--targets 1800] [--concurrency 50]

Every target is on 127.0.0.1: a pool of HTTP and HTTPS servers, a closed port, and a server
that never answers, so a share of the probes runs into its full timeout as on a bad day.
The run-history size over 30 days (needs the models) belongs in a separate function here.
"""

import argparse
import statistics
import sys
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


def main() -> None:
    args = parse_args()
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


if __name__ == "__main__":
    main()
