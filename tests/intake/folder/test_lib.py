"""The shared-folder library on real files: no Django, no sleeps (``now`` is injected)."""

import os
import time
import unicodedata
from datetime import datetime
from pathlib import Path

import pytest

from intake.folder import lib as dropbox
from intake.folder.lib import (
    ScanState,
    archive,
    claim,
    ensure_layout,
    intake_lock,
    move_to_error,
    outbox_base,
    recover_processing,
    refuse,
    scan_inbox,
    write_outbox,
)
from intake.lib.safe_names import display_name, extension, mode_from_name, safe_name

CSV = "myNumber,name\n123456789018,山田\n".encode()
BOM = b"\xef\xbb\xbf"


@pytest.fixture
def layout(tmp_path):
    return ensure_layout(tmp_path / "dropbox", "131016")


def put(layout, name, data=CSV, *, age=60.0):
    path = layout.inbox / name
    path.write_bytes(data)
    stamp = time.time() - age
    os.utime(path, (stamp, stamp))
    return path


def later(seconds=0.0):
    """A clock ahead of the real one: ctime of files made now is at least that old."""
    return time.time() + seconds


# --- layout, names, modes -------------------------------------------------------------------


def test_ensure_layout_creates_the_five_folders(tmp_path):
    layout = ensure_layout(tmp_path, "131016-2")
    assert sorted(p.name for p in layout.path.iterdir()) == sorted(dropbox.SUBFOLDERS)
    assert ensure_layout(tmp_path, "131016-2") == layout  # idempotent


@pytest.mark.parametrize("name", ["", "..", "../x", "a/b", "CON", " x"])
def test_ensure_layout_refuses_unusable_names(tmp_path, name):
    with pytest.raises(dropbox.DropboxError):
        ensure_layout(tmp_path, name)


@pytest.mark.parametrize(
    ("name", "mode"),
    [
        ("daily.full.csv", "full"),
        ("daily.diff.json", "diff"),
        ("DAILY.FULL.CSV", "full"),
        ("daily.csv", None),
        ("full.csv", None),
        ("daily.partial.csv", None),
        ("a.b.diff.csv", "diff"),
    ],
)
def test_mode_from_name(name, mode):
    assert mode_from_name(name) == mode


# --- scanning -------------------------------------------------------------------------------


def test_old_regular_file_is_ready(layout):
    put(layout, "daily.full.csv")
    scan = scan_inbox(layout, stable_seconds=5, now=later(10))
    assert [c.name for c in scan.ready] == ["daily.full.csv"]
    assert scan.ready[0].size == len(CSV)
    assert scan.refused == scan.waiting == []


def test_fresh_file_waits_for_the_quiet_period(layout):
    put(layout, "daily.csv", age=0)
    now = time.time()
    assert scan_inbox(layout, stable_seconds=5, now=now).waiting == ["daily.csv"]
    assert [c.name for c in scan_inbox(layout, stable_seconds=5, now=now + 6).ready] == [
        "daily.csv"
    ]


def test_file_still_being_written_is_not_taken(layout):
    state = ScanState()
    path = put(layout, "daily.csv", age=0)
    now = time.time()
    assert scan_inbox(layout, stable_seconds=5, now=now, state=state).waiting == ["daily.csv"]
    with open(path, "ab") as fh:  # the writer goes on
        fh.write(b"123456789018,more\n")
    scan = scan_inbox(layout, stable_seconds=5, now=now + 1, state=state)
    assert scan.ready == [] and scan.waiting == ["daily.csv"]
    scan = scan_inbox(layout, stable_seconds=5, now=now + 7, state=state)
    assert [c.size for c in scan.ready] == [path.stat().st_size]


def test_preserved_old_mtime_still_waits_while_ctime_is_fresh(layout):
    # An SMB copy keeps the source's mtime from last week while the bytes still arrive.
    path = put(layout, "copied.csv", age=7 * 86400)
    assert time.time() - path.stat().st_ctime < 5
    assert scan_inbox(layout, stable_seconds=5, now=time.time()).waiting == ["copied.csv"]


