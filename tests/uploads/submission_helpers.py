"""Shared helpers of the submission tests: files built from the engine's sample records."""

import copy
import io

from uploads import lifecycle
from uploads.lib.validation import InMemoryStore, samples, validate_file


def csv_file(records) -> bytes:
    return samples.csv_bytes(records)


def full_records(n: int, *, seed: int = 1) -> list[dict]:
    return samples.records(n, seed=seed)


def diff_records(n: int, *, seed: int = 1) -> list[dict]:
    return samples.records(n, seed=seed, mode="diff")


def delete_row(record: dict) -> dict:
    """A diff row deleting ``record``'s key: a full record like any other (record-layout §6)."""
    return {**copy.deepcopy(record), "isDeleted": True}


def receive(integration, data: bytes, *, name="data.csv", mode=None, channel="web", user=None):
    return lifecycle.submission_receive(
        integration=integration,
        channel=channel,
        original_name=name,
        stream=io.BytesIO(data),
        sender=user.get_username() if user else "test",
        mode=mode,
        received_by=user,
    )


def store_of(data: bytes) -> InMemoryStore:
    """A store holding the records of ``data``, an accepted file."""
    store = InMemoryStore()
    report = validate_file(io.BytesIO(data), on_record=lambda r: store.put(r.key, r.fingerprint))
    assert report.accepted
    return store
