"""The national picture for `seed_demo --national` (issue 22.1): every prefecture, about 1,741
municipalities with valid 全国地方公共団体コード, some 5,000 integrations over twelve vendors in
every stage, with their stage history, contacts and a few months of test submissions.

Built in bulk (seconds, not minutes): each row is checked by the registry's own rules (the code's
check digit, the consistency rules of console.md §1, the model validators) and then written with
`bulk_create`. Stage history is recorded as `IntegrationEvent`s dated in the past; the evidence
the gates ask for (probe runs, stored test records) is not replayed here, so a bulk move of a
national integration past `network_ok` or `test_passed` is refused with the gate's reasons, as it
would be in production. Idempotent: an existing (municipality, vendor, business system) is left
alone, and so is every row made before.
"""

import random
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from coderules.checkdigits import mhlw_check_digit, municipality_check_digit
from onboarding import rules
from onboarding.models import (
    STAGE_ORDER,
    Integration,
    IntegrationContact,
    IntegrationEvent,
    Municipality,
    Stage,
    Vendor,
)
from onboarding.overview import PREFECTURES
from uploads.models import Channel, Mode, Status, Submission, SubmissionIssue, Verdict

SEED = 22
# Municipalities per prefecture (2024), 1,741 in all; the prefecture itself is added to each.
CITY_COUNTS = [
    179, 40, 33, 35, 25, 35, 59, 44, 25, 35, 63, 54, 62, 33, 30, 15, 19, 17, 27, 77, 42, 35, 54,
    29, 19, 26, 43, 41, 39, 30, 19, 19, 27, 23, 19, 24, 17, 20, 34, 60, 20, 21, 45, 18, 26, 43, 41,
]  # fmt: skip
PREFECTURE_KANA = [
    "ホッカイドウ", "アオモリケン", "イワテケン", "ミヤギケン", "アキタケン", "ヤマガタケン",
    "フクシマケン", "イバラキケン", "トチギケン", "グンマケン", "サイタマケン", "チバケン",
    "トウキョウト", "カナガワケン", "ニイガタケン", "トヤマケン", "イシカワケン", "フクイケン",
    "ヤマナシケン", "ナガノケン", "ギフケン", "シズオカケン", "アイチケン", "ミエケン", "シガケン",
    "キョウトフ", "オオサカフ", "ヒョウゴケン", "ナラケン", "ワカヤマケン", "トットリケン",
    "シマネケン", "オカヤマケン", "ヒロシマケン", "ヤマグチケン", "トクシマケン", "カガワケン",
    "エヒメケン", "コウチケン", "フクオカケン", "サガケン", "ナガサキケン", "クマモトケン",
    "オオイタケン", "ミヤザキケン", "カゴシマケン", "オキナワケン",
]  # fmt: skip
# Syllables of made-up place names (kanji, kana).
_HEADS = [
    ("東", "ヒガシ"), ("西", "ニシ"), ("南", "ミナミ"), ("北", "キタ"), ("大", "オオ"),
    ("小", "コ"), ("高", "タカ"), ("中", "ナカ"), ("上", "カミ"), ("下", "シモ"), ("新", "シン"),
    ("本", "モト"), ("石", "イシ"), ("松", "マツ"), ("桜", "サクラ"), ("白", "シラ"),
    ("長", "ナガ"), ("若", "ワカ"), ("朝", "アサ"), ("青", "アオ"),
]  # fmt: skip
_TAILS = [
    ("山", "ヤマ"), ("川", "カワ"), ("田", "タ"), ("原", "ハラ"), ("野", "ノ"), ("島", "シマ"),
    ("沢", "サワ"), ("浜", "ハマ"), ("岡", "オカ"), ("森", "モリ"), ("津", "ツ"), ("崎", "サキ"),
    ("里", "サト"), ("江", "エ"), ("尾", "オ"), ("坂", "サカ"),
]  # fmt: skip