def test_mtime_in_the_future_becomes_stable_by_two_observations(layout):
    path = put(layout, "skewed.csv")
    future = time.time() + 3600  # the sender's clock is an hour ahead
    os.utime(path, (future, future))
    state = ScanState()
    now = later(10)
    assert scan_inbox(layout, stable_seconds=5, now=now, state=state).waiting == ["skewed.csv"]
    assert scan_inbox(layout, stable_seconds=5, now=now + 2, state=state).ready == []
    assert [c.name for c in scan_inbox(layout, stable_seconds=5, now=now + 5, state=state).ready]


def test_state_forgets_files_that_left(layout):
    state = ScanState()
    path = put(layout, "a.csv", age=0)
    scan_inbox(layout, stable_seconds=5, now=time.time(), state=state)
    assert str(path) in state.seen
    path.unlink()
    scan_inbox(layout, stable_seconds=5, now=time.time(), state=state)
    assert state.seen == {}


@pytest.mark.parametrize(
    "name", ["daily.csv.tmp", "daily.csv.part", "daily.csv~", ".hidden.csv", ".~lock.x.csv#"]
)
def test_ignored_names_are_left_alone(layout, name):
    put(layout, name)
    scan = scan_inbox(layout, stable_seconds=5, now=later(10))
    assert scan.ready == scan.refused == scan.waiting == []
    assert (layout.inbox / name).exists()


def test_subfolders_are_ignored(layout):
    (layout.inbox / "sub").mkdir()
    (layout.inbox / "sub" / "x.csv").write_bytes(CSV)
    (layout.inbox / "dir.csv").mkdir()  # a ".csv" directory
    scan = scan_inbox(layout, stable_seconds=5, now=later(10))
    assert scan.ready == scan.refused == scan.waiting == []


def test_symlink_is_refused_and_never_followed(layout, tmp_path):
    secret = tmp_path / "shadow"
    secret.write_bytes(b"root:$6$secret:19000:0:99999:7:::\n")
    (layout.inbox / "passwd.csv").symlink_to(secret)
    (layout.inbox / "etc.csv").symlink_to("/etc/shadow")
    scan = scan_inbox(layout, stable_seconds=5, now=later(10))
    assert sorted((r.name, r.code) for r in scan.refused) == [
        ("etc.csv", "symlink"),
        ("passwd.csv", "symlink"),
    ]
    for refusal in scan.refused:
        moved = refuse(refusal)
        assert moved.is_symlink()  # the link itself moved; its target untouched
        reason = Path(str(moved) + ".reason.txt").read_bytes()
        assert reason.startswith(BOM) and "シンボリックリンク" in reason.decode("utf-8-sig")
    assert secret.read_bytes().startswith(b"root:")
    assert list(layout.inbox.iterdir()) == []


def test_fifo_is_refused_without_blocking(layout):
    os.mkfifo(layout.inbox / "pipe.csv")
    scan = scan_inbox(layout, stable_seconds=5, now=later(10))
    assert [(r.name, r.code) for r in scan.refused] == [("pipe.csv", "special")]
    moved = refuse(scan.refused[0])
    assert moved.parent == layout.error and moved.is_fifo()


def test_hard_link_is_refused(layout, tmp_path):
    outside = tmp_path / "dropbox" / "elsewhere.csv"
    outside.write_bytes(CSV)
    os.link(outside, layout.inbox / "linked.csv")
    scan = scan_inbox(layout, stable_seconds=5, now=later(10))
    assert [(r.name, r.code) for r in scan.refused] == [("linked.csv", "hardlink")]


def test_unreadable_file_is_refused(layout, monkeypatch):
    path = put(layout, "locked.csv")
    path.chmod(0)
    if os.geteuid() != 0:
        scan = scan_inbox(layout, stable_seconds=5, now=later(10))
        assert [(r.name, r.code) for r in scan.refused] == [("locked.csv", "unreadable")]

    # Root reads mode-000 files, so the refusal path is driven by the open call itself.
    def denied(path):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(dropbox, "_open_nofollow", denied)
    scan = scan_inbox(layout, stable_seconds=5, now=later(10))
    assert [(r.name, r.code) for r in scan.refused] == [("locked.csv", "unreadable")]
    assert "読み取れません" in scan.refused[0].reason


