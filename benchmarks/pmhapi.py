"""What the PMH-compatible registration API adds before a request is answered (issue #20).

Generates a JSON array of valid records, then measures in this process, on the same file:
spooling the body to disk while hashing (plain and gzip), and the full check that it is a
non-empty JSON array (`uploads.lib.validation.jsonbody.check_array`), with the peak RSS.

    python benchmarks/pmhapi.py                 # 100,000 records
    python benchmarks/pmhapi.py --rows 300000
"""

from __future__ import annotations

import argparse
import gzip
import random
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from uploads.lib import storage  # noqa: E402
from uploads.lib.validation import samples  # noqa: E402
from uploads.lib.validation.jsonbody import Gunzip, check_array  # noqa: E402


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _timed(label: str, size: int, work) -> None:
    cpu, wall = time.process_time(), time.perf_counter()
    work()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    mib = size / 2**20
    print(f"{label:<34} {wall:6.2f} s wall {cpu:6.2f} s CPU {mib / wall:7.1f} MiB/s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        body = Path(tmp) / "records.json"
        samples.write_json(
            body, (samples.valid_record(i, random.Random(i)) for i in range(args.rows))
        )
        packed = Path(tmp) / "records.json.gz"
        with open(body, "rb") as src, gzip.open(packed, "wb", compresslevel=6) as out:
            shutil.copyfileobj(src, out, 1 << 20)
        size = body.stat().st_size
        gz_mib = packed.stat().st_size / 2**20
        print(f"{args.rows:,} records, {size / 2**20:.1f} MiB JSON ({gz_mib:.1f} MiB gzip)")
        rss_before = _rss_mb()

        def spool(source):
            with open(source, "rb") as raw:
                stream = Gunzip(raw) if source == packed else raw
                path, _, _ = storage.receive_stream(stream, Path(tmp) / "in", max_bytes=2**40)
            path.unlink()

        _timed("spool + SHA-256 (plain)", size, lambda: spool(body))
        _timed("spool + SHA-256 (gzip, expanded)", size, lambda: spool(packed))
        _timed("check: non-empty JSON array", size, lambda: check_array(body))
        print(f"peak RSS {_rss_mb():.0f} MB (before the measured steps: {rss_before:.0f} MB)")


if __name__ == "__main__":
    main()
