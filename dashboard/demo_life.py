"""The demo's last thirty days, replayed through the real services (issue 15.5).

Nothing here writes a row itself: probe runs go through `probe_record_result`, files through
the channels' own intake (web and API through `submission_receive`, the shared folder through
its sweep, mail through a Maildir poll, USB media through a handover), stage moves through
their gates, the error queue through its triage services. What is simulated is only the clock:
each step runs with `timezone.now()` set to its moment (`clock_at`), in time order, so every
timestamp, gate and retention rule sees a consistent history.

Like `demo.py`, this module is on the roof: it reaches every app.
"""

import contextlib
import csv
import dataclasses
import email.message
import email.utils
import io
import mailbox
import random
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import jaconv
from django.conf import settings
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from connectivity.lib.probe import ProbeRun
from connectivity.models import Probe
from connectivity.services import (
    inbound_check_issue,
    inbound_check_record,
    maintenance_window_create,
    probe_record_result,
    results_prune,
    results_rollup,
    target_create,
    target_update,
)
from helpdesk.models import ErrorItem, State
from helpdesk.services import error_item_comment, error_item_set_state, error_items_assign
from intake.folder import lib as dropbox
from intake.folder.receive import folder_sweep
from intake.mail.receive import mail_poll
from intake.media.receive import media_files_import, media_handover_create
from onboarding import services
from onboarding.models import STAGE_ORDER, Integration, IntegrationEvent, Stage, User
from uploads import starter
from uploads.lib.validation import samples
from uploads.lifecycle import submission_receive, submission_release
from uploads.models import Status, Submission

HISTORY_DAYS = 30
# Probe runs: every four hours over the month, every half hour over the last day (the 24-hour
# latency chart has one bar per half hour) and around the incident and the maintenance.
SPARSE_RUN = timedelta(hours=4)
DENSE_RUN = timedelta(minutes=30)
DENSE_DAYS = 1

# Integrations with a target (route lgwan or vpn, test access not offline): name of the target.
TARGETS = {
    "131016": "PMH API（LGWAN 経由）",
    "131041": "PMH API（LGWAN 経由）",
    "141003": "PMH API（LGWAN 経由・一括送信）",
    "231002": "PMH API（VPN 経由）",
    "401307": "PMH API（VPN 経由）",
    "130001": "PMH API（LGWAN 経由）",
}
# The one real incident: this target fails for a morning, nine days ago.
INCIDENT = ("131041", 9, (9, 40), (11, 10))
# The planned maintenance of the LGWAN line of 141003, sixteen days ago; its failures are
# recorded but neither counted nor notified.
MAINTENANCE = ("141003", 16, (1, 0), (4, 0))

# Days ago each stage was entered (decimal days: waiting times spread from hours to weeks).
MOVES = {
    "131016": [(26, Stage.DECIDED), (20, Stage.NETWORK_OK), (13, Stage.TESTING)],
    "011002": [(25, Stage.DECIDED), (18, Stage.TESTING), (4, Stage.TEST_PASSED)],
    "131041": [(15, Stage.DECIDED), (6, Stage.NETWORK_OK)],
    "141003": [(21, Stage.DECIDED), (2.2, Stage.NETWORK_OK)],
    "231002": [(9, Stage.DECIDED)],
    "271004": [
        (29, Stage.DECIDED),
        (27, Stage.TESTING),
        (20, Stage.TEST_PASSED),
        (12, Stage.READY),
        (3, Stage.LIVE),
    ],
    "401307": [(5, Stage.DECIDED)],
    "472018": [
        (28, Stage.DECIDED),
        (24, Stage.TESTING),
        (16, Stage.TEST_PASSED),
        (7, Stage.READY),
    ],
    "130001": [(1.4, Stage.DECIDED)],
    "341002": [(11, Stage.DECIDED)],
}
# Days ago each integration was registered.
REGISTERED = {
    "131016": 33,
    "011002": 32,
    "131041": 24,
    "141003": 31,
    "231002": 17,
    "271004": 34,
    "401307": 12,
    "472018": 33,
    "130001": 6,
    "261009": 19,
    "041009": 0.25,
    "341002": 23,
}
# Go-live dates set when an integration becomes ready, in days from that moment.
GO_LIVE_IN_DAYS = {"472018": 31, "271004": 9}


