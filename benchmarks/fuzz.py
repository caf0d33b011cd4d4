"""Fuzz the file readers and the validation engine for a wall-clock budget.

The property is tests/uploads/fuzz_strategies.check_file: any bytes give a report, row and
field where they belong, Japanese messages, no 個人番号 echoed.

- ``--engine atheris`` (default when installed): coverage-guided libFuzzer over raw bytes,
  seeded with the committed sample files (tests/fixtures/uploads), the engine instrumented.
  libFuzzer stops at the first finding and writes it as ``crash-*`` in ``--artifacts``.
- ``--engine hypothesis``: structured inputs (hostile CSV cells, JSON values, cut and flipped
  files), one fresh random run after another until the budget is spent; all findings listed.

A finding's input goes into tests/uploads/test_validation_fuzz.REGRESSIONS once fixed.

    python benchmarks/fuzz.py --seconds 60
    python benchmarks/fuzz.py --seconds 600 --engine hypothesis
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SEEDS = ROOT / "tests" / "fixtures" / "uploads"


def _atheris_available() -> bool:
    try:
        import atheris  # noqa: F401
    except ImportError:
        return False
    return True


def atheris_worker(argv: list[str]) -> None:
    """Runs inside the child process: libFuzzer takes over and exits when done."""
    import atheris

    with atheris.instrument_imports():
        from uploads.lib.validation import csvfile, engine, jsonfile, sniff  # noqa: F401
    from tests.uploads.fuzz_strategies import check_file

    atheris.Setup(argv, check_file)
    atheris.Fuzz()


def run_atheris(seconds: float, artifacts: Path) -> int:
    corpus = Path(tempfile.mkdtemp(prefix="pmh-fuzz-corpus-"))
    for seed in sorted(SEEDS.glob("*.*")):
        if seed.suffix in (".csv", ".json", ".jsonl"):
            shutil.copy(seed, corpus / seed.name)
    artifacts.mkdir(parents=True, exist_ok=True)
    argv = [
        sys.executable,
        __file__,
        "--worker",
        f"-max_total_time={int(seconds)}",
        "-print_final_stats=1",
        "-timeout=20",
        "-rss_limit_mb=4096",
        f"-artifact_prefix={artifacts}/",
        str(corpus),
    ]
    started = time.monotonic()
    done = subprocess.run(argv, capture_output=True, text=True, check=False)  # noqa: S603
    elapsed = time.monotonic() - started
    shutil.rmtree(corpus, ignore_errors=True)
    log = done.stderr
    runs = re.findall(r"stat::number_of_executed_units:\s*(\d+)", log)
    crashes = sorted(artifacts.glob("crash-*")) + sorted(artifacts.glob("timeout-*"))
    print("engine: atheris (libFuzzer)")
    print(f"executions: {runs[-1] if runs else 'unknown'}")
    print(f"seconds: {elapsed:.1f}")
    print(f"findings: {len(crashes)}")
    for crash in crashes:
        print(f"- {crash}\n  input: {crash.read_bytes()[:300]!r}")
    if crashes or done.returncode != 0:
        print(log[-4000:], file=sys.stderr)
    return 1 if crashes or done.returncode != 0 else 0


def run_hypothesis(seconds: float, per_round: int) -> int:
    from hypothesis import HealthCheck, given, settings

    from tests.uploads.fuzz_strategies import any_file, check_file

    executions = 0
    findings: dict[str, bytes] = {}

    @settings(
        max_examples=per_round,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(any_file())
    def one_round(data: bytes) -> None:
        nonlocal executions
        executions += 1
        try:
            check_file(data)
        except Exception as exc:
            findings.setdefault(f"{type(exc).__name__}: {exc}"[:200], data)
            raise

    started = time.monotonic()
    rounds = 0
    while time.monotonic() - started < seconds:
        rounds += 1
        try:
            one_round()
        except Exception:  # noqa: S110 - recorded in findings (hypothesis re-raises the shrunk one)
            pass
    elapsed = time.monotonic() - started
    print("engine: hypothesis")
    print(f"executions: {executions} in {rounds} rounds")
    print(f"seconds: {elapsed:.1f}")
    print(f"findings: {len(findings)}")
    for message, data in findings.items():
        print(f"- {message}\n  input: {data[:300]!r}")
    return 1 if findings else 0


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        atheris_worker([sys.argv[0], *sys.argv[2:]])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60, help="wall-clock budget")
    parser.add_argument(
        "--engine",
        choices=("atheris", "hypothesis"),
        default="atheris" if _atheris_available() else "hypothesis",
    )
    parser.add_argument("--round", type=int, default=200, help="hypothesis examples per run")
    parser.add_argument("--artifacts", type=Path, default=ROOT / "var" / "fuzz")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pmhadmin.settings")
    if args.engine == "atheris":
        return run_atheris(args.seconds, args.artifacts)
    return run_hypothesis(args.seconds, args.round)


if __name__ == "__main__":
    sys.exit(main())
