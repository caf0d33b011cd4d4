"""The integration's test store in the database: prefetch, staging while validating, apply.

While the file is validated, the engine writes the accepted records to files in a private
directory of this attempt (``uploads.lib.validation.stage``), from each process that validates a
part of the file. Once the report is known and the file has no error, the final transaction of
the attempt applies them (record-layout §6): into an empty store with one ``COPY`` straight into
the table; otherwise the files are copied into a temporary table of that transaction and one
set-based statement per kind of change applies them. Applies to the same integration's store
are serialised by a transaction-scoped advisory lock. Nothing reaches the store before that
final transaction commits, so a killed worker leaves nothing half-applied; its leftover files
are removed by a later attempt (``STALE_SECONDS``).
"""

from __future__ import annotations

import hashlib
import hmac
import shutil
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, Max, OuterRef
from django.db.models.signals import pre_delete
from django.dispatch import receiver
from django.utils import timezone

from onboarding.models import Integration
from uploads.lib.keyindex import KeyIndex
from uploads.lib.validation.stage import StageSpec, read_blocks, read_rows
from uploads.models import StoredRecord, StorePurge, Submission

STAGE = "pmh_stage"
BATCH = 20_000
TABLE = "uploads_storedrecord"
LOCK_CLASS = 0x504D4853  # "PMHS": advisory locks on an integration's test store
STALE_SECONDS = 24 * 3600
_COLUMNS = 'integration_id, key, key_digest, fingerprint, "values", submission_id, line_digest'


def store_secret() -> bytes:
    """The key that seals stored keys (``settings.PMH_STORE_KEY``, outside the database)."""
    return hmac.digest(b"pmh-test-store", settings.PMH_STORE_KEY.encode(), hashlib.sha256)


def stores_purge(*, now=None) -> int:
    """Empty the test store of every integration without a submission for PMH_RETENTION_DAYS,
    each purge recorded (``StorePurge``). Returns how many stores were emptied."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.PMH_RETENTION_DAYS)
    stale = (
        Integration.objects.annotate(last=Max("submissions__received_at"))
        .filter(Exists(StoredRecord.objects.filter(integration=OuterRef("pk"))))
        .exclude(last__gte=cutoff)
    )
    purged = 0
    for integration in stale.iterator():
        with transaction.atomic():
            # The integration first (uploads.lifecycle LOCK ORDER): a purge changes the verdict
            # context, so no receive of the integration reads it halfway; then the store's lock.
            Integration.objects.select_for_update(no_key=True).filter(pk=integration.pk).first()
            if _postgres():
                # The apply's lock: a file accepted meanwhile is either applied before this
                # purge (and then keeps the store: checked again below) or after it.
                with connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT pg_advisory_xact_lock(%s, %s)",
                        [LOCK_CLASS, _lock_id({"i": integration.pk})],
                    )
            if integration.submissions.filter(received_at__gte=cutoff).exists():
                continue
            records = StoredRecord.objects.filter(integration=integration)
            count = records.count()
            records.delete()
            StorePurge.objects.create(
                integration_id=integration.pk,
                integration_label=str(integration)[:300],
                records=count,
                reason=f"retention {settings.PMH_RETENTION_DAYS} days",
                purged_at=now,
            )
        purged += 1
    return purged


@receiver(pre_delete, sender=Integration, dispatch_uid="uploads.teststore.store_retired")
def store_retired(sender, instance: Integration, **kwargs) -> None:
    """Empty and record the store of an integration being retired (deleted)."""
    integration = instance
    records = StoredRecord.objects.filter(integration=integration)
    count = records.count()
    if count:
        records.delete()
        StorePurge.objects.create(
            integration_id=integration.pk,
            integration_label=str(integration)[:300],
            records=count,
            reason="integration retired",
        )


def stage_root() -> Path:
    return Path(tempfile.gettempdir(), "pmh-stage")


def load_index(integration_id: int) -> KeyIndex:
    """The stored fingerprints of an integration, sorted by key hash, in a compact index.

    The index carries the store's ``version`` read just before it, so that applying a file
    judged against it can tell whether the store changed meanwhile."""
    version = store_version(integration_id)
    with connection.cursor() as cursor:
        if _postgres():
            # One value built by the server, in the primary key's order: 32 bytes a record,
            # the key hash (int64), the fingerprint and the line hash (int64, 0 if unknown)
            # (32 MB at a million records; read row by row the index took 2 s of Python to
            # build).
            raw = cursor.cursor
            raw.execute("SET jit = off")  # JIT compiling costs more than it saves here
            # The sort in memory (110 MB at a million records), not in files on disk.
            raw.execute("SET work_mem = '256MB'")
            try:
                with raw.copy(f"COPY ({_INDEX_BYTES}) TO STDOUT (FORMAT BINARY)",
                              [integration_id]) as copy:  # fmt: skip
                    copy.set_types(["bytea"])
                    records = b""
                    for row in copy.rows():  # one row
                        records = row[0] or b""
            finally:
                raw.execute("RESET jit")
                raw.execute("RESET work_mem")
            index = KeyIndex.from_bytes(records, secret=store_secret())
            del records
        else:
            sql = (
                f"SELECT key_digest, fingerprint, line_digest FROM {TABLE} "  # noqa: S608
                "WHERE integration_id = %s ORDER BY key_digest"
            )
            cursor.execute(sql, [integration_id])
            index = KeyIndex(_fetch(cursor), presorted=True, secret=store_secret())
    index.version = version
    index.lines_until = lines_until(integration_id)
    return index


def lines_until(integration_id: int) -> str | None:
    """The latest day on which a line hash in the store can have been checked: each file is
    checked as of the day it was received (``processing``), so no later than the day the
    integration's latest submission arrived."""
    latest = Submission.objects.filter(integration_id=integration_id).aggregate(
        latest=Max("received_at")
    )["latest"]
    return timezone.localdate(latest).isoformat() if latest is not None else None