@dataclasses.dataclass(frozen=True)
class Sent:
    """One file a municipality or vendor sends: when, on which channel, with which mistake."""

    days_ago: float
    code: str
    channel: str  # web, api, folder, mail, media
    fault: str = ""  # "", check_digit, hankaku_kana, missing_column
    records: int = 30
    release: str = ""  # for results held for review: the comment when it is released
    key: str = ""  # a name for the triage steps below


SENT = [
    # 千代田区 (vendor A, testing since day 13): web first, then its API client.
    Sent(13.1, "131016", "web", "missing_column", key="chiyoda-header"),
    Sent(12.2, "131016", "web", "check_digit", key="chiyoda-digit"),
    Sent(11.0, "131016", "api", "hankaku_kana", 32),
    Sent(9.1, "131016", "api", "", 32),
    Sent(6.2, "131016", "api", "", 34),
    Sent(3.0, "131016", "web", "check_digit", 34),
    Sent(1.1, "131016", "api", "", 35),
    Sent(0.12, "131016", "api", "hankaku_kana", 35, key="chiyoda-kana"),
    # 札幌市 (vendor B, USB and e-mail, testing from day 18 to day 4).
    Sent(13.3, "011002", "media", "missing_column"),
    Sent(10.2, "011002", "mail", "hankaku_kana", key="sapporo-kana"),
    Sent(6.1, "011002", "media", "", 30),
    Sent(2.0, "011002", "mail", "", 31),
    # 大阪市 (shared folder, results reviewed before they go back; live since day 3).
    Sent(22.0, "271004", "folder", "", 40, release="確認しました。問題ありません。"),
    Sent(12.1, "271004", "folder", "check_digit", 40, "検証番号の誤りが 2 件あります。"),
    Sent(8.0, "271004", "folder", "", 41, release="修正を確認しました。"),
    Sent(2.1, "271004", "folder", "", 42, release="本番前の最終確認として受領しました。"),
    Sent(0.1, "271004", "folder", "", 43),  # waits for review
    # 那覇市 (USB media, reviewed).
    Sent(18.0, "472018", "media", "", 30, release="受領しました。"),
    Sent(11.2, "472018", "media", "missing_column", 30, "生年月日の列がありません。"),
    Sent(5.1, "472018", "media", "", 31, release="問題ありません。"),
    # 広島市 (e-mail and web, reviewed).
    Sent(9.0, "341002", "mail", "missing_column", 25, "列の見出しをご確認ください。"),
    Sent(4.1, "341002", "web", "", 25, release="受領しました。"),
    # Differential files over the API.
    Sent(5.2, "131041", "api", "hankaku_kana", 8, key="shinjuku-kana"),
    Sent(4.0, "131041", "api", "", 8),
    Sent(1.2, "141003", "api", "", 12),
    Sent(0.4, "141003", "api", "check_digit", 12, key="yokohama-digit"),
    Sent(5.3, "231002", "api", "missing_column", 20, key="nagoya-header"),
    Sent(2.9, "401307", "api", "", 10),
    Sent(1.6, "401307", "api", "check_digit", 10),
]


@contextlib.contextmanager
def clock_at(moment: datetime) -> Iterator[None]:
    """Run the services as if it were `moment` (they read `timezone.now()`)."""
    real = timezone.now
    timezone.now = lambda: moment
    try:
        yield
    finally:
        timezone.now = real


def _moment(now: datetime, days_ago: float) -> datetime:
    return now - timedelta(days=days_ago)


def registered_at(code: str, now: datetime) -> datetime:
    return _moment(now, REGISTERED.get(code, 30))


# -- files ---------------------------------------------------------------------------------


