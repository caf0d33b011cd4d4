"""Migration 0015: the stored key becomes the store's primary key, every record kept, and back."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from uploads.models import StoredRecord

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("uploads", "0014_storedrecord_line_digest")]
AFTER = [("uploads", "0015_storedrecord_key_is_primary_key")]
ROWS = [
    (-5, "a" * 64, "0" * 32, 11),
    (7, "b" * 64, "1" * 32, None),
    (7, "c" * 64, "2" * 32, -3),  # the same key hash, another key: both stay
]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def _rows(model, integration_id):
    found = model.objects.filter(integration_id=integration_id).values_list(
        "key_digest", "key", "fingerprint", "line_digest"
    )
    return sorted(found)


def test_records_keep_their_keys_and_values_and_the_key_stays_unique(cast):
    integration = cast.integration_a.pk
    try:
        old = _migrate(BEFORE).get_model("uploads", "StoredRecord")
        for digest, key, fingerprint, line in ROWS:
            old.objects.create(integration_id=integration, key=key, key_digest=digest,
                               fingerprint=fingerprint, values={}, line_digest=line)  # fmt: skip
        _migrate(AFTER)
        assert _rows(StoredRecord, integration) == sorted(ROWS)
        record = StoredRecord.objects.get(integration_id=integration, key="b" * 64)
        assert record.pk == (integration, 7, "b" * 64)
        with pytest.raises(IntegrityError), transaction.atomic():
            StoredRecord.objects.create(integration_id=integration, key="b" * 64, key_digest=7,
                                        fingerprint="9" * 32, values={})  # fmt: skip
        with connection.cursor() as cursor:
            columns = [c.name for c in connection.introspection.get_table_description(
                cursor, "uploads_storedrecord")]  # fmt: skip
        assert "id" not in columns
        back = _migrate(BEFORE).get_model("uploads", "StoredRecord")
        assert _rows(back, integration) == sorted(ROWS)
        assert back.objects.filter(integration_id=integration).count() == 3
        assert len(set(back.objects.values_list("id", flat=True))) == 3
        with pytest.raises(IntegrityError), transaction.atomic():
            back.objects.create(integration_id=integration, key="b" * 64, key_digest=7,
                                fingerprint="9" * 32, values={})  # fmt: skip
    finally:
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