def store_holds_records(integration_id: int) -> bool:
    """Whether the integration's test store holds any record (one probe of the primary key)."""
    return StoredRecord.objects.filter(integration_id=integration_id).exists()


def store_version(integration_id: int) -> tuple[int, int, int]:
    """The store's state, changed by every apply and purge: how many accepted submissions (each
    applied in the transaction that wrote its verdict), the latest of them, and the purges."""
    with connection.cursor() as cursor:
        cursor.execute(_VERSION, [integration_id, integration_id])
        return tuple(cursor.fetchone())


_INDEX_BYTES = (
    "SELECT string_agg(int8send(d) || decode(f, 'hex') || int8send(l), '') FROM (SELECT "  # noqa: S608
    "key_digest AS d, fingerprint AS f, coalesce(line_digest, 0) AS l FROM uploads_storedrecord "
    "WHERE integration_id = %s ORDER BY key_digest) AS s"
)
_VERSION = (
    "SELECT count(*), coalesce(max(id), 0), (SELECT count(*) FROM uploads_storepurge "
    "WHERE integration_id = %s) FROM uploads_submission WHERE integration_id = %s "
    "AND verdict = 'accepted' AND duplicate_of_id IS NULL AND validated_at IS NOT NULL"
)


def _fetch(cursor):
    while rows := cursor.fetchmany(50_000):
        yield from rows


def _postgres() -> bool:
    return connection.vendor == "postgresql"