def _records(integration: Integration, sent: Sent) -> list[dict]:
    records = starter.sample_records(integration, sent.records)
    if sent.fault == "check_digit":
        for record in records[3:5]:
            number = record["myNumber"]
            record["myNumber"] = number[:-1] + str((int(number[-1]) + 1) % 10)
    elif sent.fault == "hankaku_kana":
        for record in records[::9]:
            kana = record["basicFiveInfo"]["nameKana"].replace("\u3000", " ")
            record["basicFiveInfo"]["nameKana"] = jaconv.z2h(kana, kana=True)
    elif sent.fault == "missing_column":
        for record in records:
            record["basicFiveInfo"].pop("dateOfBirth", None)
    return records


def demo_file(integration: Integration, sent: Sent) -> tuple[str, bytes]:
    """The file's name and bytes: JSON or CSV as the integration chose (CSV in CP932 with
    Japanese headers from the municipalities' own systems, UTF-8 from the vendors' API)."""
    records = _records(integration, sent)
    mode = integration.data_mode or "full"
    stamp = f"{timezone.localtime():%Y%m%d_%H%M}"  # the replayed moment: one file a day at most
    if integration.data_format == "json":
        return f"{integration.dropbox_name}_{mode}_{stamp}.json", samples.json_bytes(records)
    kwargs = {"aliases": sent.channel in ("folder", "mail", "media", "web"), "items": 2}
    text = "".join(samples.csv_text(records, **kwargs))
    if sent.fault == "missing_column":
        text = _drop_column(text, "生年月日" if kwargs["aliases"] else "basicFiveInfo.dateOfBirth")
    encoding = "cp932" if kwargs["aliases"] else "utf-8"
    name = f"{integration.dropbox_name}_{mode}_{stamp}.csv"
    return name, text.encode(encoding)


def _drop_column(text: str, name: str) -> str:
    rows = list(csv.reader(io.StringIO(text)))
    index = rows[0].index(name)
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(r[:index] + r[index + 1 :] for r in rows)
    return out.getvalue()


# -- the replay ----------------------------------------------------------------------------