def test_too_large_goes_to_error_with_reason(layout):
    put(layout, "big.csv", b"x" * 101)
    put(layout, "limit.csv", b"x" * 100)
    scan = scan_inbox(layout, stable_seconds=5, now=later(10), max_bytes=100)
    assert [c.name for c in scan.ready] == ["limit.csv"]
    assert [(r.name, r.code) for r in scan.refused] == [("big.csv", "too_large")]
    moved = refuse(scan.refused[0])
    assert moved == layout.error / "big.csv"
    assert "大きすぎます" in (layout.error / "big.csv.reason.txt").read_text("utf-8-sig")


def test_size_beyond_4_gib_is_compared_without_overflow(layout):
    path = layout.inbox / "sparse.csv"
    with open(path, "wb") as fh:
        fh.truncate(4 * 2**30 + 1)  # sparse: no disk used
    os.utime(path, (time.time() - 60,) * 2)
    scan = scan_inbox(layout, stable_seconds=5, now=later(10), max_bytes=512 * 2**20)
    assert [r.code for r in scan.refused] == ["too_large"]


@pytest.mark.parametrize(
    ("data", "what"),
    [
        (b"PK\x03\x04" + b"\x00" * 40, "ZIP"),
        (b"%PDF-1.7\n", "PDF"),
        (b"\x89PNG\r\n\x1a\n", "PNG"),
        (b"MZ\x90\x00" + b"\x00" * 60, "実行ファイル"),
        (b"\x1f\x8b\x08\x00", "gzip"),
        (b"\xff\xfem\x00y\x00", "UTF-16"),
    ],
)
def test_binary_files_are_refused_with_the_engines_message(layout, data, what):
    put(layout, "renamed.csv", data)
    scan = scan_inbox(layout, stable_seconds=5, now=later(10))
    assert [r.code for r in scan.refused] == ["not_text"]
    assert what in scan.refused[0].reason


def test_empty_and_broken_text_are_left_to_the_validation_engine(layout):
    put(layout, "empty.csv", b"")
    put(layout, "bom.csv", BOM)
    put(layout, "cp932.csv", "氏名\n髙橋\n".encode("cp932"))
    scan = scan_inbox(layout, stable_seconds=5, now=later(10))
    assert sorted(c.name for c in scan.ready) == ["bom.csv", "cp932.csv", "empty.csv"]


def test_burst_of_files_is_listed_oldest_first_and_limited(layout):
    for i in range(300):
        put(layout, f"f{i:03d}.csv", age=1000 - i)
    scan = scan_inbox(layout, stable_seconds=5, now=later(10), limit=50)
    assert [c.name for c in scan.ready] == [f"f{i:03d}.csv" for i in range(50)]


# --- claim, recovery, collision -------------------------------------------------------------


def test_claim_moves_into_processing_keeping_the_name(layout):
    path = put(layout, "daily.full.csv")
    claimed = claim(path)
    assert claimed.name == "daily.full.csv"
    assert claimed.parent.parent == layout.processing
    assert claimed.read_bytes() == CSV and not path.exists()


def test_claim_of_a_vanished_file_returns_none_and_leaves_no_slot(layout):
    assert claim(layout.inbox / "gone.csv") is None
    assert list(layout.processing.iterdir()) == []


def test_second_claimer_loses(layout):
    path = put(layout, "a.csv")
    assert claim(path) is not None
    assert claim(path) is None


def test_same_name_twice_never_collides(layout):
    first = claim(put(layout, "daily.csv", b"a\n1\n"))
    second = claim(put(layout, "daily.csv", b"a\n2\n"))
    assert first != second and first.name == second.name == "daily.csv"
    assert first.read_bytes() == b"a\n1\n" and second.read_bytes() == b"a\n2\n"
    when = datetime(2026, 4, 1, 9, 0)
    assert archive(first, submission_id=7, when=when).name == "7-daily.csv"
    assert archive(second, submission_id=8, when=when).name == "8-daily.csv"


def test_recover_processing_returns_crash_leftovers_in_claim_order(layout):
    first = claim(put(layout, "one.csv"))
    second = claim(put(layout, "two.csv"))
    (layout.processing / "0-empty-slot").mkdir()  # crash between mkdir and rename
    assert recover_processing(layout) == [first, second]
    assert not (layout.processing / "0-empty-slot").exists()