class Staging:
    """The staged records of one attempt: a private directory while validating, then applied."""

    def __init__(self, *, integration_id: int, submission_id: int, unchanged_values=False):
        """``unchanged_values=False``: records found unchanged in the store index given to the
        engine (``snapshot``) are staged without their values; ``apply`` raises StoreChanged
        if the store no longer holds them so, and the attempt must then stage all values."""
        root = stage_root()
        root.mkdir(mode=0o700, exist_ok=True)
        _remove_stale(root)
        directory = tempfile.mkdtemp(prefix=f"{submission_id}-", dir=root)
        # On PostgreSQL records found unchanged are not staged at all: only their positions in
        # the engine's index, to tell the removed ones (``_apply_changes``).
        omit = _postgres() and not unchanged_values
        self.spec = StageSpec(
            directory, integration_id, submission_id, unchanged_values, store_secret(), omit
        )
        self.index: KeyIndex | None = None  # the store index the engine compared with

    def drop(self) -> None:
        shutil.rmtree(self.spec.directory, ignore_errors=True)

    def apply(self, *, integration_id: int, submission_id: int, mode: str) -> None:
        """Apply the staged records (call inside the transaction that ends the attempt)."""
        spec = self.spec
        if (spec.integration_id, spec.submission_id) != (integration_id, submission_id):
            raise ValueError("staged records of another submission")
        ids = {"i": integration_id, "s": submission_id}
        with connection.cursor() as cursor:
            if _postgres():
                cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [LOCK_CLASS, _lock_id(ids)])
                snapshot = len(self.index) if self.index is not None else 0
                empty = not store_holds_records(integration_id)
                if empty and (spec.unchanged_values or not snapshot):
                    # An empty store: every record is new, whatever the mode (deletes are no-ops).
                    self._copy(cursor, spec.record_files(), f"{TABLE} ({_COLUMNS})")
                    return
                if spec.omit_unchanged and snapshot and mode == "full":
                    return self._apply_changes(cursor, ids)
                cursor.execute(f"DROP TABLE IF EXISTS {STAGE}")
                cursor.execute(f"CREATE TEMPORARY TABLE {STAGE} ({_STAGE_COLUMNS})")
                self._copy(cursor, spec.record_files(), f"{STAGE} ({_STAGE_COPY})")
                deletes = [spec.deletes_path(part) for part in spec.parts()]
                self._copy(cursor, deletes, f"{STAGE} (key, key_digest, is_delete)")
                cursor.execute(f"ANALYZE {STAGE}")
            else:
                cursor.execute(f"DROP TABLE IF EXISTS {STAGE}")
                cursor.execute(f"CREATE TEMPORARY TABLE {STAGE} ({_STAGE_COLUMNS})")
                self._insert(cursor)
            if not spec.unchanged_values:
                cursor.execute(_STALE, ids)
                if cursor.fetchone()[0]:
                    cursor.execute(f"DROP TABLE {STAGE}")
                    raise StoreChanged
            for sql in _APPLY[mode]:
                cursor.execute(sql, ids)
            cursor.execute(f"DROP TABLE {STAGE}")

    def _apply_changes(self, cursor, ids: dict) -> None:
        """A full file against the store the engine compared it with, staged without its
        unchanged records: the removed records go by their key hashes (those of the index
        positions no record of the file matched), the staged ones are updated or inserted.

        Exact only if the store is still the one indexed (its version is compared) and no
        staged record shares its key hash with a stored record of another key (checked):
        otherwise StoreChanged, and the attempt stages every record with its values."""
        spec = self.spec
        if store_version(ids["i"]) != self.index.version:
            raise StoreChanged
        cursor.execute(f"DROP TABLE IF EXISTS {STAGE}")
        cursor.execute(f"CREATE TEMPORARY TABLE {STAGE} ({_STAGE_COLUMNS})")
        self._copy(cursor, spec.record_files(), f"{STAGE} ({_STAGE_COPY})")
        cursor.execute(f"ANALYZE {STAGE}")
        cursor.execute(f"SELECT count(*) FROM {STAGE}")  # noqa: S608 (constant name)
        if cursor.fetchone()[0] < len(self.index) // 4:
            # A few changes in a large store: each is found by the primary key. The planner
            # would rather hash the whole store (1 s a statement at a million records), not
            # knowing how few of its pages, freshly copied in, are visible to all.
            cursor.execute("SET LOCAL enable_hashjoin = off")
            cursor.execute("SET LOCAL enable_mergejoin = off")
        cursor.execute(_COLLIDING, ids)
        if cursor.fetchone()[0]:
            cursor.execute(f"DROP TABLE {STAGE}")  # the transaction rolls back anyway
            raise StoreChanged
        gone = self.index.digests_except(spec.seen())
        if gone:
            cursor.execute(f"DROP TABLE IF EXISTS {GONE}")
            cursor.execute(f"CREATE TEMPORARY TABLE {GONE} (key_digest bigint)")
            with cursor.cursor.copy(f"COPY {GONE} (key_digest) FROM STDIN") as copy:
                for digest in gone:
                    copy.write_row((digest,))
            cursor.execute(f"ANALYZE {GONE}")
            cursor.execute(_REMOVE_GONE, ids)
            cursor.execute(f"DROP TABLE {GONE}")
        for sql in _APPLY["full"][1:]:  # update and insert the staged records
            cursor.execute(sql, ids)
        cursor.execute(f"DROP TABLE {STAGE}")
        cursor.execute("RESET enable_hashjoin")
        cursor.execute("RESET enable_mergejoin")

    def _copy(self, cursor, paths: list[Path], target: str) -> None:
        with cursor.cursor.copy(f"COPY {target} FROM STDIN") as copy:
            for path in paths:
                for block in read_blocks(path):
                    copy.write(block)

    def _insert(self, cursor) -> None:
        sql = f"INSERT INTO {STAGE} ({_STAGE_COPY}, is_delete) VALUES ({', '.join(['%s'] * 8)})"  # noqa: S608
        spec, batch = self.spec, []
        files = [(path, False) for path in spec.record_files()]
        files += [(spec.deletes_path(part), True) for part in spec.parts()]
        for path, is_delete in files:
            for row in read_rows(path):
                delete = (None, row[0], row[1], None, None, None, None, True)
                batch.append(delete if is_delete else (*row, False))
                if len(batch) >= BATCH:
                    cursor.executemany(sql, batch)
                    batch = []
        if batch:
            cursor.executemany(sql, batch)