class Replay:
    def __init__(self, now: datetime):
        self.now = now
        self.operator = User.objects.get(username="operator")
        self.helpdesk = User.objects.get(username="helpdesk")
        self.integrations = {i.dropbox_name: i for i in Integration.objects.all()}
        self.events: list[tuple[datetime, int, Callable[[], None], bool]] = []
        self.sent: dict[str, Submission] = {}
        self.moments: dict[str, datetime] = {}
        self.mail_dir = Path(settings.PMH_STORAGE_ROOT).parent / "demo-mailbox"

    def at(self, moment: datetime, step: Callable[[], None], *, quiet: bool = False) -> None:
        """Plan `step` at `moment`; quiet steps (probe runs, roll-ups) wait for no job."""
        self.events.append((moment, len(self.events), step, quiet))

    def run(self) -> None:
        """Every step in time order. A run of quiet steps shares one transaction (one commit
        instead of thousands); a step whose jobs must finish first runs on its own."""
        events = sorted(self.events, key=lambda e: (e[0], e[1]))
        i = 0
        while i < len(events):
            j = i
            while j < len(events) and events[j][3]:
                j += 1
            with transaction.atomic():
                for moment, _, step, _ in events[i:j]:
                    with clock_at(moment):
                        step()
            if j < len(events):
                moment, _, step, _ = events[j]
                with clock_at(moment):
                    step()
            i = j + 1

    # probes --------------------------------------------------------------------------------

    def plan_probes(self) -> None:
        start = self.now - timedelta(days=HISTORY_DAYS)
        for code, name in TARGETS.items():
            integration = self.integrations[code]
            with clock_at(start):
                probe = target_create(
                    integration=integration,
                    name=name,
                    url=demo_target_url(),
                    kind="http",
                    route=integration.route,
                    expect_status=200,
                    interval_seconds=int(DENSE_RUN.total_seconds()),
                )
            rng = random.Random(int(code))  # noqa: S311 (made-up figures)
            base = rng.uniform(6, 14)
            for moment in self._run_times(start + timedelta(minutes=rng.randrange(20))):
                self.at(moment, self._probe_step(probe, moment, rng, base), quiet=True)
        day = start.replace(minute=0, second=0, microsecond=0) + timedelta(days=1)
        while day < self.now:
            self.at(day, lambda day=day: results_rollup(now=day), quiet=True)
            day += timedelta(days=1)
        code, days, (h1, m1), (h2, m2) = MAINTENANCE
        begin = self._local(days, h1, m1)
        self.at(
            begin - timedelta(days=3),
            lambda: maintenance_window_create(
                by=self.operator,
                name="LGWAN 回線の計画メンテナンス（横浜市）",
                integration=self.integrations[code],
                starts_at=begin,
                ends_at=self._local(days, h2, m2),
            ),
        )

    def _run_times(self, first: datetime) -> Iterator[datetime]:
        moment = first
        dense_from = self.now - timedelta(days=DENSE_DAYS)
        incident = (self._local(INCIDENT[1], *INCIDENT[2]), self._local(INCIDENT[1], *INCIDENT[3]))
        maintenance = (
            self._local(MAINTENANCE[1], *MAINTENANCE[2]),
            self._local(MAINTENANCE[1], *MAINTENANCE[3]),
        )
        while moment < self.now - timedelta(minutes=5):
            yield moment
            busy = any(lo - SPARSE_RUN <= moment <= hi for lo, hi in (incident, maintenance))
            moment += DENSE_RUN if moment >= dense_from or busy else SPARSE_RUN

    def _local(self, days_ago: float, hour: int, minute: int) -> datetime:
        day = timezone.localtime(self.now - timedelta(days=days_ago))
        return day.replace(hour=hour, minute=minute, second=0, microsecond=0)

    def _probe_step(self, probe: Probe, moment: datetime, rng: random.Random, base: float):
        local = timezone.localtime(moment)
        busy_hours = 1.6 if 9 <= local.hour < 18 and local.weekday() < 5 else 1.0
        connect = round(rng.uniform(0.8, 2.5) * busy_hours, 2)
        first_byte = round(base * busy_hours + rng.uniform(-2, 6), 2)
        failing = self._failing(probe, moment)

        def step() -> None:
            if failing:
                run = ProbeRun(
                    url=probe.url, kind="http", ok=False, error_class="timeout",
                    failed_phase="connect", address="127.0.0.1",
                    message=f"no answer within {probe.timeout_seconds:g} s (connect)",
                )  # fmt: skip
            else:
                run = ProbeRun(
                    url=probe.url, kind="http", ok=True, connect_ms=connect,
                    first_byte_ms=first_byte, total_ms=round(connect + first_byte + 0.4, 2),
                    address="127.0.0.1", http_status=200,
                )  # fmt: skip
            probe_record_result(probe=probe, run=run, started_at=moment)

        return step

    def _failing(self, probe: Probe, moment: datetime) -> bool:
        code = probe.integration.dropbox_name
        for name, days, start, end in (INCIDENT, MAINTENANCE):
            if code == name and self._local(days, *start) <= moment <= self._local(days, *end):
                return True
        return False

    # stages ---------------------------------------------------------------------------------

    def plan_stages(self) -> None:
        for code, moves in MOVES.items():
            integration = self.integrations[code]
            for k, (days_ago, stage) in enumerate(moves):
                moment = self._local(days_ago, 10 + (k * 3 + len(code)) % 7, (17 * k) % 60)
                if stage == Stage.NETWORK_OK:
                    self.at(moment - timedelta(hours=3), self._inbound(integration))
                self.at(moment, self._move(integration, stage))

    def _inbound(self, integration: Integration):
        def step() -> None:
            _, token = inbound_check_issue(integration=integration, by=self.operator)
            inbound_check_record(token=token, source_address="127.0.0.1", tls_version="TLSv1.3")

        return step

    def _move(self, integration: Integration, stage: str):
        def step() -> None:
            integration.refresh_from_db()
            if stage in (Stage.READY, Stage.LIVE) and integration.go_live_date is None:
                days = GO_LIVE_IN_DAYS.get(integration.dropbox_name, 0)
                integration.go_live_date = timezone.localdate() + timedelta(days=days)
                integration.save(update_fields=["go_live_date"])
            if services.forward_stage(integration) != stage:
                return
            if services.gate(integration=integration, to=stage).ok:
                services.integration_move(
                    integration=integration, to=stage, by=self.operator, reason="デモデータ"
                )

        return step

    # files ----------------------------------------------------------------------------------

    def plan_files(self) -> None:
        for n, sent in enumerate(SENT, start=1):
            integration = self.integrations[sent.code]
            moment = self._local(sent.days_ago, *_office_hour(sent.days_ago, n))
            if moment > self.now - timedelta(minutes=30):
                moment = self.now - timedelta(minutes=30 + n)
            self.at(moment, self._send(integration, sent, n))
            self.moments[sent.key or str(n)] = moment
            if sent.release:
                self.at(moment + timedelta(hours=3, minutes=n), self._release(sent, n))
        # A message from an address that is no contact of any integration: quarantined.
        self.at(_moment(self.now, 3.6), self._stranger_mail)

    def _send(self, integration: Integration, sent: Sent, n: int):
        def step() -> None:
            name, data = demo_file(integration, sent)
            receive = getattr(self, f"_by_{sent.channel}")
            self.sent[str(n)] = receive(integration, name, data)
            if sent.key:
                self.sent[sent.key] = self.sent[str(n)]

        return step

    def _by_web(self, integration, name, data) -> Submission:
        user = User.objects.filter(vendor=integration.vendor).order_by("pk").first()
        user = user or self.operator
        return submission_receive(
            integration=integration, channel="web", original_name=name,
            stream=io.BytesIO(data), sender=user.get_username(), received_by=user,
        )  # fmt: skip

    def _by_api(self, integration, name, data) -> Submission:
        return submission_receive(
            integration=integration, channel="api", original_name=name,
            stream=io.BytesIO(data), sender=f"{integration.vendor.slug}/業務システム連携",
        )  # fmt: skip

    def _by_folder(self, integration, name, data) -> Submission:
        root = Path(settings.PMH_DROPBOX_ROOT)
        layout = dropbox.ensure_layout(root, integration.dropbox_name)
        (layout.path / "inbox" / name).write_bytes(data)
        later = time.time() + 3600  # long stable: taken at once
        swept = folder_sweep(now=later)
        return Submission.objects.get(pk=swept.received[-1])

    def _by_mail(self, integration, name, data) -> Submission:
        box = mailbox.Maildir(self.mail_dir, create=True)
        box.add(_mail(f"{integration.dropbox_name}@demo.invalid", name, data))
        with override_settings(PMH_MAIL_URL=f"maildir://{self.mail_dir}"):
            polled = mail_poll()
        return Submission.objects.get(pk=polled.submissions[-1])

    def _by_media(self, integration, name, data) -> Submission:
        handover = media_handover_create(
            integration=integration,
            brought_by=f"{integration.municipality.name} 担当課",
            medium="USBメモリ（暗号化） 管理番号 " + integration.dropbox_name[-4:],
            by=self.operator,
        )
        imported = media_files_import(
            handover=handover, files=[(name, io.BytesIO(data))], by=self.operator
        )
        return imported[0].submission

    def _stranger_mail(self) -> None:
        box = mailbox.Maildir(self.mail_dir, create=True)
        box.add(_mail("someone@example.invalid", "test.csv", b"a,b\r\n1,2\r\n"))
        with override_settings(PMH_MAIL_URL=f"maildir://{self.mail_dir}"):
            mail_poll()

    def _release(self, sent: Sent, n: int):
        def step() -> None:
            submission = self.sent.get(str(n))
            if submission is None:
                return
            submission.refresh_from_db()
            if submission.status == Status.REVIEW:
                submission_release(submission=submission, by=self.helpdesk, comment=sent.release)

        return step

    # triage ---------------------------------------------------------------------------------

    def plan_triage(self) -> None:
        """The help desk at work: one item solved, one investigated, one waiting for the vendor,
        the newest ones still new."""
        steps = [
            ("chiyoda-header", 20, State.RESOLVED, "ヘッダー行を修正した再送を確認しました。"),
            ("chiyoda-digit", 5, State.WAITING_VENDOR, "個人番号の検証番号の計算方法を"
             "ベンダーに確認中です。"),
            ("sapporo-kana", 6, State.INVESTIGATING, "半角カナの変換が必要な列を調査中。"),
            ("nagoya-header", 26, State.INVESTIGATING, "ベンダーの出力設定を確認しています。"),
            ("shinjuku-kana", 4, State.WAITING_VENDOR, "全角カナへの変換を依頼しました。"),
        ]  # fmt: skip
        for key, hours_after, state, note in steps:
            moment = self.moments[key] + timedelta(hours=hours_after)
            self.at(moment, self._triage(key, state, note))

    def _triage(self, key: str, state: str, note: str):
        def step() -> None:
            submission = self.sent.get(key)
            item = (
                ErrorItem.objects.filter(last_submission=submission).first() if submission else None
            )
            if item is None:
                return
            error_items_assign(items=[item], assignee=self.helpdesk, by=self.helpdesk)
            error_item_comment(item=item, by=self.helpdesk, text=note)
            error_item_set_state(item=item, state=state, by=self.helpdesk)

        return step