def test_content_swapped_for_a_symlink_after_claim_is_refused(layout):
    claimed = claim(put(layout, "a.csv"))
    claimed.unlink()
    claimed.symlink_to("/etc/shadow")
    refusal = dropbox.check_claimed(claimed)
    assert refusal.code == "symlink"
    with pytest.raises(dropbox.DropboxError):
        dropbox.open_claimed(claimed)


def test_intake_lock_is_exclusive(tmp_path):
    with intake_lock(tmp_path) as first:
        assert first is True
        with intake_lock(tmp_path) as second:
            assert second is False
    with intake_lock(tmp_path) as again:
        assert again is True


# --- archive, outbox, error -----------------------------------------------------------------


def test_archive_naming(layout):
    claimed = claim(put(layout, "daily.full.csv"))
    target = archive(claimed, submission_id=42, when=datetime(2026, 4, 1, 23, 59))
    assert target == layout.archive / "20260401" / "42-daily.full.csv"
    assert target.read_bytes() == CSV
    assert list(layout.processing.iterdir()) == []


def test_archive_never_overwrites(layout):
    when = datetime(2026, 4, 1)
    archive(claim(put(layout, "a.csv", b"1\n")), submission_id=1, when=when)
    again = archive(claim(put(layout, "a.csv", b"2\n")), submission_id=1, when=when)
    assert again.name == "1-a (2).csv"
    assert (layout.archive / "20260401" / "1-a.csv").read_bytes() == b"1\n"


def _names(name: str) -> tuple[str, str]:
    base = outbox_base(name)
    return base + ".result.json", base + ".result.csv"


def test_outbox_write_and_replacement(layout):
    json_path, csv_path = write_outbox(
        layout, _names("daily.full.csv"), report_json=b'{"v":1}', result_csv=b"row,code\n"
    )
    assert json_path.name == "daily.full.csv.result.json"
    assert csv_path.name == "daily.full.csv.result.csv"
    assert csv_path.read_bytes() == BOM + b"row,code\n"
    write_outbox(layout, _names("daily.full.csv"), report_json=b'{"v":2}', result_csv=BOM + b"x\n")
    assert json_path.read_bytes() == b'{"v":2}'
    assert csv_path.read_bytes() == BOM + b"x\n"  # no second BOM
    assert sorted(p.name for p in layout.outbox.iterdir()) == [
        "daily.full.csv.result.csv",
        "daily.full.csv.result.json",
    ]  # no temporary file left


