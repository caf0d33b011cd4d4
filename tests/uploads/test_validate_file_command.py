"""``manage.py validate_file``: output, exit codes and options."""

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "uploads"
ROOT = Path(__file__).resolve().parents[2]


def run(*args, capsys):
    try:
        call_command("validate_file", *map(str, args))
        status = 0
    except SystemExit as exc:
        status = exc.code
    return status, capsys.readouterr().out


@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("valid.cp932.csv", 0),
        ("V_KANA.cp932.csv", 1),
        ("F_CSV_SYNTAX.csv", 2),
        ("V_HOUBETSU_UNKNOWN.csv", 0),
    ],
)
def test_exit_status_and_json_report(name, status, capsys):
    code, out = run(FIXTURES / name, "--json", "--today", "2025-06-01", capsys=capsys)
    report = json.loads(out)
    assert code == status
    assert report["accepted"] == (status == 0)
    assert set(report) >= {
        "layout",
        "mode",
        "format",
        "encoding",
        "options",
        "rows",
        "valid_rows",
        "errors",
        "warnings",
        "accepted",
        "counts",
        "issues",
        "issues_total",
        "issues_truncated",
        "diff",
        "comment",
    }


def test_human_summary_in_japanese(capsys):
    code, out = run(FIXTURES / "V_KANA.cp932.csv", capsys=capsys)
    assert code == 1
    assert "判定: 不受理" in out and "V_KANA" in out and "全角カタカナ" in out
    assert "文字コード: cp932" in out


def test_against_previous_file_and_mynumber_warning(capsys):
    code, out = run(
        FIXTURES / "valid.json", "--against", FIXTURES / "valid.cp932.csv", "--json", capsys=capsys
    )
    assert code == 0
    assert json.loads(out)["diff"] == {"added": 0, "changed": 0, "unchanged": 2, "removed": 0}
    code, out = run(
        FIXTURES / "V_CHECK_DIGIT.csv", "--mynumber-check", "warning", "--json", capsys=capsys
    )
    assert code == 0
    assert json.loads(out)["options"] == {
        "myNumberCheckDigit": "warning",
        "insurerCheckDigit": "error",
    }


def test_diff_mode_and_programs(capsys):
    code, out = run(
        FIXTURES / "K_DELETE_UNKNOWN.diff.jsonl", "--mode", "diff", "--json", capsys=capsys
    )
    assert code == 0
    assert json.loads(out)["diff"] == {"inserted": 1, "updated": 0, "deleted": 0}
    code, out = run(
        FIXTURES / "V_HOUBETSU_UNKNOWN.csv", "--programs", "46131012", "--json", capsys=capsys
    )
    assert json.loads(out)["warnings"] == 0


def _bad_insurer_file(tmp_path) -> Path:
    from uploads.lib.validation import samples

    recs = samples.records(2)
    for rec, houbetsu in zip(recs, ("81", "83"), strict=True):
        number = samples.insurer_number(houbetsu)
        rec["medicalSubsidyInsurerNumber"] = number[:-1] + str((int(number[-1]) + 1) % 10)
        rec["medicalSubsidyRecipientNumber"] = "K1"
    path = tmp_path / "chiken.csv"
    path.write_bytes(samples.csv_bytes(recs))
    return path


def test_insurer_check_warning(tmp_path, capsys):
    path = _bad_insurer_file(tmp_path)
    code, out = run(path, "--json", capsys=capsys)
    assert code == 1
    code, out = run(path, "--insurer-check", "warning", "--json", capsys=capsys)
    report = json.loads(out)
    assert code == 0
    assert report["options"] == {"myNumberCheckDigit": "error", "insurerCheckDigit": "warning"}
    assert [(i["row"], i["code"], i["severity"]) for i in report["issues"]] == [
        (1, "V_CHECK_DIGIT", "warning"),
        (2, "V_CHECK_DIGIT", "warning"),
    ]
    args = ["--insurer-check", "warning", "--insurer-check-programs", "81"]
    code, out = run(path, *args, "--json", capsys=capsys)
    report = json.loads(out)
    assert code == 1
    assert report["options"]["insurerCheckDigitPrograms"] == ["81"]
    assert [i["severity"] for i in report["issues"]] == ["warning", "error"]
    code, out = run(path, "--insurer-check", "warning", capsys=capsys)
    assert "検証番号の誤りは警告として扱っています" in out


@pytest.mark.parametrize(
    "args",
    [
        ["--insurer-check", "off"],
        ["--insurer-check", "warning", "--insurer-check-programs", "123"],
        ["--insurer-check-programs", "81"],
        ["--municipality", "131017"],
        ["--today", "2025-13-01"],
        ["--programs", "12"],
        ["--mode", "partial"],
        ["--bogus"],
    ],
)
def test_could_not_run_is_status_3(args):
    with pytest.raises(CommandError) as exc:
        call_command("validate_file", str(FIXTURES / "valid.utf8.csv"), *args)
    assert exc.value.returncode == 3


def test_missing_file_is_status_3():
    with pytest.raises(CommandError) as exc:
        call_command("validate_file", str(FIXTURES / "nope.csv"))
    assert exc.value.returncode == 3


@pytest.mark.parametrize(("args", "status"), [(["--bogus"], 3), (["--json"], 2)])
def test_command_line_exit_status(args, status):
    done = subprocess.run(
        [sys.executable, "manage.py", "validate_file", str(FIXTURES / "F_EMPTY.csv"), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={"DJANGO_SETTINGS_MODULE": "pmhadmin.settings", "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == status
    if status == 3:
        assert done.stdout == "" and "unrecognized arguments" in done.stderr
    else:
        assert json.loads(done.stdout)["counts"] == {"F_EMPTY": 1}


def test_command_line_skips_the_app_registry():
    """``manage.py validate_file`` runs without importing every app (start-up is part of its
    speed, issue 21); the report is the one ``call_command`` gives."""
    probe = (
        "import runpy, sys\n"
        "sys.argv = ['manage.py', 'validate_file', sys.argv[1], '--json']\n"
        "try:\n"
        "    runpy.run_path('manage.py', run_name='__main__')\n"
        "finally:\n"
        "    from django.apps import apps\n"
        "    sys.stderr.write(f'apps ready: {apps.ready}\\n')\n"
    )
    path = FIXTURES / "valid.utf8.csv"
    done = subprocess.run(
        [sys.executable, "-c", probe, str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={"DJANGO_SETTINGS_MODULE": "pmhadmin.settings", "PATH": "/usr/bin:/bin"},
    )
    assert "apps ready: False" in done.stderr
    assert done.returncode == 0
    out = io.StringIO()
    call_command("validate_file", str(path), "--json", stdout=out)
    assert json.loads(done.stdout) == json.loads(out.getvalue())