def _office_hour(days_ago: float, n: int) -> tuple[int, int]:
    return 9 + int(days_ago * 7 + n) % 9, (n * 13) % 60


def _mail(sender: str, name: str, data: bytes) -> bytes:
    """A message as the intake mailbox receives it: through the demo's own mail server, which
    verified the sender and says so (the topmost Authentication-Results). Without it the
    console quarantines the message unless ``PMH_MAIL_ACCEPT_UNAUTHENTICATED`` (off when
    DEBUG is, as `make run` serves the demo)."""
    domain = sender.rpartition("@")[2]
    message = email.message.EmailMessage()
    message["Authentication-Results"] = (
        f"mx.demo.invalid; spf=pass smtp.mailfrom={domain}; dkim=pass header.d={domain}; "
        f"dmarc=pass header.from={domain}"
    )
    message["From"] = sender
    message["To"] = "pmh-intake@demo.invalid"
    message["Subject"] = f"テストファイル送付（{name}）"
    message["Date"] = email.utils.format_datetime(timezone.now())
    message["Message-ID"] = email.utils.make_msgid(domain="demo.invalid")
    message.set_content("お世話になっております。テストファイルを送付します。")
    message.add_attachment(data, maintype="text", subtype="csv", filename=name)
    return message.as_bytes()