VENDORS = [
    ("vendor-a", "株式会社エー情報システム", "support@vendor-a.demo.invalid"),
    ("vendor-b", "ビー自治体ソリューションズ株式会社", "help@vendor-b.demo.invalid"),
    ("vendor-c", "シー総合研究所", "pmh@vendor-c.demo.invalid"),
    ("national-d", "ディー行政システム株式会社", "pmh@national-d.demo.invalid"),
    ("national-e", "イー電算株式会社", "pmh@national-e.demo.invalid"),
    ("national-f", "エフ地域情報センター", "pmh@national-f.demo.invalid"),
    ("national-g", "ジー・ネットワークス株式会社", "pmh@national-g.demo.invalid"),
    ("national-h", "エイチ公共ソリューション株式会社", "pmh@national-h.demo.invalid"),
    ("national-i", "アイ計算センター株式会社", "pmh@national-i.demo.invalid"),
    ("national-j", "ジェイ総合システム株式会社", "pmh@national-j.demo.invalid"),
    ("national-k", "ケー自治体クラウド株式会社", "pmh@national-k.demo.invalid"),
    ("national-l", "エル情報サービス株式会社", "pmh@national-l.demo.invalid"),
]  # fmt: skip
# Business systems and the 法別番号 of the program each one feeds (local programs: 8x).
SYSTEMS = [
    ("子ども医療費助成システム", "88"),
    ("ひとり親家庭等医療費助成システム", "87"),
    ("重度心身障害者医療費助成システム", "83"),
    ("小児慢性特定疾病医療費助成システム", "52"),
    ("難病医療費助成システム", "54"),
]
# Share of integrations per stage, and the usual days spent waiting in it (mean).
STAGE_SHARE = [
    (Stage.REGISTERED, 0.13, 12),
    (Stage.DECIDED, 0.20, 25),
    (Stage.NETWORK_OK, 0.10, 15),
    (Stage.TESTING, 0.22, 30),
    (Stage.TEST_PASSED, 0.10, 14),
    (Stage.READY, 0.08, 20),
    (Stage.LIVE, 0.17, 60),
]
# Choice sets that keep the rules of §1: method, route, mode, test access, format.
CHOICES = [
    (("api", "lgwan", "diff", "lgwan", "csv"), 30),
    (("api", "lgwan", "diff", "internet", "json"), 10),
    (("api", "vpn", "full", "internet", "csv"), 8),
    (("batch", "lgwan", "diff", "lgwan", "csv"), 20),
    (("batch", "vpn", "full", "internet", "csv"), 8),
    (("manual", "lgwan", "full", "offline", "csv"), 10),
    (("manual", "usb", "full", "offline", "csv"), 7),
    (("manual_edit", "usb", "full", "offline", "csv"), 7),
]
CHOICE_FIELDS = ("rework_method", "route", "data_mode", "test_access", "data_format")
# Issue codes a rejected test file carries, with how often vendors make each mistake.
ISSUE_CODES = [
    ("V_CHECK_DIGIT", "error", "検証番号が一致しません。"),
    ("V_KANA", "error", "カナ氏名に使えない文字があります。"),
    ("V_DATE", "error", "日付が正しくありません。"),
    ("V_REQUIRED", "error", "必須項目が空です。"),
    ("V_HOUBETSU_UNKNOWN", "error", "法別番号が一覧にありません。"),
    ("F_HEADER_UNKNOWN", "error", "見出し行に未知の列があります。"),
    ("V_CHARSET", "error", "文字コードに使えない文字があります。"),
    ("K_DUPLICATE", "error", "同じキーの行が重複しています。"),
    ("V_PREFECTURE", "warning", "公費負担者番号の都道府県番号が自治体と異なります。"),
]
HISTORY_SUBMISSIONS_MAX = 6


def municipality_code(prefecture: int, body: int) -> str:
    """A 全国地方公共団体コード: 2-digit prefecture, 3-digit body, check digit."""
    head = f"{prefecture:02d}{body:03d}"
    return head + str(municipality_check_digit(head))


