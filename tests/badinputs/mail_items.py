"""Mail and MIME: the committed .eml fixtures and the huge messages built at test time."""

from __future__ import annotations

import base64
from pathlib import Path

from tests.fixtures.uploads.mail import make_fixtures as eml

from . import channels as ch
from .inputs import Item, cell, codes, valid_csv
from .special import merge

MAIL_FIXTURES = Path(eml.HERE)


def _eml(name: str):
    return lambda env, _name, _data: ch.mail(
        env, name, b"", raw=(MAIL_FIXTURES / name).read_bytes()
    )


def _eml_built(build):
    return lambda env, _name, _data: ch.mail(env, "x", b"", raw=build())


def _twice(build_a, build_b):
    """Two messages one after the other (a duplicate Message-ID with other bytes)."""

    def drive(env, name, data) -> ch.Outcome:
        return merge(
            "mail", [_eml_built(build_a)(env, name, data), _eml_built(build_b)(env, name, data)]
        )

    return drive


def _no_message_id() -> bytes:
    return (
        (MAIL_FIXTURES / "plain_csv.eml")
        .read_bytes()
        .replace(b"Message-ID: <fixture-0@demo.invalid>\r\n", b"")
    )


def _other_body() -> bytes:
    return (MAIL_FIXTURES / "plain_csv.eml").read_bytes().replace(b"[131016]", b"[131016] 2", 1)


def _cp932_8bit() -> bytes:
    data = cell("basicFiveInfo.name", "髙橋①", encoding="cp932")()
    return eml.mail(
        eml.part(
            b"application/octet-stream",
            data,
            disposition=b'attachment; filename="daily.csv"',
            cte=b"8bit",
        )
    )


def _nul_headers() -> bytes:
    nul = b"=?UTF-8?B?" + base64.b64encode("件名\x00[131016]".encode()) + b"?="
    raw = (MAIL_FIXTURES / "plain_csv.eml").read_bytes()
    raw = raw.replace(
        b"Message-ID: <fixture-0@demo.invalid>", b"Message-ID: <nul\x00id@demo.invalid>"
    )
    return raw.replace(b"Subject: ", b"Subject: " + nul + b" ", 1)


REPORTED = ("F_HEADER_MISSING",)  # the fixtures' two-column CSV: taken, then rejected
MAIL_CASES = [
    ("mime/rfc2231-iso2022jp-split", "rfc2231_iso2022jp_split.eml", REPORTED),
    ("mime/rfc2047-iso2022jp-filename", "rfc2047_iso2022jp_filename.eml", REPORTED),
    ("mime/rfc2047-windows-1252", "rfc2047_windows1252.eml", REPORTED),
    ("mime/name-and-filename-differ", "name_filename_disagree.eml", REPORTED),
    ("mime/missing-boundary", "missing_boundary.eml", ("broken_mime",)),
    ("mime/boundary-in-base64", "boundary_in_base64.eml", REPORTED),
    ("mime/broken-base64-chars", "broken_base64_chars.eml", ("broken_encoding",)),
    ("mime/base64-no-padding", "base64_no_padding.eml", REPORTED),
    ("mime/qp-soft-break-multibyte", "qp_soft_break_multibyte.eml", REPORTED),
    ("mime/uuencode-body", "uuencode_body.eml", ("uuencode",)),
    ("mime/uuencode-cte", "uuencode_cte.eml", REPORTED),
    ("mime/tnef", "tnef.eml", ("tnef",)),
    ("mime/smime-encrypted", "smime_encrypted.eml", ("smime",)),
    ("mime/forwarded-rfc822", "forwarded_rfc822.eml", REPORTED),
    ("mime/same-attachment-twice", "same_attachment_twice.eml", REPORTED),
    ("mime/from-not-envelope", "from_ne_envelope.eml", REPORTED),
    ("mime/spf-dkim-fail", "auth_fail.eml", ("auth_failed",)),
    ("mime/auto-replied", "auto_replied.eml", ("auto_reply",)),
    ("mime/dsn-of-our-result", "dsn_own_result.eml", ("bounce",)),
    ("mime/declared-csv-is-xlsx", "xlsx_as_csv.eml", ("F_NOT_TEXT",)),
    ("mime/ppap", "ppap.eml", ("ppap",)),
    ("mime/gateway-removed", "gateway_stub.eml", ("gateway_removed",)),
]
MAIL_ONLY = {c: "MIME exists only in the mail channel" for c in ("web", "api", "folder", "media")}


def _mail_item(ident: str, drive, expected: tuple[str, ...]) -> Item:
    return Item(
        ident,
        valid_csv(),
        codes(*expected),
        channels=("mail",),
        not_applicable=MAIL_ONLY,
        driver={"mail": drive},
    )


BUILT = [
    ("mime/nesting-1000", lambda: eml.huge_nesting(1000), ("too_many_parts",)),
    ("mime/nesting-100", lambda: eml.huge_nesting(100), ("too_deep",)),
    ("mime/nul-in-headers", _nul_headers, REPORTED),
    ("mime/10000-parts", lambda: eml.huge_parts(10_000), ("too_many_parts",)),
    ("mime/1mb-header-line", eml.huge_header_line, REPORTED),
    ("mime/10000-headers", eml.huge_header_count, REPORTED),
    ("mime/no-message-id", _no_message_id, REPORTED),
    ("mime/8bit-cp932-no-charset", _cp932_8bit, ("accepted",)),
]
ITEMS = (
    [_mail_item(ident, _eml(name), expected) for ident, name, expected in MAIL_CASES]
    + [_mail_item(ident, _eml_built(build), expected) for ident, build, expected in BUILT]
    + [
        _mail_item(
            "mime/duplicate-message-id",
            _twice(lambda: (MAIL_FIXTURES / "plain_csv.eml").read_bytes(), _other_body),
            REPORTED,
        )
    ]
)
