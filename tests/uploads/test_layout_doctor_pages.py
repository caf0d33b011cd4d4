"""The 「レイアウト診断」 pages end to end (issue 24): a municipality's real exports diagnosed,
the mapping adjusted and saved as versions, submissions on two channels validated through it,
the 変換仕様書 and the JSON mapping downloaded and imported; masking and isolation throughout."""

import csv
import io
import json
import re
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from console.models import AuditRecord
from intake.folder.receive import folder_sweep
from onboarding.models import Integration
from tests.fixtures.uploads.doctor import exports
from uploads import mappings
from uploads.models import (
    LayoutDiagnosis,
    LayoutMapping,
    LayoutMappingVersion,
    Submission,
    Verdict,
)

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "uploads" / "doctor"
KOKUHO = FIXTURES / "kokuho.cp932.csv"
KODOMO = FIXTURES / "kodomo-title-row.xlsx"
TWELVE = re.compile(r"(?<![0-9])[0-9]{12}(?![0-9])")
FIXED = {"orgSpecificCertificateTypeId": "KODOMO01", "isAlwaysReimbursement": "0"}


@pytest.fixture
def jobs(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


def _my_numbers() -> set[str]:
    return {r["myNumber"] for r in exports.records(**exports.KOKUHO_RECORDS)}


def _text(response) -> str:
    if hasattr(response, "streaming_content"):
        return b"".join(response.streaming_content).decode("utf-8-sig")
    return response.content.decode("utf-8-sig")


def _diagnose(client, integration, path: Path):
    with open(path, "rb") as fh:
        return client.post(f"/integrations/{integration.pk}/layout/diagnose/", {"file": fh})


def _form_data(form, **values) -> dict:
    """What the browser sends for the editor as shown, with ``values`` (field path → fixed
    value) typed in."""
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value in (None, "", []) or value is False:
            continue
        data[name] = "on" if value is True else value
    for row in form.rows:
        if row["spec"].path in values:
            data[row["value"]] = values[row["spec"].path]
    return data


def _save_proposal(client, integration, path: Path):
    diagnosed = _diagnose(client, integration, path)
    assert diagnosed.status_code == 302
    page = client.get(diagnosed.url)
    assert page.status_code == 200
    data = _form_data(page.context["form"], **FIXED)
    return page, client.post(f"/integrations/{integration.pk}/layout/edit/", data), data


def test_cp932_export_diagnosed_with_proposals_and_masked_samples(cast, client_for):
    client = client_for(cast.alice)
    page, _saved, _data = _save_proposal(client, cast.integration_a, KOKUHO)
    text = page.content.decode()
    rows = {r["spec"].path: r for r in page.context["rows"]}
    assert rows["myNumber"]["proposal"]["column"] == "個人番号"
    assert rows["basicFiveInfo.nameKana"]["proposal"]["column"] == "ｶﾅ氏名"
    assert rows["basicFiveInfo.sex"]["proposal"]["column"] == "性別"
    assert rows["myNumber"]["confidence"] >= 80
    assert "検査数字が正しい12桁" in rows["myNumber"]["proposal"]["reason"]
    # Samples are masked: no 個人番号 in full, a 個人番号 shows its last 4 at most.
    assert not TWELVE.search(text)
    assert not any(n in text for n in _my_numbers())
    assert all(s.startswith("********") for s in rows["myNumber"]["samples"])
    assert "信頼度" in text or "確からしさ" in text


def test_saved_once_as_a_version_with_an_audit_record_double_submit_safe(cast, client_for):
    client = client_for(cast.alice)
    _page, saved, data = _save_proposal(client, cast.integration_a, KOKUHO)
    assert saved.status_code == 302, saved.context and saved.context["mapping_errors"]
    (version,) = LayoutMappingVersion.objects.all()
    assert version.number == 1 and version.created_by == cast.alice
    assert version.document["fields"]["orgSpecificCertificateTypeId"] == {"value": "KODOMO01"}
    assert version.document["fields"]["basicFiveInfo.sex"]["conversions"][0]["op"] == "map"
    assert version.source_name == "kokuho.cp932.csv"
    (record,) = AuditRecord.objects.filter(action="mapping_saved")
    assert record.object_id == str(version.pk) and record.detail["how"] == "edit"
    # The same form sent again (a double click, the back button): nothing more is saved.
    again = client.post(f"/integrations/{cast.integration_a.pk}/layout/edit/", data, follow=True)
    assert LayoutMappingVersion.objects.count() == 1
    assert "保存" in again.content.decode()
    # Opened on version 1 and sent unchanged: no version 2 either.
    data["base_version"] = 1
    client.post(f"/integrations/{cast.integration_a.pk}/layout/edit/", data)
    assert LayoutMappingVersion.objects.count() == 1
    # A real change makes version 2, and the mapping points to it.
    sex = next(r for r in _page.context["form"].rows if r["spec"].path == "basicFiveInfo.sex")
    data[sex["table"]] = "男=1\n女=2\n不詳=0"
    client.post(f"/integrations/{cast.integration_a.pk}/layout/edit/", data)
    mapping = LayoutMapping.objects.get(integration=cast.integration_a)
    assert mapping.current.number == 2
    table = mapping.current.document["fields"]["basicFiveInfo.sex"]["conversions"][-1]["table"]
    assert table == {"男": "1", "女": "2", "不詳": "0"}
    assert AuditRecord.objects.filter(action="mapping_saved").count() == 2


def test_editor_refuses_a_bad_mapping_with_japanese_errors(cast, client_for):
    client = client_for(cast.alice)
    diagnosed = _diagnose(client, cast.integration_a, KOKUHO)
    page = client.get(diagnosed.url)
    form = page.context["form"]
    data = _form_data(form, **FIXED)
    rows = {r["spec"].path: r for r in form.rows}
    data[rows["basicFiveInfo.address"]["column"]] = data[rows["basicFiveInfo.name"]["column"]]
    data[rows["basicFiveInfo.sex"]["table"]] = "男1"
    response = client.post(f"/integrations/{cast.integration_a.pk}/layout/edit/", data)
    assert response.status_code == 200
    assert "「=」" in response.content.decode()
    del data[rows["basicFiveInfo.sex"]["table"]]
    response = client.post(f"/integrations/{cast.integration_a.pk}/layout/edit/", data)
    assert response.status_code == 200
    assert any("両方に割り当てられています" in e for e in response.context["mapping_errors"])
    assert LayoutMappingVersion.objects.count() == 0


def test_unreadable_file_gets_a_japanese_error_and_is_kept(cast, client_for):
    client = client_for(cast.alice)
    response = client.post(
        f"/integrations/{cast.integration_a.pk}/layout/diagnose/",
        {"file": io.BytesIO(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)},
        follow=True,
    )
    assert response.status_code == 200
    diagnosis = cast.integration_a.layout_diagnoses.get()
    assert diagnosis.problem and diagnosis.profile is None and diagnosis.size == 608
    assert diagnosis.problem in response.content.decode()


def test_another_vendors_integration_answers_like_a_missing_one(cast, client_for):
    client = client_for(cast.alice)
    _save_proposal(client, cast.integration_a, KOKUHO)
    bob = client_for(cast.bob)
    pk = cast.integration_a.pk
    for url in (
        f"/integrations/{pk}/layout/",
        f"/integrations/{pk}/layout/edit/",
        f"/integrations/{pk}/layout/mapping.json",
        f"/integrations/{pk}/layout/specification.csv",
    ):
        assert bob.get(url).status_code == 404, url
    with open(KOKUHO, "rb") as fh:
        assert bob.post(f"/integrations/{pk}/layout/diagnose/", {"file": fh}).status_code == 404
    assert bob.post(f"/integrations/{pk}/layout/use/", {"use": "1"}).status_code == 404
    assert not LayoutMapping.objects.get(integration_id=pk).use_for_submissions
    # A vendor's diagnosis id does not open under another integration either.
    diagnosis = cast.integration_a.layout_diagnoses.first()
    other = client_for(cast.operator).get(
        f"/integrations/{cast.integration_b.pk}/layout/edit/?d={diagnosis.pk}"
    )
    assert other.status_code == 404
    # The help desk sees the page and downloads, but does not change the mapping.
    helpdesk = client_for(cast.helpdesk)
    assert helpdesk.get(f"/integrations/{pk}/layout/").status_code == 200
    assert helpdesk.post(f"/integrations/{pk}/layout/use/", {"use": "1"}).status_code == 403


def _use(client, integration):
    response = client.post(f"/integrations/{integration.pk}/layout/use/", {"use": "1"})
    assert response.status_code == 302
    assert LayoutMapping.objects.get(integration=integration).use_for_submissions


def test_web_upload_validated_through_the_mapping_with_conversions_as_warnings(
    cast, client_for, jobs
):
    client = client_for(cast.alice)
    _save_proposal(client, cast.integration_a, KOKUHO)
    _use(client, cast.integration_a)
    assert AuditRecord.objects.filter(action="mapping_use").count() == 1
    integration_page = client.get(cast.integration_a.get_absolute_url()).content.decode()
    assert "対応表の第 1 版を通して検証します" in integration_page
    with jobs(), open(KOKUHO, "rb") as fh:
        client.post(f"/integrations/{cast.integration_a.pk}/upload/", {"files": [fh]})
    submission = Submission.objects.get()
    assert submission.verdict == Verdict.REJECTED  # the planted problems
    assert submission.layout_mapping_version.number == 1
    report = submission.report
    errors = {(i["row"], i["code"]) for i in report["issues"] if i["severity"] == "error"}
    assert errors == {(5, "V_DATE"), (8, "V_CODE"), (10, "V_CHECK_DIGIT"), (12, "V_KANA")}
    applied = {
        (i["field"], i["conversion"]): i["rows"]
        for i in report["issues"]
        if i["code"] == "C_APPLIED"
    }
    assert applied[("basicFiveInfo.nameKana", "kana")] == 14
    assert applied[("basicFiveInfo.dateOfBirth", "date")] == 13
    assert applied[("basicFiveInfo.sex", "map")] == 13
    assert applied[("orgSpecificCertificateTypeId", "value")] == 14
    assert all(i["severity"] == "warning" for i in report["issues"] if i["code"].startswith("C_"))
    codes = ("C_DATE", "C_VALUE")
    problems = [(i["row"], i["code"]) for i in report["issues"] if i["code"] in codes]
    assert problems == [(5, "C_DATE"), (8, "C_VALUE")]
    birth = next(i for i in report["issues"] if i["code"] == "C_DATE")
    assert "昭和55年2月30日" not in birth["message"] and birth["value"] == "S**.*.**"
    assert report["counts"]["C_APPLIED"] == len(applied)
    assert report["warnings"] == sum(1 for i in report["issues"] if i["severity"] == "warning")
    stored = submission.issues.filter(code="C_APPLIED").count()
    assert stored == len(applied)
    page = client.get(submission.get_absolute_url()).content.decode()
    assert "PMH のレイアウト" in page or "converted.csv" in page
    # The records in PMH's layout: converted, masked like a report.
    converted = _text(client.get(f"/submissions/{submission.pk}/converted.csv"))
    assert not TWELVE.search(converted)
    rows = list(csv.DictReader(io.StringIO(converted)))
    assert len(rows) == 14
    truth = exports.records(**exports.KOKUHO_RECORDS)
    disclosed = [
        (row, rec)
        for n, (row, rec) in enumerate(zip(rows, truth, strict=True), start=1)
        if row["isNotDisclosed"] == "0" and n not in (5, 8, 10, 12)  # planted
    ]
    assert disclosed and all(
        row["myNumber"] == "********" + rec["myNumber"][-4:] for row, rec in disclosed
    )
    hidden = [row for row in rows if row["isNotDisclosed"] not in ("0", "false")]
    assert hidden and all(row["basicFiveInfo.name"] == "(不開示)" for row in hidden)
    assert rows[0]["basicFiveInfo.nameKana"] == truth[0]["basicFiveInfo"]["nameKana"] or (
        rows[0]["basicFiveInfo.nameKana"] == "(不開示)"
    )
    # Another vendor cannot download it.
    other = client_for(cast.bob).get(f"/submissions/{submission.pk}/converted.csv")
    assert other.status_code == 404


def test_xlsx_with_title_row_through_the_web_upload(cast, client_for, jobs):
    client = client_for(cast.alice)
    _save_proposal(client, cast.integration_a, KODOMO)
    _use(client, cast.integration_a)
    with jobs(), open(KODOMO, "rb") as fh:
        client.post(f"/integrations/{cast.integration_a.pk}/upload/", {"files": [fh]})
    submission = Submission.objects.get()
    issues = submission.report["issues"]
    errors = [(i["row"], i["field"], i["code"]) for i in issues if i["severity"] == "error"]
    assert errors == [(3, "myNumber", "V_CHARSET")]  # 1.23457E+11: cannot be repaired
    line = next(i["line"] for i in issues if i["code"] == "V_CHARSET")
    assert line == 7  # the sheet's row, under the title rows
    applied = {(i["field"], i["conversion"]): i["rows"] for i in issues if i["code"] == "C_APPLIED"}
    assert applied[("medicalSubsidyRecipientNumber", "pad")] == 3
    assert applied[("validFrom", "date")] == 12
    exponent = next(i for i in issues if i["code"] == "C_EXPONENT")
    assert exponent["row"] == 3 and exponent["value"] == "*******E+11"


def test_folder_channel_validated_through_the_mapping(cast, client_for, jobs, settings):
    client = client_for(cast.alice)
    _save_proposal(client, cast.integration_a, KOKUHO)
    _use(client, cast.integration_a)
    with jobs():
        folder_sweep(now=time.time() + 3600)
    inbox = settings.PMH_DROPBOX_ROOT / "131016" / "inbox"
    (inbox / "kokuho.full.csv").write_bytes(KOKUHO.read_bytes())
    with jobs():
        folder_sweep(now=time.time() + 3600)
    submission = Submission.objects.get()
    assert submission.channel == "folder" and submission.layout_mapping_version.number == 1
    outbox = settings.PMH_DROPBOX_ROOT / "131016" / "outbox"
    report = json.loads((outbox / "kokuho.full.csv.result.json").read_bytes())
    assert report["counts"]["C_APPLIED"] >= 5
    assert {i["code"] for i in report["issues"] if i["severity"] == "error"} == {
        "V_DATE",
        "V_CODE",
        "V_CHECK_DIGIT",
        "V_KANA",
    }
    result_csv = (outbox / "kokuho.full.csv.result.csv").read_text(encoding="utf-8-sig")
    assert "C_APPLIED" in result_csv and not TWELVE.search(result_csv)


def test_off_by_default_and_switched_off_again(cast, client_for, jobs):
    client = client_for(cast.alice)
    _save_proposal(client, cast.integration_a, KOKUHO)
    with jobs(), open(KOKUHO, "rb") as fh:
        client.post(f"/integrations/{cast.integration_a.pk}/upload/", {"files": [fh]})
    submission = Submission.objects.get()
    assert submission.layout_mapping_version is None
    integration_page = client.get(cast.integration_a.get_absolute_url()).content.decode()
    assert "レイアウト診断" in integration_page and "を通して検証します" not in integration_page
    assert submission.report["counts"].get("F_HEADER_MISSING")
    assert client.get(f"/submissions/{submission.pk}/converted.csv").status_code == 404
    _use(client, cast.integration_a)
    client.post(f"/integrations/{cast.integration_a.pk}/layout/use/", {"use": "0"})
    assert not LayoutMapping.objects.get(integration=cast.integration_a).use_for_submissions
    assert AuditRecord.objects.filter(action="mapping_use").count() == 2


def test_specification_downloads_are_masked(cast, client_for):
    client = client_for(cast.alice)
    _save_proposal(client, cast.integration_a, KOKUHO)
    pk = cast.integration_a.pk
    text = _text(client.get(f"/integrations/{pk}/layout/specification.csv"))
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:5] == ["PMH の項目", "日本語名", "必須", "元の列", "変換"]
    by_field = {r[0]: r for r in rows[1:]}
    assert by_field["basicFiveInfo.sex"][3] == "列「性別」"
    assert "値を対応表で置き換える" in by_field["basicFiveInfo.sex"][4]
    assert not TWELVE.search(text)
    response = client.get(f"/integrations/{pk}/layout/specification.xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    cells = [str(c) for row in book.active.iter_rows(values_only=True) for c in row if c]
    assert "PMH の項目" in cells and not any(TWELVE.search(c) for c in cells)
    assert client.get(f"/integrations/{pk}/layout/specification.pdf").status_code == 404
    assert AuditRecord.objects.filter(action="download_file").count() == 2


def test_mapping_exported_and_imported_by_the_vendor_for_another_municipality(cast, client_for):
    client = client_for(cast.alice)
    _save_proposal(client, cast.integration_a, KOKUHO)
    exported = client.get(f"/integrations/{cast.integration_a.pk}/layout/mapping.json")
    assert exported.status_code == 200
    document = json.loads(exported.content)
    other = Integration.objects.create(
        municipality=cast.sapporo, vendor=cast.vendor_a, business_system="子ども医療費助成"
    )
    response = client.post(
        f"/integrations/{other.pk}/layout/import/",
        {"file": io.BytesIO(exported.content)},
    )
    assert response.status_code == 302
    version = LayoutMapping.objects.get(integration=other).current
    assert version.document == document and version.how == "import"
    # The same file again: no new version.
    client.post(f"/integrations/{other.pk}/layout/import/", {"file": io.BytesIO(exported.content)})
    assert LayoutMappingVersion.objects.filter(mapping__integration=other).count() == 1
    # A broken or wrong file: Japanese errors, nothing saved.
    bad = dict(document, fields={"nope": {"column": "x"}})
    response = client.post(
        f"/integrations/{other.pk}/layout/import/",
        {"file": io.BytesIO(json.dumps(bad).encode())},
        follow=True,
    )
    assert "PMH のレイアウトにない項目です" in response.content.decode()
    response = client.post(
        f"/integrations/{other.pk}/layout/import/", {"file": io.BytesIO(b"{oops")}, follow=True
    )
    assert "JSON として読めません" in response.content.decode()
    assert LayoutMappingVersion.objects.filter(mapping__integration=other).count() == 1
    # Not into another vendor's integration.
    response = client.post(
        f"/integrations/{cast.integration_b.pk}/layout/import/",
        {"file": io.BytesIO(exported.content)},
    )
    assert response.status_code == 404


def test_same_file_diagnosed_twice_is_one_diagnosis_and_its_bytes_go_after_retention(
    cast, client_for, settings
):
    client = client_for(cast.alice)
    first = _diagnose(client, cast.integration_a, KOKUHO)
    _page, saved, _data = _save_proposal(client, cast.integration_a, KOKUHO)
    assert saved.status_code == 302
    assert _page.request["QUERY_STRING"] == first.url.split("?")[1]
    (diagnosis,) = cast.integration_a.layout_diagnoses.all()
    path = mappings.diagnosis_path(diagnosis)
    assert path is not None and path.read_bytes() == KOKUHO.read_bytes()
    assert mappings.diagnosis_retention_sweep() == 0
    LayoutDiagnosis.objects.update(
        created_at=timezone.now() - timedelta(days=settings.PMH_RETENTION_DAYS + 1)
    )
    assert mappings.diagnosis_retention_sweep() == 1
    diagnosis.refresh_from_db()
    assert not path.exists() and diagnosis.storage_name == "" and diagnosis.profile
    # The 変換仕様書 still downloads, without examples from the file.
    text = _text(client.get(f"/integrations/{cast.integration_a.pk}/layout/specification.csv"))
    sex = next(r for r in csv.reader(io.StringIO(text)) if r[0] == "basicFiveInfo.sex")
    assert sex[3] == "列「性別」" and sex[5:] == ["", "", ""]


def test_export_near_the_size_limit_is_not_too_large_once_converted(
    cast, client_for, jobs, settings
):
    settings.PMH_MAX_UPLOAD_MB = 1
    data = exports.kokuho_csv(exports.records(7000, seed=3), plant=False)
    assert 0.6 * 2**20 < len(data) < 2**20
    client = client_for(cast.alice)
    _save_proposal(client, cast.integration_a, KOKUHO)
    _use(client, cast.integration_a)
    with jobs():
        client.post(
            f"/integrations/{cast.integration_a.pk}/upload/",
            {"files": [io.BytesIO(data)]},
        )
    submission = Submission.objects.get()
    assert submission.rows == 7000
    assert "F_TOO_LARGE" not in submission.report["counts"]


def test_json_goes_as_it_is_and_an_unreadable_file_is_validated_as_it_came(cast, client_for, jobs):
    client = client_for(cast.alice)
    _save_proposal(client, cast.integration_a, KOKUHO)
    _use(client, cast.integration_a)
    records = exports.records(3, seed=5)
    payload = json.dumps(records, ensure_ascii=False).encode()
    with jobs():
        client.post(
            f"/integrations/{cast.integration_a.pk}/upload/",
            {"files": [io.BytesIO(payload), io.BytesIO(b"")]},
        )
    as_json, empty = Submission.objects.order_by("pk")
    assert as_json.layout_mapping_version is None and as_json.rows == 3
    assert "C_APPLIED" not in as_json.report["counts"]
    assert empty.layout_mapping_version.number == 1
    codes = [(i["code"], i["severity"]) for i in empty.report["issues"]]
    assert codes == [("F_EMPTY", "error"), ("C_SOURCE", "warning")]
    assert "そのまま検証しました" in empty.report["issues"][1]["message"]


def test_joined_columns_from_an_imported_mapping_survive_the_editor(cast, client_for):
    client = client_for(cast.alice)
    _page, _saved, _data = _save_proposal(client, cast.integration_a, KOKUHO)
    document = LayoutMapping.objects.get(integration=cast.integration_a).current.document
    document["fields"]["basicFiveInfo.address"] = {"columns": ["住所", "方書"], "joiner": "　"}
    client.post(
        f"/integrations/{cast.integration_a.pk}/layout/import/",
        {"file": io.BytesIO(json.dumps(document, ensure_ascii=False).encode())},
    )
    page = client.get(f"/integrations/{cast.integration_a.pk}/layout/edit/")
    assert "複数の列「住所」「方書」" in page.content.decode()
    data = _form_data(page.context["form"])
    sex = next(r for r in page.context["form"].rows if r["spec"].path == "basicFiveInfo.sex")
    data[sex["table"]] = "男=1\n女=2\n不詳=0"
    client.post(f"/integrations/{cast.integration_a.pk}/layout/edit/", data)
    current = LayoutMapping.objects.get(integration=cast.integration_a).current
    assert current.number == 3
    assert current.document["fields"]["basicFiveInfo.address"]["columns"] == ["住所", "方書"]


def test_no_full_mynumber_or_non_disclosed_value_on_any_layout_doctor_page(cast, client_for, jobs):
    """A non-disclosed person with an unconvertible birth date and a bad sex value: nothing of
    them, and no full 個人番号 of anyone, on any page, download or stored report."""
    records = exports.records(20, seed=31)
    hidden = records[4]
    hidden["isNotDisclosed"] = True
    hidden["basicFiveInfo"].update(name="秘匿\u3000花子", address="東京都秘密町9-8-7")
    data = exports.kokuho_csv(records)  # row 5: S55.2.30, the planted unconvertible date
    secrets = [
        "秘匿\u3000花子",
        "東京都秘密町9-8-7",
        "秘密町",
        "S55.2.30",
        "昭和55年2月30日",
        *{r["myNumber"] for r in records},
    ]
    client = client_for(cast.alice)
    diagnosed = client.post(
        f"/integrations/{cast.integration_a.pk}/layout/diagnose/",
        {"file": io.BytesIO(data)},
    )
    page = client.get(diagnosed.url)
    client.post(
        f"/integrations/{cast.integration_a.pk}/layout/edit/",
        _form_data(page.context["form"], **FIXED),
    )
    _use(client, cast.integration_a)
    with jobs():
        client.post(f"/integrations/{cast.integration_a.pk}/upload/", {"files": [io.BytesIO(data)]})
    submission = Submission.objects.get()
    assert submission.issues.filter(row=5, code="C_DATE", value="(不開示)").exists()
    pk, s = cast.integration_a.pk, submission.pk
    bodies = {"edit": page.content.decode()}
    for url in (
        f"/integrations/{pk}/layout/",
        f"/integrations/{pk}/layout/edit/",
        f"/integrations/{pk}/layout/mapping.json",
        f"/integrations/{pk}/layout/specification.csv",
        f"/submissions/{s}/",
        f"/submissions/{s}/result.json",
        f"/submissions/{s}/result.csv",
        f"/submissions/{s}/converted.csv",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        bodies[url] = _text(response)
    book = load_workbook(
        io.BytesIO(client.get(f"/integrations/{pk}/layout/specification.xlsx").content)
    )
    bodies["xlsx"] = repr([list(r) for r in book.active.iter_rows(values_only=True)])
    bodies["stored report"] = repr(submission.report)
    bodies["issues"] = repr(list(submission.issues.values_list("message", "value")))
    bodies["diagnosis"] = repr(list(LayoutDiagnosis.objects.values_list("profile", "problem")))
    bodies["audit"] = repr(list(AuditRecord.objects.values()))
    for where, body in bodies.items():
        assert not TWELVE.search(body), where
        for secret in secrets:
            assert secret not in body, (where, secret)
