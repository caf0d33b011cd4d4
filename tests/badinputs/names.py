"""File names (upload form, multipart ``filename``, mail attachment, shared folder)."""

from __future__ import annotations

import os
import unicodedata
from pathlib import Path
from urllib.parse import quote

from django.core.files.uploadedfile import SimpleUploadedFile

from tests.fixtures.uploads.mail import make_fixtures as eml

from . import channels as ch
from .inputs import ACCEPTED, Item, valid_csv
from .special import form, http_send, merge


def _mail_named(env, name, data) -> ch.Outcome:
    """The name as RFC 2231 UTF-8, so any character (NUL, CR, LF) survives into the header."""
    encoded = quote(name.encode("utf-8"), safe="").encode()
    raw = eml.mail(
        eml.part(b"text/csv", eml.b64(data), disposition=b"attachment; filename*=UTF-8''" + encoded)
    )
    return ch.mail(env, name, data, raw=raw)


def _api_named(env, name, data) -> ch.Outcome:
    """The API with the name written raw into the multipart header (a tool's own encoder)."""
    body = form("api", [(name.replace('"', "%22"), data)])
    return http_send("api", env, body)


def _two_names(channel: str):
    """The same name in NFC and NFD, arriving together."""

    def drive(env, name, data) -> ch.Outcome:
        names = [unicodedata.normalize("NFC", name), unicodedata.normalize("NFD", name)]
        contents = [data, data.replace(b"\r\n", b"\n")]
        if channel == "folder":
            out, marks = ch.Outcome("folder"), ch._marks()
            ch.folder_run(env)
            for one, content in zip(names, contents, strict=True):
                ch.folder_put(env, one, content)
            ch.folder_run(env)
            out = ch.folder_collect(env, out, *marks, digest=None)
            assert len(out.submissions) == 2
            assert {p.name for p in (ch.folder_path(env) / "outbox").iterdir()} == {
                f"{n}{suffix}" for n in names for suffix in (".result.json", ".result.csv")
            }
            return out
        if channel in ("web", "media"):
            files = [
                SimpleUploadedFile(one, content, content_type="text/csv")
                for one, content in zip(names, contents, strict=True)
            ]
            if channel == "web":
                return ch.web(env, name, data, files=files)
            return merge(
                "media", [ch.media(env, n, c) for n, c in zip(names, contents, strict=True)]
            )
        if channel == "mail":
            raw = eml.mail(
                *[
                    eml.part(
                        b"text/csv",
                        eml.b64(content),
                        disposition=b"attachment; filename*=UTF-8''"
                        + quote(one.encode(), safe="").encode(),
                    )
                    for one, content in zip(names, contents, strict=True)
                ]
            )
            return ch.mail(env, name, data, raw=raw)
        return merge("api", [ch.api(env, n, c) for n, c in zip(names, contents, strict=True)])

    return drive


def _csv_directory(env, name, data) -> ch.Outcome:
    """A directory named like a CSV in inbox/ is a subfolder: left alone (spec §3.1)."""
    out = ch.folder(env, name, data, place=lambda inbox: (inbox / name).mkdir())
    assert (ch.folder_path(env) / "inbox" / name).is_dir()
    out.codes.add("ignored")
    return out


POSIX_NAME = "a POSIX file name cannot hold '/' or NUL, nor more than 255 bytes"
NAMES = [
    ("../../etc/passwd", False, True),
    ("..\\..\\boot.ini", False, False),
    ("/etc/x.csv", True, True),
    ("C:\\Users\\x.csv", True, False),
    ("a\x00b.csv", True, True),
    ("a\nb.csv", True, False),
    ("a\rb.csv", True, False),
    ('a;b".csv', True, False),
    ("あ" * 90 + ".csv", True, True),
    ("CON.csv", True, False),
    ("NUL", False, False),
    ("COM1", False, False),
    ("data.csv.", True, False),
    ("data.csv ", True, False),
    ("-data.csv", True, False),
    ("data.csv.exe", False, False),
    ("DATA.CSV", True, False),
    ("data", False, False),
    ("data\u202evsc.exe", False, False),
    (unicodedata.normalize("NFD", "がっこう.csv"), True, False),
    ("ａ／ｂ＼ｃ．csv", False, False),
    ("¥data.csv", True, False),
]


def _name_item(name: str, csv_like: bool, posix_impossible: bool) -> Item:
    ident = "name/" + name.encode("unicode_escape").decode()[:40]
    expect = dict(ACCEPTED)
    if not csv_like:
        expect["mail"] = ("unsupported",)
    if name.rstrip(". ").endswith("csv") and name != name.rstrip(". "):
        expect["mail"] = ("accepted",)
    if name.startswith("."):
        expect["folder"] = ("ignored",)  # a hidden file: left alone (spec §3.1)
    na = {"folder": POSIX_NAME} if posix_impossible else {}
    return Item(
        ident,
        valid_csv(),
        expect,
        name=name,
        channels=tuple(c for c in ch.CHANNELS if c not in na),
        not_applicable=na,
        driver={"mail": _mail_named, "api": _api_named},
    )


ITEMS = [_name_item(*spec) for spec in NAMES] + [
    Item(
        "name/csv-directory",
        valid_csv(),
        {"folder": ("ignored",)},
        name="dir.csv",
        channels=("folder",),
        driver={"folder": _csv_directory},
        not_applicable={c: "only a shared folder can hold a directory" for c in ch.CHANNELS[:2]}
        | {"mail": "a mail carries files only", "media": "the import form takes files only"},
    ),
    Item(
        "name/nfc-and-nfd-together",
        valid_csv(),
        ACCEPTED,
        name="がっこう.csv",
        driver={c: _two_names(c) for c in ch.CHANNELS},
    ),
]


def _cp932_bytes_name(env, name, data) -> ch.Outcome:
    """A name written in CP932 bytes (an SMB share without a UTF-8 charset setting)."""

    def place(inbox: Path) -> None:
        with open(os.fsencode(inbox) + b"/" + "表.csv".encode("cp932"), "wb") as fh:
            fh.write(data)

    out = ch.folder(env, name, data, place=place)
    assert [s.original_name for s in out.submissions] == ["表.csv"]
    assert (ch.folder_path(env) / "outbox" / "表.csv.result.json").exists()
    return out


ITEMS.append(
    Item(
        "name/cp932-bytes-on-disk",
        valid_csv(),
        ACCEPTED,
        channels=("folder",),
        driver={"folder": _cp932_bytes_name},
        not_applicable={
            c: "names arrive as text (UTF-8 form data, decoded MIME headers)"
            for c in ("web", "api", "mail", "media")
        },
    )
)
