"""Embedded mode under load from every channel at once (issue #15).

A real console on SQLite, started as `make run` starts it (runserver, jobs in its threads), once
as the embedded default and once named by ``DATABASE_URL=sqlite:///…``, receives files by API,
web upload, shared folder and mail at the same moment while a larger file validates. None may be
refused ("database is locked" answered as 503 before the SQLite options applied to both) and
every file must end validated.
"""

from __future__ import annotations

import concurrent.futures
import http.cookiejar
import mailbox
import os
import re
import signal
import sqlite3
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
import uuid
from email.message import EmailMessage
from pathlib import Path

import pytest

from tests.faults.postgres import free_port
from tests.faults.workers import ROOT, large_file, wait
from uploads.lib.validation import samples

PASSWORD = "Embedded-Test-42"  # noqa: S105
SETUP = f"""
from console.roles import ensure_groups
from django.contrib.auth.models import Group
from onboarding.models import Integration, IntegrationContact, Municipality, User, Vendor
from onboarding.tokens import api_token_issue
ensure_groups()
vendor = Vendor.objects.create(name="ベンダーA", slug="vendor-a")
user = User.objects.create_user(username="alice", password="{PASSWORD}", vendor=vendor)
user.groups.add(Group.objects.get(name="vendor"))
town = Municipality.objects.create(code="131016", prefecture="東京都", city="千代田区")
integration = Integration.objects.create(
    municipality=town, vendor=vendor, business_system="子ども医療費助成", dropbox_name="131016"
)
IntegrationContact.objects.create(integration=integration, email="sender@demo.invalid")
print(integration.pk, api_token_issue(vendor=vendor, name="load")[1])
"""


def _valid(n: int, seed: int) -> bytes:
    return samples.csv_bytes(samples.records(n, seed=seed))