def _city_bodies(count: int, rng: random.Random) -> Iterator[tuple[int, str]]:
    """Body numbers and suffixes as the real list has them: 市 from 201, 町 and 村 from 300."""
    cities = max(1, count // 3)
    for n in range(cities):
        yield 201 + n, "市"
    body = 301
    for _n in range(count - cities):
        yield body, "町" if rng.random() < 0.75 else "村"
        body += rng.choice((1, 2, 3, 20)) if body < 960 else 1


def _place_name(rng: random.Random, used: set) -> tuple[str, str]:
    while True:
        (h, hk), (t, tk) = rng.choice(_HEADS), rng.choice(_TAILS)
        if (h + t) not in used:
            used.add(h + t)
            return h + t, hk + tk


def municipality_rows(rng: random.Random) -> list[Municipality]:
    rows = []
    for index, (name, kana, count) in enumerate(
        zip(PREFECTURES, PREFECTURE_KANA, CITY_COUNTS, strict=True), start=1
    ):
        rows.append(
            Municipality(code=municipality_code(index, 0), prefecture=name, prefecture_kana=kana)
        )
        used: set[str] = set()
        for body, suffix in _city_bodies(count, rng):
            city, city_kana = _place_name(rng, used)
            suffix_kana = {"市": "シ", "町": "マチ", "村": "ムラ"}[suffix]
            rows.append(
                Municipality(
                    code=municipality_code(index, body),
                    prefecture=name,
                    prefecture_kana=kana,
                    city=city + suffix,
                    city_kana=city_kana + suffix_kana,
                )
            )
    return rows


def program_number(houbetsu: str, code: str) -> str:
    body = f"{houbetsu}{code[:2]}{code[2:5]}"
    return body + str(mhlw_check_digit(body))


def _weighted(rng: random.Random, options: list[tuple]) -> tuple:
    return rng.choices([o[0] for o in options], weights=[o[1] for o in options])[0]


def _stage(rng: random.Random) -> tuple[str, float]:
    stage, _share, mean = rng.choices(STAGE_SHARE, weights=[s[1] for s in STAGE_SHARE])[0]
    return stage, mean


def _vendor_for(prefecture: int, rng: random.Random, slugs: list[str]) -> str:
    """Vendors are regional: three strong ones per prefecture, the rest here and there."""
    home = [slugs[(prefecture + k * 4) % len(slugs)] for k in range(3)]
    return rng.choice(home) if rng.random() < 0.85 else rng.choice(slugs)


def seed_national(*, now=None, prefectures: set[int] | None = None) -> dict:
    """Create what is missing of the national picture (only some `prefectures`, by number,
    for quick tests); returns counts of what was made."""
    now = now or timezone.now()
    rng = random.Random(SEED)  # noqa: S311 (made-up figures)
    with transaction.atomic():
        made = _seed(rng, now, prefectures)
    return made


def _seed(rng: random.Random, now, prefectures) -> dict:
    wanted = municipality_rows(rng)
    if prefectures:
        wanted = [m for m in wanted if int(m.code[:2]) in prefectures]
    existing = set(Municipality.objects.values_list("code", flat=True))
    Municipality.objects.bulk_create([m for m in wanted if m.code not in existing], batch_size=1000)
    vendors = {}
    for slug, name, email in VENDORS:
        vendors[slug], _ = Vendor.objects.get_or_create(
            slug=slug, defaults={"name": name, "contact_email": email}
        )
    slugs = [v[0] for v in VENDORS]
    by_code = {m.code: m for m in Municipality.objects.all()}
    integrations, histories = _integration_rows(now, wanted, by_code, vendors, slugs)
    Integration.objects.bulk_create(integrations, batch_size=1000)
    _history_rows(rng, now, integrations, histories)
    return {
        "municipalities": len(wanted) - len(existing & {m.code for m in wanted}),
        "integrations": len(integrations),
    }


def _integration_rows(now, wanted, by_code, vendors, slugs):
    taken = set(
        Integration.all_objects.values_list("municipality_id", "vendor_id", "business_system")
    )
    names = set(Integration.all_objects.values_list("dropbox_name", flat=True))
    rows, histories = [], []
    for planned in wanted:
        municipality = by_code[planned.code]
        # One generator per municipality: what it draws does not depend on what exists.
        rng = random.Random(f"{SEED}-{planned.code}")  # noqa: S311
        systems = rng.sample(SYSTEMS, k=rng.choice((2, 3, 3, 4, 4)))
        for system, houbetsu in systems:
            vendor = vendors[_vendor_for(int(planned.code[:2]), rng, slugs)]
            stage, mean = _stage(rng)
            waited = min(rng.expovariate(1 / mean), 180) + rng.random()
            choices = _weighted(rng, CHOICES)
            decided = rng.random() < 0.4 or stage != Stage.REGISTERED
            go_live_in = rng.randint(20, 90)
            key = (municipality.pk, vendor.pk, system)
            if key in taken:
                continue
            taken.add(key)
            name = _dropbox_name(municipality.code, names)
            integration = Integration(
                municipality=municipality,
                vendor=vendor,
                business_system=system,
                programs=[program_number(houbetsu, municipality.code)],
                dropbox_name=name,
                stage=stage,
                stage_changed_at=now - timedelta(days=waited),
                **dict(zip(CHOICE_FIELDS, choices if decided else ("",) * 5, strict=True)),
            )
            if integration.route in ("lgwan", "vpn"):
                integration.source_ranges = ["10.20.0.0/24"]
            if stage in (Stage.READY, Stage.LIVE):
                since = timezone.localdate(integration.stage_changed_at)
                integration.go_live_date = (
                    since if stage == Stage.LIVE else since + timedelta(days=go_live_in)
                )
            assert not rules.choice_problems(rules.integration_values(integration))
            rows.append(integration)
            histories.append(waited)
    return rows, histories


def _dropbox_name(code: str, names: set) -> str:
    name, n = code, 2
    while name in names:
        name, n = f"{code}-{n}", n + 1
    names.add(name)
    return name


def _stage_path(integration: Integration) -> list[str]:
    path = STAGE_ORDER[: STAGE_ORDER.index(integration.stage) + 1]
    if integration.route == "usb" or integration.test_access == "offline":
        path = [s for s in path if s != Stage.NETWORK_OK]
    return path


def _history_rows(rng, now, integrations, histories) -> None:
    """Stage events back in time, contacts, and test submissions for integrations that test."""
    events, contacts, submissions = [], [], []
    for integration, _waited in zip(integrations, histories, strict=True):
        path = _stage_path(integration)
        at = integration.stage_changed_at
        moments = [at]
        for _step in path[:-1]:
            at = at - timedelta(days=rng.uniform(3, 30))
            moments.append(at)
        moments.reverse()
        previous = ""
        for stage, moment in zip(path, moments, strict=True):
            events.append(
                IntegrationEvent(
                    integration=integration,
                    kind=IntegrationEvent.Kind.STAGE,
                    old_value=previous,
                    new_value=stage,
                    reason="" if previous else "Integration registered.",
                    at=moment,
                )
            )
            previous = stage
        contacts.append(
            IntegrationContact(
                integration=integration, email=f"{integration.dropbox_name}@city.demo.invalid"
            )
        )
        if STAGE_ORDER.index(integration.stage) >= STAGE_ORDER.index(Stage.TESTING):
            submissions.extend(_submissions(rng, integration, moments, path))
    IntegrationEvent.objects.bulk_create(events, batch_size=2000)
    IntegrationContact.objects.bulk_create(contacts, batch_size=2000)
    Submission.objects.bulk_create(submissions, batch_size=1000)
    SubmissionIssue.objects.bulk_create(_issues(rng, submissions), batch_size=5000)


def _submissions(rng, integration, moments, path) -> list[Submission]:
    testing_at = moments[path.index(Stage.TESTING)]
    # Vendors differ in quality: the vendor's id makes some reject more often.
    quality = 0.35 + (integration.vendor_id % 5) * 0.1
    made = []
    for n in range(rng.randint(1, HISTORY_SUBMISSIONS_MAX)):
        received = testing_at + timedelta(hours=rng.uniform(1, 24 * 20))
        if received > timezone.now():
            break
        accepted = rng.random() < quality
        codes = [] if accepted else _codes(rng, integration.vendor_id, rng.randint(1, 40))
        submission = Submission(
            integration=integration,
            channel=Channel.API if integration.rework_method == "api" else Channel.WEB,
            original_name=f"{integration.dropbox_name}-{n + 1:02d}.csv",
            size=rng.randint(2_000, 400_000),
            sha256=f"{rng.getrandbits(256):064x}",
            mode=Mode.FULL if n == 0 else integration.data_mode or Mode.FULL,
            stage_at_receipt=Stage.TESTING,
            status=Status.RETURNED,
            verdict=Verdict.ACCEPTED if accepted else Verdict.REJECTED,
            received_at=received,
            validated_at=received + timedelta(seconds=30),
            returned_at=received + timedelta(seconds=31),
            rows=rng.randint(50, 3000),
            errors=len(codes),
            warnings=0,
            report={"counts": dict(Counter(codes))} if codes else {"counts": {}},
        )
        submission.seeded_codes = codes
        made.append(submission)
    return made


def _codes(rng, vendor_id: int, n: int) -> list[str]:
    """A vendor's product repeats its own mistakes: its first code depends on the vendor."""
    weights = [9, 7, 5, 4, 3, 3, 2, 2, 4]
    first = ISSUE_CODES[vendor_id % len(ISSUE_CODES)][0]
    others = rng.choices([c[0] for c in ISSUE_CODES], weights=weights, k=n - 1)
    return [first, *others]


def _issues(rng, submissions) -> Iterator[SubmissionIssue]:
    details = {code: (severity, message) for code, severity, message in ISSUE_CODES}
    for submission in submissions:
        for seq, code in enumerate(submission.seeded_codes, start=1):
            severity, message = details[code]
            yield SubmissionIssue(
                submission=submission,
                seq=seq,
                row=seq * 7,
                line=seq * 7 + 1,
                code=code,
                severity=severity,
                message=message,
            )
