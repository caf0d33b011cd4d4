"""Municipal staff and the evidence report in a real browser (issue 23)."""

import subprocess

from playwright.sync_api import expect

from onboarding.models import Integration
from tests.e2e.conftest import SCREENSHOTS


def _clean(events):
    return {k: v for k, v in events.items() if v}


def test_municipal_user_sees_its_integration_and_what_to_do_next(
    login, browser_events, shoot, live_server
):
    page = login("city_011002")
    sapporo = Integration.objects.get(dropbox_name="011002")
    page.goto(live_server.url + sapporo.get_absolute_url())
    expect(page.locator(".next-steps h3")).to_have_text("次にすること")
    expect(page.locator(".role")).to_contain_text("札幌市")
    expect(page.get_by_role("button", name="アップロードして検証")).to_be_visible()
    other = Integration.objects.get(dropbox_name="131016")
    assert page.goto(live_server.url + other.get_absolute_url()).status == 404
    page.goto(live_server.url + sapporo.get_absolute_url())
    shoot("municipal-integration")
    assert not [e for e in browser_events["http_error"] if "/131016" not in e and "404" not in e]
    assert not browser_events["pageerror"] and not browser_events["external"]


def test_operator_views_the_evidence_report_and_downloads_its_pdf(
    login, browser_events, shoot, live_server, tmp_path
):
    page = login("operator")
    chiyoda = Integration.objects.get(dropbox_name="131016")
    page.goto(live_server.url + chiyoda.get_absolute_url())
    page.get_by_role("link", name="連携テスト結果報告書").click()
    expect(page.locator("h1")).to_have_text("連携テスト結果報告書")
    expect(page.get_by_role("heading", name="受理された提出")).to_be_visible()
    expect(page.get_by_role("heading", name="疎通確認の記録")).to_be_visible()
    shoot("evidence-report")
    with page.expect_download() as download:
        page.get_by_role("link", name="PDF でダウンロード").click()
    pdf = tmp_path / "report.pdf"
    download.value.save_as(pdf)
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "連携テスト結果報告書" in text and "千代田区" in text
    # The PDF's first page as an image beside the browser's screenshots.
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", str(pdf),
         str(SCREENSHOTS / "evidence-report-pdf-page1")],
        check=True,
    )  # fmt: skip
    assert (SCREENSHOTS / "evidence-report-pdf-page1.png").stat().st_size > 10_000
    assert not _clean(browser_events)
