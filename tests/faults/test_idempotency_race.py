"""Concurrent requests with one Idempotency-Key, on a real console with real threads (issue 17.8).

A console runs as `make run` runs it (runserver, validation jobs in its threads), once on SQLite
and once on a throwaway PostgreSQL cluster. Ten requests sharing a key arrive together: exactly
one is received; identical ones answer the same submission, other content answers 409 and leaves
nothing behind (no stored bytes, no submission, no test-store rows). Twenty identical uploads
(no key) arrive while the first of them validates: none answers 503 (a deadlock between the
receive and the validation writing the test store did, 3–11 of 20).
"""

from __future__ import annotations

import concurrent.futures
import json
import sqlite3
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import psycopg
import pytest

from tests.faults.test_embedded_concurrency import Console, _multipart, _valid
from tests.faults.workers import wait


class Database:
    def __init__(self, console: Console, url: str | None):
        self.console, self.url = console, url

    def rows(self, sql: str) -> list[tuple]:
        if self.url:
            with psycopg.connect(self.url.replace("postgres://", "postgresql://")) as conn:
                return conn.execute(sql).fetchall()
        with sqlite3.connect(f"file:{self.console.database}?mode=ro", uri=True, timeout=20) as db:
            return db.execute(sql).fetchall()

    def count(self, table: str) -> int:
        return self.rows(f"SELECT COUNT(*) FROM {table}")[0][0]  # noqa: S608 (a test's table)


def _send(console: Console, path: str, body: bytes, headers: dict) -> tuple[int, dict]:
    request = urllib.request.Request(  # noqa: S310 (loopback)
        console.url(path),
        data=body,
        headers={"Authorization": f"Bearer {console.token}", **headers},
    )
    try:
        with urllib.request.urlopen(request, timeout=120) as answer:  # noqa: S310
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def _upload(console: Console, data: bytes, key: str | None = None) -> tuple[int, dict]:
    body, content_type = _multipart({"integration": "131016"}, "daily.csv", data)
    body = body.replace(b'name="files"', b'name="file"')
    headers = {"Content-Type": content_type}
    if key:
        headers["Idempotency-Key"] = key
    return _send(console, "/api/v1/submissions", body, headers)


def _register(console: Console, records: list, key: str) -> tuple[int, dict]:
    headers = {
        "Content-Type": "application/json",
        "X-PMH-Integration": "131016",
        "Idempotency-Key": key,
    }
    return _send(console, "/api/v1/pmh/registration-tasks", json.dumps(records).encode(), headers)


def _together(count: int, call) -> list:
    with concurrent.futures.ThreadPoolExecutor(max_workers=count) as pool:
        return [f.result() for f in [pool.submit(call, i) for i in range(count)]]


def _stored_files(console: Console) -> list[Path]:
    root = console.var / "files"
    return [p for p in root.rglob("*") if p.is_file() and "incoming" not in p.parts]


def _settled(db: Database):
    rows = db.rows("SELECT status FROM uploads_submission")
    return all(status in ("returned", "review", "failed") for (status,) in rows) and rows


@pytest.fixture(params=["sqlite", "postgresql"])
def console(request, tmp_path):
    url = None
    if request.param == "postgresql":
        cluster = request.getfixturevalue("throwaway_postgres")
        with psycopg.connect(cluster.url("postgres"), autocommit=True) as conn:
            conn.execute('CREATE DATABASE "pmh"')
        url = cluster.url("pmh")
    server = Console(tmp_path, url)
    server.env["PMH_API_RATE"] = "10000/m"  # the requests here are many, from one token
    with server as running:
        yield running, Database(running, url)


