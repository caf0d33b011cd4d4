"""Walks every URL pattern of the project for every role (console.md §5).

Each named pattern needs an entry in OBJECTS (how to fill its parameters with vendor A's
object, vendor B's object and a missing one): a new page without one fails this test, so no
page escapes the walk. The invariants:
- anonymous: a redirect to the login page, except the paths that answer their own way;
- a user without a role: never a page;
- a vendor, a municipal user: for another vendor's (municipality's) object exactly the answer
  a missing object gets (no existence oracle), never a 2xx; staff-only pages 403;
- operators: every page answers without a server error.
"""

import pytest
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from connectivity.services import maintenance_window_create, target_create
from helpdesk.models import ReplyTemplate
from helpdesk.services import error_item_record
from intake.models import MediaHandover
from onboarding.tokens import api_token_issue
from uploads.lib.doctor import new_mapping
from uploads.models import LayoutMapping, Submission

pytestmark = pytest.mark.django_db
MISSING = 987654

# Pages of these namespaces answer their own way (tokens, JSON): tested in their own suites.
SKIP_NAMESPACES = ("admin", "django_rq", "api")
PUBLIC = {"healthz", "login", "set_language", "connectivity:inbound", "password_set"}
STAFF_ONLY = {
    "onboarding:vendor_list", "uploads:review_queue", "helpdesk:queue", "helpdesk:template_list",
    "helpdesk:template_create", "dashboard:audit", "dashboard:audit_export",
    "dashboard:integrations_report", "dashboard:integrations_report_pdf",
    "onboarding:user_list", "onboarding:user_invite", "onboarding:municipality_create",
}  # fmt: skip
VENDOR_ONLY = {"dashboard:vendor_home"}
# Operator-only pages without parameters: the help desk is refused them too.
OPERATOR_ONLY = {
    "dashboard:audit", "dashboard:audit_export",
    "helpdesk:template_list", "helpdesk:template_create",
    "onboarding:municipality_import", "onboarding:integration_create", "onboarding:vendor_create",
    "connectivity:target_create",
    "onboarding:user_list", "onboarding:user_invite", "onboarding:municipality_create",
}  # fmt: skip


