"""The integration's test store in the database: prefetch, staging while validating, apply.

Accepted records stream into a temporary table of the job's own database session while the
file is validated (COPY on PostgreSQL, batched INSERTs elsewhere); once the report is known and
the file has no error, one set-based statement per kind of change applies them (record-layout
§6). A temporary table vanishes with the session, so a killed worker leaves nothing behind.
"""

from __future__ import annotations

import json

from django.db import connection

from uploads.lib.keyindex import KeyIndex, key_digest, key_text
from uploads.lib.validation import AcceptedRecord

STAGE = "pmh_stage"
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
BATCH = 20_000
TABLE = "uploads_storedrecord"


def load_index(integration_id: int) -> KeyIndex:
    """The stored fingerprints of an integration, sorted by key hash, in a compact index."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT key_digest, fingerprint FROM {TABLE} "  # noqa: S608 (constant names)
            "WHERE integration_id = %s ORDER BY key_digest",
            [integration_id],
        )
        return KeyIndex(_fetch(cursor), presorted=True)


def _fetch(cursor):
    while rows := cursor.fetchmany(50_000):
        yield from rows


def _postgres() -> bool:
    return connection.vendor == "postgresql"


class Staging:
    """Accepted records of one attempt, buffered and written to the temporary table."""

    def __init__(self):
        self.buffer: list[tuple] = []
        self.count = 0
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {STAGE}")
            cursor.execute(
                f"CREATE TEMPORARY TABLE {STAGE} (key text NOT NULL, key_digest bigint NOT NULL,"
                " fingerprint varchar(32) NOT NULL, vals text NOT NULL, is_delete boolean NOT NULL)"
            )

    def add(self, record: AcceptedRecord) -> None:
        text = key_text(record.key)
        self.buffer.append(
            (
                text,
                key_digest(text),
                record.fingerprint,
                # Absent values are left out: a third of the fields are usually empty.
                _dumps({k: v for k, v in record.values.items() if v is not None}),
                record.is_delete,
            )
        )
        if len(self.buffer) >= BATCH:
            self.flush()

    def flush(self) -> None:
        if not self.buffer:
            return
        with connection.cursor() as cursor:
            if _postgres():
                with cursor.cursor.copy(f"COPY {STAGE} FROM STDIN") as copy:
                    for row in self.buffer:
                        copy.write_row(row)
            else:
                cursor.executemany(
                    f"INSERT INTO {STAGE} VALUES (%s, %s, %s, %s, %s)",  # noqa: S608
                    self.buffer,
                )
        self.count += len(self.buffer)
        self.buffer = []

    def drop(self) -> None:
        self.buffer = []
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {STAGE}")

    def apply(self, *, integration_id: int, submission_id: int, mode: str) -> None:
        """Apply the staged records (call inside the transaction that ends the attempt)."""
        self.flush()
        vals = "s.vals::jsonb" if _postgres() else "s.vals"
        ids = {"i": integration_id, "s": submission_id}
        with connection.cursor() as cursor:
            for sql in _APPLY[mode]:
                cursor.execute(sql.replace("VALS", vals), ids)


_CHANGED = " AND uploads_storedrecord.fingerprint <> s.fingerprint"
_UPDATE = (
    'UPDATE uploads_storedrecord SET fingerprint = s.fingerprint, "values" = VALS, '
    "submission_id = %(s)s FROM pmh_stage s WHERE uploads_storedrecord.integration_id = %(i)s "
    "AND s.key = uploads_storedrecord.key AND WHICH"
)
_INSERT = (
    'INSERT INTO uploads_storedrecord (integration_id, key, key_digest, fingerprint, "values", '
    "submission_id) SELECT %(i)s, s.key, s.key_digest, s.fingerprint, VALS, %(s)s "
    "FROM pmh_stage s WHERE WHICH AND NOT EXISTS (SELECT 1 FROM uploads_storedrecord r "
    "WHERE r.integration_id = %(i)s AND r.key = s.key)"
)
# record-layout §6: a full file replaces the data set; a diff file upserts and deletes.
_APPLY = {
    "full": (
        "DELETE FROM uploads_storedrecord WHERE integration_id = %(i)s AND NOT EXISTS "
        "(SELECT 1 FROM pmh_stage s WHERE s.key = uploads_storedrecord.key)",
        _UPDATE.replace("WHICH", "TRUE" + _CHANGED),
        _INSERT.replace("WHICH", "TRUE"),
    ),
    "diff": (
        "DELETE FROM uploads_storedrecord WHERE integration_id = %(i)s AND key IN "
        "(SELECT key FROM pmh_stage WHERE is_delete)",
        _UPDATE.replace("WHICH", "NOT s.is_delete"),
        _INSERT.replace("WHICH", "NOT s.is_delete"),
    ),
}