def demo_target_url() -> str:
    """The console's own health page, where `make run` serves it (HOST and PORT)."""
    return settings.PMH_DEMO_URL.rstrip("/") + "/healthz"


def follow_demo_url() -> int:
    """Point the demo's probe targets at where the console listens now: `make run` on another
    PORT than the first time keeps the demo's targets reachable. Returns how many moved."""
    url = demo_target_url()
    moved = 0
    for probe in Probe.objects.filter(name__in=set(TARGETS.values()), url__endswith="/healthz"):
        if probe.url != url:
            probe.url = url
            probe.save(update_fields=["url"])
            moved += 1
    return moved


def already_alive() -> bool:
    return IntegrationEvent.objects.filter(
        integration__dropbox_name__in=MOVES, kind=IntegrationEvent.Kind.STAGE
    ).exists()


def bring_to_life() -> bool:
    """Replay the demo's month once; False when it was replayed before (idempotent)."""
    if already_alive():
        return False
    now = timezone.now()
    replay = Replay(now)
    replay.plan_probes()
    replay.plan_stages()
    replay.plan_files()
    replay.plan_triage()
    # Jobs run here, in order; replies and notices to the demo's .invalid addresses stay in
    # memory instead of being printed.
    with override_settings(
        PMH_JOBS_MODE="sync", EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"
    ):
        replay.run()
        for probe in Probe.objects.filter(last_run_at__isnull=False):
            # Due one interval after its last replayed run, as a sweep would have left it.
            with clock_at(probe.last_run_at + timedelta(seconds=probe.interval_seconds)):
                target_update(probe=probe)
        results_rollup(now=now)
        results_prune(now=now)
    return True


__all__ = ["STAGE_ORDER", "bring_to_life", "clock_at", "demo_file", "registered_at"]