def _walk(patterns, namespace=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _walk(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{namespace}{pattern.name}", pattern


def _names():
    return sorted(
        {
            name
            for name, _ in _walk(get_resolver().url_patterns)
            if not name.startswith(SKIP_NAMESPACES)
        }
    )


def _submission(integration, name):
    return Submission.objects.create(
        integration=integration, channel="web", original_name=name, size=10, sha256=name * 8,
        mode="full", stage_at_receipt="testing", status="returned", verdict="rejected",
        received_at=timezone.now(), report={"accepted": False, "issues": []}, rows=1, errors=1,
        warnings=0, valid_rows=0, storage_name="x",
    )  # fmt: skip


class World:
    """Vendor A's and vendor B's objects of every kind the URLs take."""

    def __init__(self, cast):
        self.cast = cast
        a, b = cast.integration_a, cast.integration_b
        self.sub = {"a": _submission(a, "aaaaaaaa"), "b": _submission(b, "bbbbbbbb")}
        for key, integration in (("a", a), ("b", b)):  # converted through a layout mapping
            mapping = LayoutMapping.objects.create(integration=integration)
            version = mapping.versions.create(number=1, document=new_mapping())
            mapping.current = version
            mapping.save(update_fields=["current"])
            self.sub[key].layout_mapping_version = version
            self.sub[key].save(update_fields=["layout_mapping_version"])
        self.probe = {
            key: target_create(
                integration=i, name=f"t{key}", url="http://127.0.0.1:9/", kind="http", route="lgwan"
            )
            for key, i in (("a", a), ("b", b))
        }
        self.media = {
            key: MediaHandover.objects.create(integration=i, brought_by="x", medium="USB")
            for key, i in (("a", a), ("b", b))
        }
        self.error = {
            key: error_item_record(kind="rejected", code="V_KANA", title="t", integration=i)
            for key, i in (("a", a), ("b", b))
        }
        self.window = maintenance_window_create(
            name="w", starts_at=timezone.now(), ends_at=timezone.now()
        )
        self.template = ReplyTemplate.objects.create(name="t", subject="s", body="b")
        self.token = {
            "a": api_token_issue(vendor=cast.vendor_a, name="a")[0],
            "b": api_token_issue(vendor=cast.vendor_b, name="b")[0],
        }

    def kwargs(self, name: str) -> dict | None:
        """{"a": kwargs, "b": kwargs, "missing": kwargs} for object URLs, None otherwise."""
        c = self.cast
        by_pk = {
            "onboarding:integration": (c.integration_a.pk, c.integration_b.pk),
            "onboarding:integration_uploader_file": None,
            "connectivity:integration": (c.integration_a.pk, c.integration_b.pk),
            "connectivity:inbound_issue": (c.integration_a.pk, c.integration_b.pk),
            "connectivity:alert_recipients": (c.integration_a.pk, c.integration_b.pk),
            "connectivity:target": (self.probe["a"].pk, self.probe["b"].pk),
            "intake:upload": (c.integration_a.pk, c.integration_b.pk),
            "uploads:layout": (c.integration_a.pk, c.integration_b.pk),
            "uploads:": (self.sub["a"].pk, self.sub["b"].pk),
            "helpdesk:history_": None,
            "helpdesk:integration_timeline": (c.integration_a.pk, c.integration_b.pk),
            "helpdesk:item": (self.error["a"].pk, self.error["b"].pk),
            "helpdesk:template_edit": (self.template.pk, self.template.pk),
            "intake:media_list": (c.integration_a.pk, c.integration_b.pk),
            "intake:media_": (self.media["a"].pk, self.media["b"].pk),
            "intake:redeliver": (self.sub["a"].pk, self.sub["b"].pk),
            "connectivity:maintenance_delete": (self.window.pk, self.window.pk),
            "dashboard:integration_report": (c.integration_a.pk, c.integration_b.pk),
            "onboarding:user_": (c.alice.pk, c.bob.pk),
        }
        pattern = dict(_walk(get_resolver().url_patterns))[name]
        params = set(pattern.pattern.converters)
        if not params:
            return None
        if params == {"uidb64", "token"}:
            return {k: {"uidb64": "MQ", "token": "set-password"} for k in ("a", "b", "missing")}
        if params == {"code"}:
            return {"a": {"code": "131016"}, "b": {"code": "011002"}, "missing": {"code": "999997"}}
        if params == {"slug"}:
            return {
                "a": {"slug": "vendor-a"},
                "b": {"slug": "vendor-b"},
                "missing": {"slug": "nobody"},
            }
        if params == {"slug", "token_id"}:
            return {
                "a": {"slug": "vendor-a", "token_id": self.token["a"].pk},
                "b": {"slug": "vendor-b", "token_id": self.token["b"].pk},
                "missing": {"slug": "vendor-a", "token_id": MISSING},
            }
        if params == {"pk", "name"}:
            a, b = c.integration_a.pk, c.integration_b.pk
            file = "sample.csv" if name == "uploads:integration_sample" else "pmh_uploader.ini"
            return {
                "a": {"pk": a, "name": file},
                "b": {"pk": b, "name": file},
                "missing": {"pk": MISSING, "name": file},
            }
        if params == {"pk", "kind"}:
            a, b = c.integration_a.pk, c.integration_b.pk
            return {
                "a": {"pk": a, "kind": "csv"},
                "b": {"pk": b, "kind": "csv"},
                "missing": {"pk": MISSING, "kind": "csv"},
            }
        if params == {"token"}:
            return {"a": {"token": "x"}, "b": {"token": "y"}, "missing": {"token": "z"}}
        for prefix, pks in sorted(by_pk.items(), key=lambda kv: -len(kv[0])):
            if name.startswith(prefix) and pks:
                return {"a": {"pk": pks[0]}, "b": {"pk": pks[1]}, "missing": {"pk": MISSING}}
        raise AssertionError(f"no objects for the URL parameters of {name}: add it to World")


@pytest.fixture
def world(cast):
    return World(cast)


def _url(name, kwargs):
    return reverse(name, kwargs=kwargs) if kwargs else reverse(name)


def test_every_pattern_has_objects_to_walk(world):
    for name in _names():
        world.kwargs(name)  # raises for a pattern the walk does not know


def test_anonymous_is_sent_to_login_except_public_paths(client, world):
    for name in _names():
        kwargs = world.kwargs(name)
        url = _url(name, kwargs["a"] if kwargs else None)
        response = client.get(url)
        if name in PUBLIC:
            assert not response.get("Location", "").startswith("/login/"), name
        else:
            assert response.status_code == 302 and response["Location"].startswith("/login/"), name


def test_user_without_a_role_sees_no_page(client_for, world):
    client = client_for(world.cast.outsider)
    for name in _names():
        if name in PUBLIC or name == "logout":
            continue
        kwargs = world.kwargs(name)
        status = client.get(_url(name, kwargs["a"] if kwargs else None)).status_code
        assert status in (403, 404, 405), (name, status)


@pytest.mark.parametrize(
    ("username", "theirs"),
    [("alice", "b"), ("chiyo", "b"), ("sato", "a")],
    ids=["vendor", "municipality-a", "municipality-b"],
)
def test_scoped_user_gets_for_anothers_object_what_a_missing_one_gets(
    client_for, world, username, theirs
):
    """A vendor against another vendor's object; a municipal user against another
    municipality's (which is also another vendor's)."""
    client = client_for(getattr(world.cast, username))
    checked = 0
    for name in _names():
        kwargs = world.kwargs(name)
        if not kwargs or name in PUBLIC:
            continue
        other = client.get(_url(name, kwargs[theirs]))
        missing = client.get(_url(name, kwargs["missing"]))
        assert other.status_code == missing.status_code, (
            name,
            other.status_code,
            missing.status_code,
        )
        assert other.status_code in (403, 404, 405), (name, other.status_code)
        if other.status_code != 405:
            post = client.post(_url(name, kwargs[theirs]))
            assert post.status_code in (403, 404, 405), (name, "POST", post.status_code)
        checked += 1
    assert checked >= 20


@pytest.mark.parametrize("username", ["alice", "chiyo"])
def test_vendor_and_municipality_are_refused_staff_only_pages(client_for, world, username):
    client = client_for(getattr(world.cast, username))
    for name in STAFF_ONLY:
        assert client.get(reverse(name)).status_code == 403, name


def test_help_desk_is_refused_operator_only_pages(client_for, world):
    client = client_for(world.cast.helpdesk)
    for name in OPERATOR_ONLY:
        assert client.get(reverse(name)).status_code == 403, name
        assert client.post(reverse(name)).status_code in (403, 405), name


def test_operator_and_helpdesk_pages_answer_without_server_errors(client_for, world):
    for user in (world.cast.operator, world.cast.helpdesk, world.cast.alice, world.cast.chiyo):
        client = client_for(user)
        for name in _names():
            if name in ("logout",):
                continue
            kwargs = world.kwargs(name)
            response = client.get(_url(name, kwargs["a"] if kwargs else None))
            assert response.status_code < 500, (user.username, name, response.status_code)
            if user == world.cast.operator and name not in PUBLIC | VENDOR_ONLY:
                # 410: the demo submission has no stored original to download.
                assert response.status_code in (200, 302, 405, 410), (name, response.status_code)


def _admin_and_queue_urls() -> list[str]:
    """Every pattern of the Django admin and of django-rq's views, its parameters filled with
    the first value it accepts (these pages are operators' alone, whatever the object)."""
    urls = []
    for name, pattern in _walk(get_resolver().url_patterns):
        if not name.startswith(("admin:", "django_rq:")):
            continue
        route = pattern.pattern
        params = getattr(route, "converters", {}) or route.regex.groupindex
        for value in ("1", "default", "onboarding"):
            try:
                urls.append(reverse(name, kwargs=dict.fromkeys(params, value)))
                break
            except NoReverseMatch:
                continue
    return urls


def test_admin_and_queue_pages_refuse_everybody_but_operators(client, client_for, world):
    urls = _admin_and_queue_urls()
    assert len(urls) >= 40 and any("/django-rq/" in u for u in urls), len(urls)
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and "login" in response["Location"], (url, "anonymous")
    for user in (world.cast.helpdesk, world.cast.alice, world.cast.chiyo, world.cast.outsider):
        logged_in = client_for(user)
        for url in urls:
            response = logged_in.get(url)
            # The admin sends a non-staff user's /admin/logout/ to /admin/, itself refused here.
            refused = response.status_code in (401, 403, 404) or (
                response.status_code == 302
                and ("login" in response["Location"] or response["Location"] == "/admin/")
            )
            assert refused, (user.username, url, response.status_code, response.get("Location"))
            if response.status_code != 404:
                post = logged_in.post(url)
                assert post.status_code in (302, 401, 403, 404, 405), (user.username, url, "POST")
