"""Benchmark: what the verdict context (issue 18.4) adds to receiving a file.

Every receive computes the context (test store state: the latest accepted submission and purge;
the layout mapping in use) and looks for a first submission with the same bytes and
fingerprint. This seeds one integration with N submissions inside a transaction that is rolled
back, then times both lookups. Uses the database of DATABASE_URL (migrated first), else a
throwaway SQLite file.

    python benchmarks/verdict_context.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/pmh_x python benchmarks/verdict_context.py
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


class Rollback(Exception):
    pass


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--submissions", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=500)
    args = parser.parse_args()
    scratch = tempfile.mkdtemp(prefix="pmh-bench-context-")
    os.environ.setdefault("PMH_VAR_DIR", scratch)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pmhadmin.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    call_command("migrate", verbosity=0)
    from onboarding.models import Integration, Municipality
    from uploads import context
    from uploads.models import Submission

    try:
        with transaction.atomic():
            town = Municipality.objects.create(code="999997", prefecture="試験県", city="試験市")
            integration = Integration.objects.create(
                municipality=town, business_system="bench", dropbox_name="bench-context"
            )
            now = timezone.now()
            Submission.objects.bulk_create(
                [
                    Submission(
                        integration=integration,
                        channel="web",
                        original_name=f"f{i}.csv",
                        size=100,
                        sha256=f"{i:064x}",
                        mode="full",
                        stage_at_receipt="testing",
                        status="returned",
                        verdict="accepted" if i % 3 else "rejected",
                        received_at=now - timedelta(minutes=i),
                        validated_at=now - timedelta(minutes=i),
                        context_fingerprint=f"{i % 7:064x}",
                    )
                    for i in range(args.submissions)
                ],
                batch_size=5000,
            )
            started = time.perf_counter()
            for _ in range(args.rounds):
                found = context.verdict_context(integration=integration, mode="full")
            per_context = (time.perf_counter() - started) * 1000 / args.rounds
            stamp = context.fingerprint(found)
            started = time.perf_counter()
            for i in range(args.rounds):
                Submission.objects.filter(
                    integration=integration,
                    sha256=f"{i:064x}",
                    context_fingerprint=stamp,
                    duplicate_of=None,
                    file_purged_at=None,
                ).exclude(status="failed").order_by("received_at", "pk").first()
            per_lookup = (time.perf_counter() - started) * 1000 / args.rounds
            started = time.perf_counter()
            for i in range(args.rounds):  # the lookup before issue 18.4, for comparison
                Submission.objects.filter(
                    integration=integration,
                    sha256=f"{i:064x}",
                    duplicate_of=None,
                    file_purged_at=None,
                ).exclude(status="failed").order_by("received_at", "pk").first()
            per_old = (time.perf_counter() - started) * 1000 / args.rounds
            raise Rollback
    except Rollback:
        pass
    print(f"database: {connection.vendor}, submissions of the integration: {args.submissions:,}")
    print(f"verdict context (store state, mapping): {per_context:.2f} ms per receive")
    print(f"duplicate lookup (bytes + fingerprint): {per_lookup:.2f} ms per receive")
    print(f"duplicate lookup before (bytes only): {per_old:.2f} ms per receive")


if __name__ == "__main__":
    main()