def test_one_key_sent_ten_times_at_once_is_received_once(console):
    console, db = console
    # Different bodies, one key: one is received, nine are refused and leave nothing behind.
    answers = _together(10, lambda i: _upload(console, _valid(20, 500 + i), key="same-key"))
    statuses = sorted(status for status, _ in answers)
    assert statuses == [202] + [409] * 9, (answers, console.log.read_text()[-3000:])
    assert {body["error"]["code"] for status, body in answers if status == 409} == {
        "idempotency_conflict"
    }
    assert db.count("uploads_submission") == 1
    wait(lambda: _settled(db), 120, "the accepted file validated", on_timeout=console.log.read_text)
    assert len(_stored_files(console)) == 1, _stored_files(console)
    # The test store holds the 20 records of the one accepted file, no more.
    assert db.count("uploads_storedrecord") == 20
    assert db.count("onboarding_apiidempotencykey") == 1
    assert db.rows("SELECT COUNT(*) FROM onboarding_apiidempotencykey WHERE submission_id IS NULL")[
        0
    ] == (0,)

    # Identical bodies, one new key: all ten answer the same submission (a replay), and it is
    # the only one recorded for them.
    same = _valid(20, 600)
    answers = _together(10, lambda i: _upload(console, same, key="second-key"))
    assert [status for status, _ in answers] == [202] * 10, answers
    assert len({body["id"] for _, body in answers}) == 1
    assert not any("duplicate_of" in body for _, body in answers)
    assert db.count("uploads_submission") == 2

    # PMH's registration shape shares the reservation: one task for ten identical requests,
    # 409 for other content under the key, nothing stored for it.
    records = json.loads(_register_sample())
    answers = _together(10, lambda i: _register(console, records, key="third-key"))
    assert [status for status, _ in answers] == [202] * 10, answers
    assert len({body["taskId"] for _, body in answers}) == 1
    other = [{**records[0], "historyKey": "H9999"}]
    assert _register(console, other, key="third-key")[0] == 409
    assert db.count("uploads_submission") == 3
    wait(lambda: _settled(db), 120, "every file validated", on_timeout=console.log.read_text)
    assert len(_stored_files(console)) == 3


def test_identical_uploads_at_once_never_answer_503(console):
    console, db = console
    # Each round: twenty copies of a new file at once. The first copy validates in the
    # console's threads while the others are recorded as its duplicates, so that its
    # validation writes the test store while they arrive. A round starts once the one before
    # has settled: a file received while another file of the integration is still being
    # applied to the test store is judged in a store about to change, and its copies received
    # after that change are rightly validated again (uploads.context).
    answers = []
    for round_ in range(6):
        data = _valid(20 * (round_ + 1), 700 + round_)
        answers += _together(20, lambda i, data=data: _upload(console, data))
        wait(
            lambda: _settled(db),
            180,
            "the round's first validated",
            on_timeout=console.log.read_text,
        )
    log = console.log.read_text()
    assert [status for status, _ in answers] == [202] * 120, (
        sorted({status for status, _ in answers}),
        log[-3000:],
    )
    # Each copy answers with its own id (18.4), and the twenty copies of a round name one first
    # of that round: the verdict context and the duplicate are read under the integration's
    # lock, which the first's acceptance (changing the test store) takes too, so no copy reads
    # the store on one side of that acceptance and the first's context on the other.
    assert len({body["id"] for _, body in answers}) == 120
    for round_ in range(6):
        copies = answers[20 * round_ : 20 * (round_ + 1)]
        named = {body.get("duplicate_of", body["id"]) for _, body in copies}
        assert len(named) == 1, (round_, [body for _, body in copies])
        assert named <= {body["id"] for _, body in copies}, round_
    assert len({body.get("duplicate_of", body["id"]) for _, body in answers}) == 6
    assert db.count("uploads_submission") == 120
    assert "deadlock detected" not in log
    assert len(_stored_files(console)) == 6


def _register_sample() -> str:
    from uploads.lib.validation.registration_schema import example_record

    record = example_record("full")
    # A unique record, so that its bytes are new to the integration.
    record = {**record, "historyKey": f"H{uuid.uuid4().int % 10_000:04d}"}
    return json.dumps([record], ensure_ascii=False)