def test_outbox_write_failure_leaves_no_temporary(layout, monkeypatch):
    def broken(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(dropbox.os, "replace", broken)
    with pytest.raises(OSError):
        write_outbox(layout, _names("a.csv"), report_json=b"{}", result_csv=b"")
    assert list(layout.outbox.iterdir()) == []


def test_move_to_error_writes_reason_with_bom(layout):
    claimed = claim(put(layout, "報告.csv"))
    target = move_to_error(claimed, "ファイルが大きすぎます。\n分けて送ってください。")
    assert target == layout.error / "報告.csv"
    raw = (layout.error / "報告.csv.reason.txt").read_bytes()
    assert raw.startswith(BOM)
    assert raw[3:].decode() == "ファイルが大きすぎます。\r\n分けて送ってください。\r\n"
    again = move_to_error(claim(put(layout, "報告.csv")), "もう一度")
    assert again.name == "報告 (2).csv"
    assert (layout.error / "報告 (2).csv.reason.txt").exists()


def test_nfd_and_nfc_twins_keep_separate_results(layout):
    nfc = unicodedata.normalize("NFC", "がっこう.csv")
    nfd = unicodedata.normalize("NFD", nfc)
    put(layout, nfc, b"a\n1\n")
    put(layout, nfd, b"a\n2\n")
    names = sorted(c.name for c in scan_inbox(layout, stable_seconds=5, now=later(10)).ready)
    assert len(names) == 2
    for name in names:
        write_outbox(layout, _names(name), report_json=name.encode(), result_csv=b"")
    results = {p.read_bytes() for p in layout.outbox.glob("*.json")}
    assert results == {nfc.encode(), nfd.encode()}


def test_long_name_results_fit_in_name_max(layout):
    name = "あ" * 83 + ".csv"  # 253 bytes: at the limit on disk, over it once suffixed
    claimed = claim(put(layout, name))
    json_path, csv_path = write_outbox(layout, _names(name), report_json=b"{}", result_csv=b"")
    assert len(json_path.name.encode()) <= 255 and json_path.name.endswith(".csv.result.json")
    assert archive(claimed, submission_id=123456, when=datetime(2026, 1, 1)).exists()


def test_hostile_names_on_disk_are_handled(layout):
    for name in ["a\nb.csv", "x\u202evsc.exe", "CON.csv", "trailing. ", "-rf.csv"]:
        claimed = claim(put(layout, name))
        moved = move_to_error(claimed, "テスト")
        assert moved.parent == layout.error
        assert "\n" not in moved.name and "\u202e" not in moved.name
    assert sorted(p.name for p in layout.error.iterdir() if not p.name.endswith(".txt")) == [
        "_-rf.csv",
        "_CON.csv",
        "ab.csv",
        "trailing",
        "xvsc.exe",
    ]


# --- safe names (bad-inputs.md, Filenames) ---------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "safe"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\boot.ini", "boot.ini"),
        ("/etc/shadow", "shadow"),
        ("C:\\Users\\x\\data.csv", "data.csv"),
        ("C:data.csv", "data.csv"),
        ("a\x00b.csv", "ab.csv"),
        ("a\r\nb.csv", "ab.csv"),
        ('a;b"c.csv', "a;b_c.csv"),
        ("CON.csv", "_CON.csv"),
        ("nul", "_nul"),
        ("COM1", "_COM1"),
        ("lpt9.txt", "_lpt9.txt"),
        ("CONSOLE.csv", "CONSOLE.csv"),
        ("data.csv.", "data.csv"),
        ("data.csv ", "data.csv"),
        ("-rf.csv", "_-rf.csv"),
        ("..", "file"),
        ("", "file"),
        ("...", "file"),
        (".bashrc", "bashrc"),
        ("data\u202evsc.exe", "datavsc.exe"),
        ("a\u200bb.csv", "ab.csv"),
        ("data.csv.exe", "data.csv.exe"),
        ("DATA.CSV", "DATA.CSV"),
        ("全角／スラッシュ＼．csv", "全角／スラッシュ＼．csv"),
        ("¥.csv", "¥.csv"),
        ("a<b>c|d?e*.csv", "a_b_c_d_e_.csv"),
    ],
)
def test_safe_name(raw, safe):
    assert safe_name(raw) == safe


def test_safe_name_normalises_to_nfc_unless_asked_not_to():
    nfd = unicodedata.normalize("NFD", "が.csv")
    assert safe_name(nfd) == "が.csv" and len(safe_name(nfd)) == 5
    assert safe_name(nfd, normalize=False) == nfd


def test_safe_name_cuts_long_names_on_a_character_boundary_keeping_the_extension():
    name = "日本語" * 40 + ".full.csv"  # 369 bytes
    safe = safe_name(name)
    assert len(safe.encode()) <= 255 and safe.endswith(".full.csv")
    safe.encode().decode("utf-8")  # no broken character
    assert len(safe_name("a" * 300).encode()) == 255


def test_display_name_keeps_the_original_but_shows_invisibles():
    assert display_name("data\u202evsc.exe") == "data<U+202E>vsc.exe"
    assert display_name("a\nb") == "a<U+000A>b"
    assert display_name("普通.csv") == "普通.csv"


@pytest.mark.parametrize(
    ("name", "ext"),
    [("a.CSV", ".csv"), ("a.csv.exe", ".exe"), ("x\u202evsc.exe", ".exe"), ("noext", "")],
)
def test_extension(name, ext):
    assert extension(name) == ext


def test_claim_reads_a_cp932_name_so_it_can_be_stored(tmp_path):
    layout = ensure_layout(tmp_path, "131016")
    raw = os.fsencode(layout.inbox) + b"/" + "髙橋①.csv".encode("cp932")
    with open(raw, "wb") as fh:
        fh.write(b"a,b\r\n")
    (name,) = os.listdir(layout.inbox)
    claimed = claim(layout.inbox / name)
    assert claimed.name == "髙橋①.csv" and claimed.read_bytes() == b"a,b\r\n"
    assert dropbox.readable_name("ok.csv") == "ok.csv"
    assert dropbox.readable_name(os.fsdecode(b"\xff\xfe.csv")) == "\ufffd\ufffd.csv"
