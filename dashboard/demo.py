"""Demo data for `seed_demo` (console.md §6): the contract's minimum plus a believable spread."""

from django.utils import timezone

from dashboard import demo_life
from onboarding.models import (
    DataFormat,
    DataMode,
    Integration,
    IntegrationContact,
    Municipality,
    ReviewPolicy,
    ReworkMethod,
    Route,
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


# How far each demo integration is brought: the last stage of its replayed moves.
TARGET_STAGES = {code: moves[-1][1] for code, moves in demo_life.MOVES.items()}


def advance() -> None:
    """Bring the demo to life: thirty days of probes, stage moves, files on every channel and
    the help desk's triage, replayed through the real services (`demo_life`); once only. The
    probe targets follow the console's address on every run."""
    if not demo_life.bring_to_life():
        demo_life.follow_demo_url()


# The national picture gives a vendor hundreds of municipalities: the banner names the first.
LOGIN_NAMES = 12
ROLE_NAMES = {"operator": "PMH operator", "helpdesk": "help desk"}


def logins() -> list[str]:
    """One line per demo login: its role, and for a vendor the municipalities it serves."""
    lines = []
    for username, group, _vendor, _staff in USERS:
        user = User.objects.select_related("vendor").get(username=username)
        if user.vendor is None:
            lines.append(f"{username:<10} {ROLE_NAMES.get(group, group)}")
            continue
        served = Integration.objects.filter(vendor=user.vendor).order_by("municipality__code")
        names = [i.municipality.name for i in served.select_related("municipality")[:LOGIN_NAMES]]
        total = served.count()
        more = f" … ({total} integrations)" if total > LOGIN_NAMES else ""
        lines.append(f"{username:<10} {user.vendor.slug}: {', '.join(names)}{more}")
    return lines


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
    now = timezone.now()
    for code, vendor, system, method, route, mode, access, fmt, programs in INTEGRATIONS:
        # Registered some days ago (the board shows how long each has waited in its stage).
        registered = demo_life.registered_at(code, now)
        with demo_life.clock_at(registered):
            integration, created = Integration.objects.get_or_create(
                dropbox_name=code,
                defaults={
                    "stage_changed_at": registered,
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