class Console:
    """``manage.py runserver`` on SQLite under its own var/ directory."""

    def __init__(self, tmp: Path, database_url: str | None):
        self.var = tmp / "var"
        self.port = free_port()
        self.env = {
            key: value
            for key, value in os.environ.items()
            if key not in ("DATABASE_URL", "REDIS_URL", "PMH_REQUIRE_SERVICES", "PMH_JOBS_MODE")
        }
        self.env.update(
            DEBUG="1",
            PMH_VAR_DIR=str(self.var),
            PMH_MAIL_URL=f"maildir://{tmp / 'mail'}",
            PMH_DROPBOX_STABLE_SECONDS="0",
            PYTHONUNBUFFERED="1",
        )
        if database_url:
            self.env["DATABASE_URL"] = database_url
        self.database = Path(database_url[len("sqlite:///") :]) if database_url else None
        self.database = self.database or self.var / "db.sqlite3"
        self.log = tmp / "console.log"

    def manage(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    def __enter__(self) -> Console:
        self.var.mkdir(parents=True)
        self.manage("migrate", "--noinput")
        self.integration, self.token = self.manage("shell", "-c", SETUP).split()[-2:]
        command = [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{self.port}"]
        self._log = open(self.log, "wb")  # noqa: SIM115 (closed in __exit__)
        self.server = subprocess.Popen(
            command, cwd=ROOT, env=self.env, stdout=self._log, stderr=self._log,
            start_new_session=True,
        )  # fmt: skip
        wait(self._up, 60, "the console to answer", on_timeout=self.log.read_text)
        return self

    def __exit__(self, *exc) -> None:
        os.killpg(self.server.pid, signal.SIGTERM)
        self.server.wait(timeout=30)
        self._log.close()

    def _up(self) -> bool:
        try:
            with urllib.request.urlopen(self.url("/healthz"), timeout=5) as answer:  # noqa: S310
                return answer.status == 200
        except OSError:
            return False

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def submissions(self) -> list[tuple[str, str, str]]:
        with sqlite3.connect(f"file:{self.database}?mode=ro", uri=True, timeout=20) as db:
            return db.execute(
                "SELECT channel, status, COALESCE(verdict, '') FROM uploads_submission"
            ).fetchall()


def _multipart(fields: dict[str, str], name: str, data: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode()
        for key, value in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{name}"\r\n'
        "Content-Type: text/csv\r\n\r\n".encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def _api_post(console: Console, name: str, data: bytes) -> int:
    body, content_type = _multipart({"integration": "131016"}, name, data)
    body = body.replace(b'name="files"', b'name="file"')
    request = urllib.request.Request(  # noqa: S310 (loopback)
        console.url("/api/v1/submissions"),
        data=body,
        headers={"Authorization": f"Bearer {console.token}", "Content-Type": content_type},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:  # noqa: S310
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code


def _web_session(console: Console) -> tuple[urllib.request.OpenerDirector, str]:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(console.url("/login/"), timeout=30).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    form = {"username": "alice", "password": PASSWORD, "csrfmiddlewaretoken": token}
    opener.open(
        urllib.request.Request(  # noqa: S310 (loopback)
            console.url("/login/"),
            data=urllib.parse.urlencode(form).encode(),
            headers={"Referer": console.url("/login/")},
        ),
        timeout=30,
    )
    csrf = next(cookie.value for cookie in jar if cookie.name == "csrftoken")
    return opener, csrf


def _web_post(console: Console, session, name: str, data: bytes) -> int:
    opener, csrf = session
    body, content_type = _multipart({"csrfmiddlewaretoken": csrf}, name, data)
    request = urllib.request.Request(  # noqa: S310 (loopback)
        console.url(f"/integrations/{console.integration}/upload/"),
        data=body,
        headers={
            "Content-Type": content_type,
            "Accept": "application/json",
            "Referer": console.url("/"),
        },
    )
    try:
        with opener.open(request, timeout=60) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code


def _mail(tmp: Path, count: int) -> None:
    box = mailbox.Maildir(tmp / "mail", create=True)
    for i in range(count):
        message = EmailMessage()
        message["From"] = "sender@demo.invalid"
        message["To"] = "pmh@demo.invalid"
        message["Subject"] = "テストデータ送付"
        message["Message-ID"] = f"<load-{i}@demo.invalid>"
        message.set_content("添付のとおり送付します。")
        message.add_attachment(
            _valid(20, 300 + i), maintype="text", subtype="csv", filename=f"mail{i}.csv"
        )
        box.add(message)


def _folder(console: Console, count: int) -> None:
    inbox = Path(console.var) / "dropbox" / "131016" / "inbox"
    inbox.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        (inbox / f"folder{i}.csv").write_bytes(_valid(20, 200 + i))


@pytest.mark.parametrize("named", [False, True], ids=["embedded-default", "database-url"])
def test_files_on_every_channel_at_once_are_all_taken(tmp_path, named):
    database_url = f"sqlite:///{tmp_path / 'named.sqlite3'}" if named else None
    with Console(tmp_path, database_url) as console:
        session = _web_session(console)
        _folder(console, 3)
        _mail(tmp_path, 3)
        # A larger file first, so that its validation writes while the others arrive.
        assert _api_post(console, "large.csv", large_file(20_000)) == 202
        with concurrent.futures.ThreadPoolExecutor(max_workers=10) as pool:
            answers = [
                *(pool.submit(_api_post, console, f"api{i}.csv", _valid(20, i)) for i in range(4)),
                *(
                    pool.submit(_web_post, console, session, f"web{i}.csv", _valid(20, 100 + i))
                    for i in range(4)
                ),
            ]
            commands = [
                pool.submit(console.manage, "intake_folder", "--once"),
                pool.submit(console.manage, "intake_mail", "--once"),
            ]
            statuses = [answer.result() for answer in answers]
            for command in commands:
                command.result()

        assert statuses == [202] * 8, (statuses, console.log.read_text()[-3000:])

        def all_final():
            rows = console.submissions()
            return len(rows) == 15 and all(status == "returned" for _, status, _ in rows) and rows

        rows = wait(all_final, 120, "15 validated submissions", on_timeout=console.submissions)
    by_channel = {}
    for channel, _, verdict in rows:
        by_channel.setdefault(channel, []).append(verdict)
    assert {channel: len(verdicts) for channel, verdicts in by_channel.items()} == {
        "api": 5,
        "web": 4,
        "folder": 3,
        "mail": 3,
    }
    assert {verdict for _, _, verdict in rows} == {"accepted"}
    assert "database is locked" not in console.log.read_text()