class StoreChanged(Exception):
    """The store changed since the engine read it: records staged as unchanged may not be."""


def _lock_id(ids: dict) -> int:
    return ids["i"] % 2_147_483_647


def _remove_stale(root: Path) -> None:
    """Directories left by attempts that were killed (their files are no longer written)."""
    limit = time.time() - STALE_SECONDS
    for directory in root.iterdir():
        try:
            newest = max((p.stat().st_mtime for p in directory.iterdir()), default=0.0)
            if max(newest, directory.stat().st_mtime) < limit:
                shutil.rmtree(directory, ignore_errors=True)
        except OSError:
            continue


_STAGE_COLUMNS = (
    "integration_id bigint, key text NOT NULL, key_digest bigint, fingerprint varchar(32),"
    " vals text, submission_id bigint, line_digest bigint, is_delete boolean NOT NULL DEFAULT false"
)
GONE = "pmh_gone"
_COLLIDING = (
    "SELECT count(*) FROM pmh_stage s WHERE EXISTS (SELECT 1 FROM uploads_storedrecord r "
    "WHERE r.integration_id = %(i)s AND r.key_digest = s.key_digest AND r.key <> s.key)"
)
_REMOVE_GONE = (
    "DELETE FROM uploads_storedrecord r USING pmh_gone g "
    "WHERE r.integration_id = %(i)s AND r.key_digest = g.key_digest"
)
_STAGE_COPY = "integration_id, key, key_digest, fingerprint, vals, submission_id, line_digest"


# Keys are matched with their digest first, the order of the store's primary key.
# A record staged without values must still be stored with the same fingerprint. Counted, not
# LIMIT 1: that makes the planner probe the index once per record (5x slower at a million).
_STALE = (
    "SELECT count(*) FROM pmh_stage s WHERE s.vals IS NULL AND NOT s.is_delete AND NOT EXISTS "
    "(SELECT 1 FROM uploads_storedrecord r WHERE r.integration_id = %(i)s "
    "AND r.key_digest = s.key_digest AND r.key = s.key AND r.fingerprint = s.fingerprint)"
)
# Changed values, or the same values read from a text whose line hash the store does not hold
# for the record (none, another text, or a text hashed under other rules): the hash of the
# text last read is stored (tally.Tally._located_batch).
_CHANGED = (
    " AND (uploads_storedrecord.fingerprint <> s.fingerprint OR (s.line_digest IS NOT NULL "
    "AND (uploads_storedrecord.line_digest IS NULL "
    "OR uploads_storedrecord.line_digest <> s.line_digest)))"
)
_UPDATE = (
    'UPDATE uploads_storedrecord SET fingerprint = s.fingerprint, "values" = s.vals, '
    "submission_id = %(s)s, line_digest = s.line_digest "
    "FROM pmh_stage s WHERE uploads_storedrecord.integration_id = %(i)s "
    "AND s.key_digest = uploads_storedrecord.key_digest AND s.key = uploads_storedrecord.key "
    "AND WHICH"
)
_INSERT = (
    'INSERT INTO uploads_storedrecord (integration_id, key, key_digest, fingerprint, "values", '
    "submission_id, line_digest) SELECT %(i)s, s.key, s.key_digest, s.fingerprint, s.vals, "
    "%(s)s, s.line_digest "
    "FROM pmh_stage s WHERE WHICH AND NOT EXISTS (SELECT 1 FROM uploads_storedrecord r "
    "WHERE r.integration_id = %(i)s AND r.key_digest = s.key_digest AND r.key = s.key)"
)
# record-layout §6: a full file replaces the data set; a diff file upserts and deletes.
_APPLY = {
    "full": (
        "DELETE FROM uploads_storedrecord WHERE integration_id = %(i)s AND NOT EXISTS "
        "(SELECT 1 FROM pmh_stage s WHERE s.key_digest = uploads_storedrecord.key_digest "
        "AND s.key = uploads_storedrecord.key)",
        # Records staged without values are stored unchanged (checked with _STALE first).
        _UPDATE.replace("WHICH", "s.vals IS NOT NULL" + _CHANGED),
        _INSERT.replace("WHICH", "s.vals IS NOT NULL"),
    ),
    "diff": (
        "DELETE FROM uploads_storedrecord WHERE integration_id = %(i)s AND (key_digest, key) IN "
        "(SELECT key_digest, key FROM pmh_stage WHERE is_delete)",
        _UPDATE.replace("WHICH", "NOT s.is_delete"),
        _INSERT.replace("WHICH", "NOT s.is_delete"),
    ),
}
