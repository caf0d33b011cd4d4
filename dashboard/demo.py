"""Demo data for `seed_demo` (console.md §6): the contract's minimum plus a believable spread."""

import io
from datetime import timedelta

from django.utils import timezone

from onboarding import services
from onboarding.models import (
    STAGE_ORDER,
    DataFormat,
    DataMode,
    Integration,
    IntegrationContact,
    Municipality,
    ReviewPolicy,
    ReworkMethod,
    Route,
    Stage,
    TestAccess,
    User,
    Vendor,
)

MUNICIPALITIES = [
    ("011002", "北海道", "札幌市", "ホッカイドウ", "サッポロシ"),
    ("041009", "宮城県", "仙台市", "ミヤギケン", "センダイシ"),
    ("111007", "埼玉県", "さいたま市", "サイタマケン", "サイタマシ"),
    ("121002", "千葉県", "千葉市", "チバケン", "チバシ"),
    ("130001", "東京都", "", "トウキョウト", ""),
    ("131016", "東京都", "千代田区", "トウキョウト", "チヨダク"),
    ("131041", "東京都", "新宿区", "トウキョウト", "シンジュクク"),
    ("141003", "神奈川県", "横浜市", "カナガワケン", "ヨコハマシ"),
    ("231002", "愛知県", "名古屋市", "アイチケン", "ナゴヤシ"),
    ("261009", "京都府", "京都市", "キョウトフ", "キョウトシ"),
    ("271004", "大阪府", "大阪市", "オオサカフ", "オオサカシ"),
    ("281000", "兵庫県", "神戸市", "ヒョウゴケン", "コウベシ"),
    ("341002", "広島県", "広島市", "ヒロシマケン", "ヒロシマシ"),
    ("401307", "福岡県", "福岡市", "フクオカケン", "フクオカシ"),
    ("472018", "沖縄県", "那覇市", "オキナワケン", "ナハシ"),
]

VENDORS = [
    ("vendor-a", "株式会社エー情報システム", "情報 一郎", "support@vendor-a.demo.invalid"),
    ("vendor-b", "ビー自治体ソリューションズ株式会社", "開発 花子", "help@vendor-b.demo.invalid"),
    ("vendor-c", "シー総合研究所", "連携 次郎", "pmh@vendor-c.demo.invalid"),
]

# code, vendor, business system, method, route, mode, test access, format, programs
INTEGRATIONS = [
    (
        "131016",
        "vendor-a",
        "子ども医療費助成システム",
        "api",
        "lgwan",
        "full",
        "internet",
        "csv",
        ["88136015"],
    ),
    (
        "011002",
        "vendor-b",
        "重度心身障害者医療費助成システム",
        "manual",
        "usb",
        "full",
        "offline",
        "csv",
        ["83010017"],
    ),
    (
        "131041",
        "vendor-a",
        "ひとり親家庭等医療費助成システム",
        "api",
        "lgwan",
        "diff",
        "lgwan",
        "json",
        [],
    ),
    ("141003", "vendor-c", "小児医療費助成システム", "batch", "lgwan", "diff", "lgwan", "csv", []),
    (
        "231002",
        "vendor-c",
        "子ども医療費助成システム",
        "batch",
        "vpn",
        "full",
        "internet",
        "csv",
        [],
    ),
    (
        "271004",
        "vendor-b",
        "こども医療費助成システム",
        "manual_edit",
        "lgwan",
        "full",
        "offline",
        "csv",
        [],
    ),
    ("261009", "vendor-a", "福祉医療費助成システム", "", "", "", "", "", []),
    (
        "401307",
        "vendor-b",
        "子ども医療費助成システム",
        "api",
        "vpn",
        "diff",
        "internet",
        "json",
        [],
    ),
    (
        "472018",
        "vendor-c",
        "こども医療費助成システム",
        "manual",
        "usb",
        "full",
        "offline",
        "csv",
        [],
    ),
    ("130001", "vendor-a", "難病医療費助成システム", "api", "lgwan", "diff", "lgwan", "json", []),
    ("041009", "vendor-b", "子ども医療費助成システム", "", "", "", "", "", []),
    (
        "341002",
        "vendor-c",
        "重度障害者医療費助成システム",
        "manual",
        "lgwan",
        "full",
        "offline",
        "csv",
        [],
    ),
]

USERS = [
    ("operator", "operator", None, True),
    ("helpdesk", "helpdesk", None, False),
    ("vendor_a", "vendor", "vendor-a", False),
    ("vendor_b", "vendor", "vendor-b", False),
]


# How far each demo integration is brought, each step through its real gate.
TARGET_STAGES = {
    "131016": Stage.TESTING,
    "011002": Stage.TEST_PASSED,
    "131041": Stage.NETWORK_OK,
    "141003": Stage.NETWORK_OK,
    "231002": Stage.DECIDED,
    "271004": Stage.LIVE,
    "401307": Stage.DECIDED,
    "472018": Stage.READY,
    "130001": Stage.DECIDED,
    "341002": Stage.DECIDED,
}


DEMO_TARGET_URL = "http://127.0.0.1:8000/healthz"


