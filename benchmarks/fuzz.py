"""Fuzz the file readers and the validation engine for a wall-clock budget.

The property is tests/uploads/fuzz_strategies.check_file: any bytes give a report, row and
field where they belong, Japanese messages, no 個人番号 echoed. Hypothesis generates the inputs
(atheris is not used: hypothesis's structured strategies reach the readers' interesting paths
faster than byte-level mutation of the spec's formats). Each round is a fresh random run; a
finding is printed with its input (repr) to add to tests/uploads/test_validation_fuzz.FOUND.

    python benchmarks/fuzz.py --seconds 60
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pmhadmin.settings")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60, help="wall-clock budget")
    parser.add_argument("--round", type=int, default=200, help="examples per hypothesis run")
    args = parser.parse_args()

    from hypothesis import HealthCheck, given, settings

    from tests.uploads.fuzz_strategies import any_file, check_file

    executions = 0
    findings: dict[str, bytes] = {}
    deadline = time.monotonic() + args.seconds
    started = time.monotonic()

    @settings(
        max_examples=args.round,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(any_file())
    def run(data: bytes) -> None:
        nonlocal executions
        executions += 1
        try:
            check_file(data)
        except Exception as exc:
            findings.setdefault(f"{type(exc).__name__}: {exc}"[:200], data)
            raise

    rounds = 0
    while time.monotonic() < deadline:
        rounds += 1
        try:
            run()
        except Exception:
            pass  # recorded above; hypothesis shrank it, the smallest input is kept too
    elapsed = time.monotonic() - started
    print(f"executions: {executions}")
    print(f"rounds: {rounds}")
    print(f"seconds: {elapsed:.1f}")
    print(f"executions per second: {executions / elapsed:.0f}")
    print(f"findings: {len(findings)}")
    for message, data in findings.items():
        print(f"- {message}\n  input: {data[:300]!r}")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
