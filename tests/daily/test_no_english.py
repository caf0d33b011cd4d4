"""No English word and no raw code in the Japanese UI, on every page, for every role
(issue 18 point 7).

The demo data (`manage.py seed_demo`) is loaded once; the URLs come from the URLconf, their
path parameters filled with demo objects the role may see (several of each kind where their
state changes what the page shows). Every HTML answer is reduced to what a person reads: text
nodes outside <script>/<style> and the title, placeholder, aria-label and alt attributes. It
fails on
- a run of ASCII letters that is not a legitimate token (ALLOWED: acronyms, example domains,
  file names, demo identifiers such as user names and slugs, values the spec fixes);
- a raw `key=value`.
Links on each page to the same path with another query (tabs, sorting, filters) are followed
once per distinct set of query keys, so tab pages are read too.
"""

import io
import re
from collections import defaultdict
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.core.management import call_command
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from helpdesk.models import ErrorItem, ReplyTemplate
from intake.models import MediaHandover
from onboarding.models import ApiToken, Integration, Municipality, User, Vendor
from uploads.models import Submission

ROLES = {
    "operator": "operator",
    "helpdesk": "helpdesk",
    "vendor": "vendor_a",
    "municipality": "city_131016",
}

# Namespaces whose answers are not pages (the JSON API; the Django admin is Django's own,
# translated by Django, and not part of the console's pages).
SKIP_NAMESPACES = ("admin:", "api")
SKIP_NAMES = {"logout", "set_language"}
DOWNLOADS = (".pdf", ".json", ".xlsx", ".ini", ".csv", "/original")

# Words a Japanese page may carry in Latin letters.
ALLOWED = {
    # acronyms and product names
    "PMH", "CSV", "XLSX", "JSON", "API", "URL", "TLS", "IMAP", "SMTP", "HTTP", "HTTPS", "ID",
    "IP", "DNS", "TCP", "LGWAN", "VPN", "USB", "PDF", "UTF", "SJIS", "CP", "BOM", "RQ",
    "OpenAPI", "Windows", "PowerShell", "Bearer", "ms", "KB", "MB", "GB", "LF", "CRLF",
    "SHA", "POST", "GET", "PUT", "Redis", "JIS", "English", "UTC", "JST", "IPv", "ini",
    "Content", "Type", "Authorization", "multipart", "form", "data", "application",
    "Python", "Web", "SMIME", "Excel", "CA", "PEM", "NW", "Outlook", "S", "MIME", "PPAP",
    "TNEF", "XML", "ZIP",
}  # fmt: skip
TOKEN_PATTERNS = [
    r"https?://\S+",  # URLs (example domains, the console's own addresses)
    r"[\w.+-]+@[\w.-]+",  # mail addresses
    r"[\w.\-()\[\]*]+\.(?:csv|json|xlsx|txt|ini|zip|eml|pdf|tsv|ps1|py|exe|bat)\b",  # file names
    r"[\w.-]+\.(?:invalid|example|test|local|lg\.jp|go\.jp|localhost)\b",  # example domains
    r"\b[a-z]+[\w-]*\.demo\.invalid\b",
    r"/[\w./{}<>-]+",  # paths shown as code (API endpoints, folder names)
    r"\b[0-9a-f]{8,}\b",  # hashes and job ids
    r"\b[A-Z]_[A-Z0-9_]+\b",  # the spec's issue codes (record-layout.md §5), e.g. V_KANA
    r"\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b",  # environment variables a vendor sets (PMH_TOKEN)
    r"\{\w+\}",  # placeholders of the reply templates, filled when a reply is sent
    r"Public Medical Hub",  # the product's name
    r"TLSv1\.\d",  # protocol versions as the server reports them
    r"\b\dxx\b",  # HTTP status classes (5xx)
    r"(?<![\w.])\.[a-z]{2,4}\b",  # file name endings (.tmp, .part)
    r"Shift_JIS",
    # The columns of the municipality import file (a file contract, onboarding.forms).
    r"code,\s*prefecture,\s*city,\s*prefecture_kana,?\s*(?:and\s*)?city_kana",
    r"\bcity(?= が空欄)",
]
KEY_VALUE = re.compile(r"\b[A-Za-z_][\w.]*=\S*")
RAW_UNIT = re.compile(r"\b\d+[hdw]\b")  # 24h, 7d: a key, not a label
CODE = "\0code\0"
WORD = re.compile(r"[A-Za-z]{2,}")
VISIBLE_ATTRS = ("title", "placeholder", "aria-label", "alt")
# Shown as code on purpose (commands, configuration, the spec's JSON keys): <pre>, <kbd>,
# <samp> and anything marked translate="no" (HTML's own "leave this untranslated").
SKIPPED = {"script", "style", "pre", "kbd", "samp"}
VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "track",
    "wbr",
}


