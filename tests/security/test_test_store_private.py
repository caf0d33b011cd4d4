"""The test store holds nothing personal and is purged (issue 17.2).

An accepted file with a non-disclosed person fills the store; then every text of every table of
the database itself is read, and none may carry a full 個人番号 or the person's values. Stores
without a submission for PMH_RETENTION_DAYS and stores of retired integrations are emptied, each
purge recorded; rows stored in clear before are sealed by the migration.
"""

import random
from datetime import timedelta
from hashlib import blake2b
from importlib import import_module

import pytest
from django.apps import apps
from django.db import connection
from django.utils import timezone

from tests.uploads.submission_helpers import csv_file, full_records, receive
from uploads import jobs as upload_jobs
from uploads import teststore
from uploads.lib.keyindex import engine_digest
from uploads.lib.validation import samples
from uploads.lib.validation.stage import sealed_digest, sealed_key
from uploads.models import StoredRecord, StorePurge, Submission, Verdict
from uploads.services import stored_path
from uploads.teststore import load_index, store_secret

pytestmark = pytest.mark.django_db

NAME = "秘匿\u3000花子"
ADDRESS = "東京都秘密町9-8-7"


@pytest.fixture
def jobs(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


def _accepted(cast, jobs, *, seed=7, name="store.csv") -> tuple[Submission, list[str]]:
    rng = random.Random(seed)  # noqa: S311
    records = [samples.valid_record(i, rng) for i in range(5)]
    records[1]["isNotDisclosed"] = True
    records[1]["basicFiveInfo"].update(name=NAME, address=ADDRESS)
    with jobs():
        submission = receive(cast.integration_a, samples.csv_bytes(records), name=name)
    submission.refresh_from_db()
    assert submission.verdict == Verdict.ACCEPTED, submission.report["issues"]
    return submission, [r["myNumber"] for r in records]


def _database_text() -> str:
    """Every row of every table, as text (the sweep reads the database, not only the pages)."""
    parts = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            parts.append(repr(cursor.fetchall()))
    return "\n".join(parts)


def test_the_database_holds_no_personal_value_of_an_accepted_file(cast, jobs):
    _, numbers = _accepted(cast, jobs)
    assert StoredRecord.objects.filter(integration=cast.integration_a).count() == 5
    text = _database_text()
    for secret in [*numbers, NAME, ADDRESS, ADDRESS.replace("東京都", "")]:
        assert secret not in text, secret
    for record in StoredRecord.objects.all():
        assert record.values == {}
        assert len(record.key) == 64 and int(record.key, 16) >= 0  # an HMAC-SHA256 in hex


def test_sealed_keys_need_the_secret_and_the_engine_still_finds_them(cast, jobs, settings):
    _, numbers = _accepted(cast, jobs)
    index = load_index(cast.integration_a.pk)
    stored = set(StoredRecord.objects.values_list("key", flat=True))
    # trying the key text with a wrong secret (or none) finds nothing
    settings.PMH_STORE_KEY = "another secret"
    assert not any(
        sealed_key(store_secret(), f"PMH1501\x1f{number}\x1f\x1f") in stored for number in numbers
    )
    assert len(index) == 5 and index.secret != store_secret()


def test_an_unchanged_resend_is_recognised_on_the_sealed_store(cast, jobs):
    first, _ = _accepted(cast, jobs)
    with jobs():
        again = receive(cast.integration_a, stored_path(first).read_bytes() + b"\r\n", name="2.csv")
    again.refresh_from_db()
    assert again.report["diff"] == {"added": 0, "changed": 0, "unchanged": 5, "removed": 0}


def test_stores_without_a_recent_submission_are_purged_and_recorded(cast, jobs, settings):
    settings.PMH_RETENTION_DAYS = 30
    _accepted(cast, jobs)
    with jobs():
        receive(cast.integration_b, csv_file(full_records(1)), name="b.csv")
    assert StoredRecord.objects.filter(integration=cast.integration_b).count() == 1
    Submission.objects.filter(integration=cast.integration_a).update(
        received_at=timezone.now() - timedelta(days=31)
    )
    upload_jobs.retention_sweep()
    assert not StoredRecord.objects.filter(integration=cast.integration_a).exists()
    assert StoredRecord.objects.filter(integration=cast.integration_b).count() == 1
    purge = StorePurge.objects.get()
    assert (purge.integration_id, purge.records) == (cast.integration_a.pk, 5)
    assert purge.reason == "retention 30 days"
    upload_jobs.retention_sweep()  # nothing left to purge: nothing more recorded
    assert StorePurge.objects.count() == 1


def test_a_file_received_as_the_purge_reaches_its_store_keeps_the_store(
    cast, jobs, settings, monkeypatch
):
    """The purge chose the store as stale, then a file arrived before the purge took the
    store's lock: the purge checks again under the lock and leaves the store alone."""
    settings.PMH_RETENTION_DAYS = 30
    _accepted(cast, jobs)
    old = timezone.now() - timedelta(days=31)
    Submission.objects.filter(integration=cast.integration_a).update(received_at=old)
    atomic = teststore.transaction.atomic

    def file_arrives_first(*args, **kwargs):
        Submission.objects.filter(integration=cast.integration_a).update(received_at=timezone.now())
        return atomic(*args, **kwargs)

    monkeypatch.setattr(teststore.transaction, "atomic", file_arrives_first)
    assert teststore.stores_purge() == 0
    monkeypatch.undo()
    assert StoredRecord.objects.filter(integration=cast.integration_a).count() == 5
    assert not StorePurge.objects.exists()


def test_a_retired_integration_leaves_a_purge_record(cast, jobs):
    _accepted(cast, jobs)
    pk = cast.integration_a.pk
    # No stage says "retired" (console.md): retiring is deleting, once its submissions are gone.
    Submission.objects.filter(integration_id=pk).delete()
    cast.integration_a.delete()
    assert not StoredRecord.objects.filter(integration_id=pk).exists()
    purge = StorePurge.objects.get()
    assert (purge.integration_id, purge.records, purge.reason) == (pk, 5, "integration retired")


def test_the_migration_seals_rows_stored_in_clear(cast):
    text = "PMH1501\x1f123456789018\x1f\x1f"
    digest = int.from_bytes(blake2b(text.encode(), digest_size=8).digest(), "big", signed=True)
    StoredRecord.objects.create(
        integration=cast.integration_a,
        key=text,
        key_digest=digest,
        fingerprint="0" * 32,
        values={"myNumber": "123456789018", "basicFiveInfo.name": NAME},
    )
    migration = import_module("uploads.migrations.0010_test_store_sealed_and_purged")
    migration.seal_stored_records(apps, None)
    row = StoredRecord.objects.get()
    secret = store_secret()
    assert (row.key, row.key_digest, row.values) == (
        sealed_key(secret, text),
        sealed_digest(secret, engine_digest(text)),
        {},
    )
    assert load_index(cast.integration_a.pk).fingerprint(("PMH1501", "123456789018", "", "")) == (
        "0" * 32
    )