def _record_network_evidence(integration: Integration, *, by) -> None:
    """The evidence the network_ok gate asks for: an outbound target of the route with a
    successful run, and a passed inbound check. The demo target is the console itself
    (`make run` serves it on port 8000), so the scheduled probes keep passing."""
    from connectivity.lib.probe import ProbeRun
    from connectivity.services import (
        inbound_check_issue,
        inbound_check_record,
        probe_record_result,
        target_create,
    )

    if integration.probes.exists():
        return
    probe = target_create(
        integration=integration,
        name="PMH API（デモ: このコンソール）",
        url=DEMO_TARGET_URL,
        kind="http",
        route=integration.route,
        expect_status=200,
    )
    run = ProbeRun(
        url=DEMO_TARGET_URL, kind="http", ok=True, connect_ms=0.4, first_byte_ms=3.2,
        total_ms=4.1, address="127.0.0.1", http_status=200,
    )  # fmt: skip
    probe_record_result(probe=probe, run=run)
    _, token = inbound_check_issue(integration=integration, by=by)
    inbound_check_record(token=token, source_address="127.0.0.1", tls_version="TLSv1.3")


def _record_test_evidence(integration: Integration, *, by) -> None:
    """An accepted full test file, received while the integration is in `testing`, and its
    go-live date when it is to go further: the evidence of the later gates."""
    from django.test.utils import override_settings

    from uploads.lib.validation import samples
    from uploads.lifecycle import submission_receive
    from uploads.models import Verdict

    if not integration.submissions.filter(verdict=Verdict.ACCEPTED).exists():
        data = samples.csv_bytes(samples.records(40, seed=int(integration.municipality.code)))
        # Validated at once, in this process, so the gate below sees the verdict.
        with override_settings(PMH_JOBS_MODE="sync"):
            submission_receive(
                integration=integration,
                channel="web",
                original_name="demo-full.csv",
                stream=io.BytesIO(data),
                sender="demo",
                received_by=by,
            )


def _advance(integration: Integration, target: str, *, by) -> None:
    """Move forward one gate at a time until the target stage or a gate that does not hold."""
    needs_network = not integration.skips_network_check
    if needs_network and STAGE_ORDER.index(target) >= STAGE_ORDER.index(Stage.NETWORK_OK):
        _record_network_evidence(integration, by=by)
    while STAGE_ORDER.index(integration.stage) < STAGE_ORDER.index(target):
        nxt = services.forward_stage(integration)
        if nxt == Stage.TEST_PASSED:
            _record_test_evidence(integration, by=by)
        if nxt in (Stage.READY, Stage.LIVE) and integration.go_live_date is None:
            live = target == Stage.LIVE
            integration.go_live_date = timezone.localdate() + timedelta(days=-30 if live else 30)
            integration.save(update_fields=["go_live_date"])
        if nxt is None or not services.gate(integration=integration, to=nxt).ok:
            return
        services.integration_move(integration=integration, to=nxt, by=by, reason="デモデータ")


def advance() -> None:
    """Bring the demo integrations to their stages. Not inside one transaction: the test
    files are validated as they arrive, and each gate must see the verdict."""
    operator = User.objects.get(username="operator")
    for integration in Integration.objects.filter(dropbox_name__in=TARGET_STAGES):
        _advance(integration, TARGET_STAGES[integration.dropbox_name], by=operator)


def seed(*, password: str, groups: dict) -> dict:
    for code, pref, city, pref_kana, city_kana in MUNICIPALITIES:
        Municipality.objects.update_or_create(
            code=code,
            defaults={
                "prefecture": pref,
                "city": city,
                "prefecture_kana": pref_kana,
                "city_kana": city_kana,
            },
        )
    vendors = {}
    for slug, name, person, email in VENDORS:
        vendors[slug], _ = Vendor.objects.update_or_create(
            slug=slug, defaults={"name": name, "contact_name": person, "contact_email": email}
        )
    for code, vendor, system, method, route, mode, access, fmt, programs in INTEGRATIONS:
        integration, created = Integration.objects.get_or_create(
            dropbox_name=code,
            defaults={
                "municipality": Municipality.objects.get(code=code),
                "vendor": vendors[vendor],
                "business_system": system,
                "rework_method": method,
                "route": route,
                "data_mode": mode,
                "test_access": access,
                "data_format": fmt,
                "programs": programs,
                "review_policy": ReviewPolicy.NEVER
                if code in ("131016", "011002")
                else ReviewPolicy.AUTO,
                "source_ranges": ["127.0.0.0/8"] if route in ("lgwan", "vpn") else [],
            },
        )
        IntegrationContact.objects.get_or_create(
            integration=integration, email=f"{code}@demo.invalid"
        )
    for username, group, vendor, staff in USERS:
        user, _ = User.objects.get_or_create(username=username)
        user.vendor = vendors.get(vendor) if vendor else None
        user.is_staff = staff
        user.set_password(password)
        user.save()
        user.groups.set([groups[group]])
    municipal = seed_municipal_users(password=password, group=groups["municipality"])
    return {
        "municipalities": Municipality.objects.count(),
        "integrations": Integration.objects.count(),
        "users": [u[0] for u in USERS] + municipal,
    }


def municipal_username(code: str) -> str:
    return f"city_{code}"


def seed_municipal_users(*, password: str, group) -> list[str]:
    """One user of the municipality role for each municipality with a demo integration
    (issue 23): `city_<code>`, e.g. city_131016 (千代田区) and city_011002 (札幌市)."""
    names = []
    for code in sorted({row[0] for row in INTEGRATIONS}):
        user, _ = User.objects.get_or_create(username=municipal_username(code))
        user.municipality = Municipality.objects.get(code=code)
        user.vendor = None
        user.set_password(password)
        user.save()
        user.groups.set([group])
        names.append(user.username)
    return names


__all__ = [
    "seed",
    "seed_municipal_users",
    "DataFormat",
    "DataMode",
    "ReworkMethod",
    "Route",
    "TestAccess",
]