class _Text(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.links: list[str] = []
        self._skip = 0
        self._code = 0
        self._stack: list[tuple[str, bool]] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag not in VOID:
            skips = tag in SKIPPED or attrs.get("translate") == "no"
            self._stack.append((tag, skips))
            self._skip += skips
            self._code += tag == "code"
        for name in VISIBLE_ATTRS:
            if attrs.get(name) and not self._skip:
                self.parts.append(attrs[name])
        if tag == "input" and attrs.get("type") in ("submit", "button") and attrs.get("value"):
            self.parts.append(attrs["value"])
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])

    def handle_endtag(self, tag):
        if tag in VOID or tag not in (opened for opened, _ in self._stack):
            return
        while self._stack:  # HTML lets some end tags be left out: close up to this one
            opened, skips = self._stack.pop()
            self._skip -= skips
            self._code -= opened == "code"
            if opened == tag:
                break

    def handle_data(self, data):
        if not self._skip and data.strip():
            # <code>: a name typed or read by a program (a setting, a file, a column of an
            # import file); checked for key=value only.
            self.parts.append(CODE + data if self._code else data)


def visible_text(html: str) -> tuple[list[str], list[str]]:
    parser = _Text()
    parser.feed(html)
    return parser.parts, parser.links


def offences(parts: list[str], allowed: set[str]) -> list[str]:
    found = []
    for part in parts:
        text = " ".join(part.removeprefix(CODE).split())
        for key_value in KEY_VALUE.findall(text):
            found.append((f"raw value {key_value}", text[:90]))
        if part.startswith(CODE):
            continue
        for unit in RAW_UNIT.findall(text):
            found.append((f"raw value {unit}", text[:90]))
        for pattern in TOKEN_PATTERNS:
            text = re.sub(pattern, " ", text)
        for token in allowed:  # demo identifiers may carry digits and punctuation
            if not token.isalpha():
                text = text.replace(token, " ")
        for word in WORD.findall(text):
            if word not in allowed and word not in ALLOWED and word.upper() not in ALLOWED:
                found.append((word, " ".join(part.split())[:90]))
    return found


