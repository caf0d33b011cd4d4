"""The shared folder: what only a file system can do (links, FIFOs, races, bursts)."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path
from unittest import mock

from intake.folder import lib as dropbox
from intake.folder import receive as intake_folder
from intake.folder.receive import folder_sweep

from . import channels as ch
from .inputs import ACCEPTED, Item, cell, codes, valid_csv
from .special import merge

GIB4 = 4 * 1024**3 + 1


def _folder_outcome(env, build, *, sweeps=1) -> ch.Outcome:
    out, marks = ch.Outcome("folder"), ch._marks()
    ch.folder_run(env)
    build(ch.folder_path(env) / "inbox")
    for _ in range(sweeps):
        ch.folder_run(env)
    return ch.folder_collect(env, out, *marks, digest=None)


def folder_sparse_4gib(env, name, data) -> ch.Outcome:
    def build(inbox: Path) -> None:
        with open(inbox / "huge.csv", "wb") as fh:
            fh.truncate(GIB4)  # sparse: no disk used, but st_size is 4 GiB + 1

    out = _folder_outcome(env, build)
    assert (ch.folder_path(env) / "error" / "huge.csv").stat().st_size == GIB4
    return out


def _being_written(env, name, data) -> ch.Outcome:
    out, marks = ch.Outcome("folder"), ch._marks()
    ch.folder_run(env)
    target = ch.folder_put(env, name, data[: len(data) // 2])
    env.settings.PMH_DROPBOX_STABLE_SECONDS = 5
    with env.jobs():
        first = folder_sweep(now=time.time())
    assert (
        first.waiting == [f"131016/{name}"]
        and not ch._gather(env, ch.Outcome("x"), *marks).submissions
    )
    target.write_bytes(data)  # the writer finishes
    with env.jobs():
        folder_sweep(now=time.time() + 3600)
    return ch.folder_collect(env, out, *marks, digest=ch.sha256(data))


def _renamed_over(env, name, data) -> ch.Outcome:
    def build(inbox: Path) -> None:
        (inbox / name).write_bytes(valid_csv(newline="\n")())
        (inbox / "upload.tmp").write_bytes(data)
        os.replace(inbox / "upload.tmp", inbox / name)

    out = _folder_outcome(env, build)
    (submission,) = out.submissions
    assert submission.sha256 == ch.sha256(data)
    return out


def _symlink(env, name, data) -> ch.Outcome:
    out = _folder_outcome(env, lambda inbox: os.symlink("/etc/shadow", inbox / name))
    assert (ch.folder_path(env) / "error" / name).is_symlink()
    return out


def _hardlink(env, name, data) -> ch.Outcome:
    outside = env.tmp / "elsewhere.csv"
    outside.write_bytes(data)
    out = _folder_outcome(env, lambda inbox: os.link(outside, inbox / name))
    assert (ch.folder_path(env) / "error" / name).read_bytes() == data
    return out


def _fifo(env, name, data) -> ch.Outcome:
    return _folder_outcome(env, lambda inbox: os.mkfifo(inbox / name))


def _device(env, name, data) -> ch.Outcome:
    def build(inbox: Path) -> None:
        try:
            os.mknod(inbox / name, 0o600 | stat.S_IFCHR, os.makedev(1, 3))
        except PermissionError:
            os.mkfifo(inbox / name)  # no CAP_MKNOD here: another non-regular file

    return _folder_outcome(env, build)


def _unreadable(env, name, data) -> ch.Outcome:
    def build(inbox: Path) -> None:
        (inbox / name).write_bytes(data)
        (inbox / name).chmod(0)

    if os.geteuid() != 0:
        return _folder_outcome(env, build)
    # Root reads a mode-000 file all the same: make open() answer as it would for anyone else.
    real = dropbox._open_nofollow

    def denied(path):
        if Path(path).name == name:
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    with mock.patch.object(dropbox, "_open_nofollow", denied):
        return _folder_outcome(env, build)


def _burst(env, name, data, count: int = 40) -> ch.Outcome:
    def build(inbox: Path) -> None:
        for n in range(count):
            (inbox / f"{n}.csv").write_bytes(data + b"\n" * n)

    out = _folder_outcome(env, build)
    assert len(out.submissions) == count
    assert sorted(p.name for p in (ch.folder_path(env) / "outbox").iterdir()) == sorted(
        f"{n}.csv{s}" for n in range(count) for s in (".result.json", ".result.csv")
    )
    return out


def _changes_after_pickup(env, name, data) -> ch.Outcome:
    """The sender rewrites the file after the claim: what was hashed is what is kept."""
    real = intake_folder.submission_receive

    def receive_then_changed(**kwargs):
        submission = real(**kwargs)
        claimed = next((ch.folder_path(env) / "processing").glob("*/*"))
        with open(claimed, "ab") as writer:
            writer.write(b"\r\nlate,bytes\r\n")
        return submission

    with mock.patch("intake.folder.receive.submission_receive", receive_then_changed):
        out = _folder_outcome(env, lambda inbox: (inbox / name).write_bytes(data))
    (submission,) = out.submissions
    assert submission.sha256 == ch.sha256(data)
    out.kept = [(p, d) for p, d in out.kept if d]
    return out


def _collision(env, name, data) -> ch.Outcome:
    first = ch.folder(env, name, data)
    second = ch.folder(env, name, cell("basicFiveInfo.nameKana", "やまだ")())
    out = merge("folder", [first, second])
    assert len({s.pk for s in out.submissions}) == 2
    assert "V_KANA" in (ch.folder_path(env) / "outbox" / f"{name}.result.json").read_text()
    return out


FOLDER_ONLY = {
    c: "a property of files on a shared file system" for c in ("web", "api", "mail", "media")
}


def _folder_item(ident, drive, expect, name="daily.csv") -> Item:
    return Item(
        ident,
        valid_csv(),
        expect,
        name=name,
        channels=("folder",),
        not_applicable=FOLDER_ONLY,
        driver={"folder": drive},
    )


def _one_file_fails(env, name, data) -> ch.Outcome:
    """A file the sweep cannot take (here: receive raises) does not hold back the next one."""
    real = intake_folder.submission_receive

    def receive(**kwargs):
        if kwargs["original_name"] == "a-first.csv":
            raise RuntimeError("cannot take this one")
        return real(**kwargs)

    def build(inbox: Path) -> None:
        (inbox / "a-first.csv").write_bytes(data)
        (inbox / "b-second.csv").write_bytes(data + b"\n")

    with mock.patch("intake.folder.receive.submission_receive", receive):
        out = _folder_outcome(env, build)
    assert [s.original_name for s in out.submissions] == ["b-second.csv"]
    assert [p.name for p in (ch.folder_path(env) / "processing").glob("*/*")] == ["a-first.csv"]
    return out


ITEMS = [
    _folder_item("folder/being-written", _being_written, ACCEPTED),
    _folder_item("folder/renamed-over-existing", _renamed_over, ACCEPTED),
    _folder_item("folder/symlink-to-etc-shadow", _symlink, codes("folder_symlink")),
    _folder_item("folder/hard-link", _hardlink, codes("folder_hardlink")),
    _folder_item("folder/fifo", _fifo, codes("folder_special")),
    _folder_item("folder/device-file", _device, codes("folder_special")),
    _folder_item("folder/mode-000", _unreadable, codes("folder_unreadable")),
    _folder_item("folder/burst", _burst, ACCEPTED),
    _folder_item("folder/changes-after-pickup", _changes_after_pickup, ACCEPTED),
    _folder_item("folder/name-collision", _collision, codes("accepted", "V_KANA")),
    _folder_item("folder/one-file-fails", _one_file_fails, ACCEPTED),
]
