"""Browser tests: Playwright driving Debian's Chromium against a live server (make e2e)."""

import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from console.roles import ensure_groups
from dashboard import demo

LOOPBACK = {"localhost", "127.0.0.1", "::1"}
SCREENSHOTS = Path(
    os.environ.get("PMH_E2E_DIR", Path(__file__).resolve().parents[2] / "var" / "e2e")
)
PASSWORD = "e2e-Password-42"


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium"),
        # Chromium resolves nothing but loopback: no DNS query leaves the machine.
        "args": ["--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1"],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {
        **browser_context_args,
        "locale": "ja-JP",
        "timezone_id": "Asia/Tokyo",
        "viewport": {"width": 1360, "height": 900},
    }


def _is_external(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https", "ws", "wss") and parts.hostname not in LOOPBACK


def _failed(events: dict, request) -> None:
    # A local request cut short because the test already navigated on (the favicon, say) is
    # not a failure of the page; external requests are aborted on purpose and counted apart.
    if request.failure == "net::ERR_ABORTED" and not _is_external(request.url):
        return
    events["requestfailed"].append(f"{request.url} {request.failure}")


@pytest.fixture
def browser_events(page):
    """Everything a page should never do: console errors (CSP violations among them), failed
    or erroring requests, and requests leaving the machine."""
    events = {"console": [], "pageerror": [], "requestfailed": [], "http_error": [], "external": []}
    page.on("console", lambda m: m.type == "error" and events["console"].append(m.text))
    page.on("pageerror", lambda exc: events["pageerror"].append(str(exc)))
    page.on("requestfailed", lambda r: _failed(events, r))
    page.on(
        "response",
        lambda r: r.status >= 400 and events["http_error"].append(f"{r.status} {r.url}"),
    )
    page.on("request", lambda r: _is_external(r.url) and events["external"].append(r.url))
    page.context.route(_is_external, lambda route: route.abort())
    return events


@pytest.fixture
def demo_data(transactional_db, settings):
    settings.PMH_DEMO_PASSWORD = PASSWORD
    ensure_groups()
    from django.contrib.auth.models import Group

    demo.seed(password=PASSWORD, groups={g.name: g for g in Group.objects.all()})
    demo.advance()


@pytest.fixture
def login(page, live_server, demo_data):
    def sign_in(username: str):
        page.goto(live_server.url + "/login/")
        page.get_by_label("ユーザー名").fill(username)
        page.get_by_label("パスワード").fill(PASSWORD)
        page.get_by_role("button", name="ログイン").click()
        page.wait_for_url(live_server.url + "/")
        return page

    return sign_in


@pytest.fixture
def shoot(page):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(name: str):
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)

    return take