def _walk(patterns, namespace="", prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _walk(pattern.url_patterns, inner, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{namespace}{pattern.name}", prefix + str(pattern.pattern), pattern


def _visible(queryset, user):
    """Demo objects of a queryset the user may see (vendor: its own; municipality: its own)."""
    model = queryset.model
    if user.vendor_id:
        field = {
            Integration: "vendor",
            Submission: "integration__vendor",
            ErrorItem: "integration__vendor",
            MediaHandover: "integration__vendor",
            ApiToken: "vendor",
            Vendor: "pk",
        }.get(model)
        return queryset.filter(**{field: user.vendor_id}) if field else queryset
    if user.municipality_id:
        field = {
            Integration: "municipality",
            Submission: "integration__municipality",
            ErrorItem: "integration__municipality",
            MediaHandover: "integration__municipality",
            Municipality: "pk",
        }.get(model)
        return queryset.filter(**{field: user.municipality_id}) if field else queryset
    return queryset


def _several(queryset, by: str, n: int = 4) -> list:
    """One object for each of the first n distinct values of a field (varied states)."""
    chosen, seen = [], set()
    for obj in queryset.order_by("pk"):
        key = getattr(obj, by)
        if key not in seen:
            seen.add(key)
            chosen.append(obj)
        if len(chosen) >= n:
            break
    return chosen


def _objects(user) -> dict[str, list]:
    """For each path segment before a parameter, the demo objects that fill it."""
    from connectivity.models import MaintenanceWindow, Probe

    integrations = _visible(Integration.objects.all(), user)
    probes = Probe.objects.filter(integration__in=integrations)
    return {
        "integrations": _several(integrations, "stage", 3),
        "submissions": _several(_visible(Submission.objects.all(), user), "status", 3)
        + _several(_visible(Submission.objects.all(), user), "channel", 3),
        "review": _several(_visible(Submission.objects.all(), user), "status", 2),
        "errors": _several(_visible(ErrorItem.objects.all(), user), "kind", 3),
        "templates": list(ReplyTemplate.objects.all()[:1]),
        "targets": _several(probes, "status", 3),
        "media": list(_visible(MediaHandover.objects.all(), user)[:2]),
        "maintenance": list(MaintenanceWindow.objects.all()[:1]),
        "municipalities": list(
            _visible(Municipality.objects.filter(integrations__isnull=False), user).distinct()[:2]
        ),
        "vendors": list(_visible(Vendor.objects.all(), user)[:2]),
        "scorecards": list(_visible(Vendor.objects.all(), user)[:2]),
        "tokens": list(_visible(ApiToken.objects.all(), user)[:1]),
    }


def _fill(route: str, objects: dict[str, list]) -> list[dict]:
    """Keyword sets for a route's parameters, from the objects under the segment before each."""
    params = re.findall(r"<(?:(\w+):)?(\w+)>", route)
    if not params:
        return [{}]
    kwargs_list = [{}]
    for _conv, name in params:
        segment = route.split(f"<{_conv + ':' if _conv else ''}{name}>")[0].rstrip("/")
        segment = segment.rsplit("/", 1)[-1]
        if name == "token":
            return []  # one-time links: tested in their own suites
        if name in ("uidb64",):
            return []
        if name == "name":
            values = ["sample.csv", "pmh_uploader.ini"]
        elif name == "kind":
            values = ["csv"]
        elif name == "token_id":
            values = [t.pk for t in objects["tokens"]]
        elif name == "code":
            values = [m.code for m in objects[segment]]
        elif name == "slug":
            values = [v.slug for v in objects[segment]]
        else:
            values = [o.pk for o in objects.get(segment, [])]
        kwargs_list = [{**kw, name: v} for kw in kwargs_list for v in values]
    return kwargs_list


def _allowed_data(user) -> set[str]:
    """Identifiers of the demo data (user names, slugs, token names) are data, not English."""
    names = set(User.objects.values_list("username", flat=True))
    names |= set(Vendor.objects.values_list("slug", flat=True))
    names |= set(ApiToken.objects.values_list("name", flat=True))
    names |= set(Submission.objects.values_list("original_name", flat=True))
    return {n for n in names if n}


def crawl(client, user) -> tuple[dict[str, list[str]], int]:
    objects = _objects(user)
    allowed = _allowed_data(user)
    problems: dict[str, list[str]] = defaultdict(list)
    seen_queries: set[tuple] = set()
    pages = 0
    queue: list[str] = []
    for name, route, _pattern in _walk(get_resolver().url_patterns):
        if name.startswith(SKIP_NAMESPACES) or name in SKIP_NAMES or route.endswith(DOWNLOADS):
            continue
        for kwargs in _fill(route, objects):
            queue.append(reverse(name, kwargs=kwargs))
    queued = set(queue)
    while queue:
        url = queue.pop(0)
        response = client.get(url)
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        pages += 1
        parts, links = visible_text(response.content.decode())
        for problem in offences(parts, allowed):
            problems[url].append(problem)
        path = urlsplit(url).path
        for href in links:
            split = urlsplit(href)
            if split.scheme or split.netloc or not split.query:
                continue
            if split.path and split.path != path:
                continue
            key = (path, tuple(sorted({k for k, _ in parse_qsl(split.query)})))
            link = f"{path}?{split.query}"
            if key in seen_queries or link in queued:
                continue
            seen_queries.add(key)
            queued.add(link)
            queue.append(link)
    return problems, pages


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo data, loaded once for the module inside a transaction rolled back after it."""
    from django.db import transaction
    from django.test import override_settings

    root = tmp_path_factory.mktemp("demo")
    with (
        django_db_blocker.unblock(),
        override_settings(
            PMH_DEMO_PASSWORD="demo-Pass-123",
            PMH_JOBS_MODE="sync",
            PMH_MAIL_ACCEPT_UNAUTHENTICATED=True,
            PMH_STORAGE_ROOT=root / "files",
            PMH_DROPBOX_ROOT=root / "dropbox",
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        ),
        transaction.atomic(),
    ):
        call_command("seed_demo", stdout=io.StringIO())
        yield
        transaction.set_rollback(True)


# The mark makes pytest-django create the test database; the data comes from `demo`.
@pytest.mark.django_db
@pytest.mark.parametrize("role", list(ROLES))
def test_every_page_is_japanese_for_every_role(demo, django_db_blocker, client, role):
    with django_db_blocker.unblock():
        _crawl_as(client, role)


def _crawl_as(client, role):
    user = User.objects.get(username=ROLES[role])
    client.force_login(user)
    problems, pages = crawl(client, user)
    assert pages >= 30, pages
    first: dict[str, list] = {}
    for url, found in sorted(problems.items()):
        for word, snippet in found:
            first.setdefault(word, []).append((url, snippet))
    report = "\n".join(
        f"{word!r} ({len(seen)}x) e.g. {seen[0][0]}: {seen[0][1]!r}" for word, seen in first.items()
    )
    assert not problems, f"{len(first)} distinct problems on {pages} pages:\n{report}"


def test_the_checker_catches_english_and_raw_values():
    parts, _ = visible_text(
        "<p>記録日時</p><p>Recorded at: 2026</p><script>var x='English';</script>"
        "<input placeholder='Search'><p>list=audit rows=69</p><p>sample.csv を PMH へ</p>"
    )
    found = " ".join(word for word, _ in offences(parts, set()))
    assert "Recorded" in found and "Search" in found and "list=audit" in found
    assert "sample" not in found and "PMH" not in found and "var" not in found
