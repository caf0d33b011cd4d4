"""Realistic valid records and files, for tests, benchmarks and demo data.

Everything here is made up: 個人番号 and 公費負担者番号 only carry valid check digits.
"""

from __future__ import annotations

import csv
import io
import json
import random
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from coderules.checkdigits import mhlw_check_digit, mynumber_check_digit

from .layout import Layout, load_layout

_SURNAMES = [
    ("山田", "ヤマダ"),
    ("佐藤", "サトウ"),
    ("鈴木", "スズキ"),
    ("高橋", "タカハシ"),
    ("田中", "タナカ"),
    ("伊藤", "イトウ"),
    ("渡辺", "ワタナベ"),
    ("中村", "ナカムラ"),
    ("小林", "コバヤシ"),
    ("加藤", "カトウ"),
    ("髙橋", "タカハシ"),
    ("齋藤", "サイトウ"),
]
_GIVEN = [
    ("太郎", "タロウ"),
    ("花子", "ハナコ"),
    ("一郎", "イチロウ"),
    ("陽菜", "ヒナ"),
    ("翔太", "ショウタ"),
    ("さくら", "サクラ"),
    ("蓮", "レン"),
    ("結衣", "ユイ"),
    ("大輔", "ダイスケ"),
    ("美咲", "ミサキ"),
    ("悠真", "ユウマ"),
    ("葵", "アオイ"),
]
_TOWNS = [
    "千代田区霞が関",
    "千代田区永田町",
    "港区芝公園",
    "新宿区西新宿",
    "世田谷区太子堂",
    "八王子市元本郷町",
    "表参道",
    "十条仲原",
    "能見台",
]
# Town parts for an address in any city (``place`` of `valid_record`).
_BLOCKS = ["中央一丁目", "本町二丁目", "緑町", "栄町三丁目", "旭町", "新町"]
_FOREIGN = [
    ("スミス　ジョン", "スミス・ジョン"),
    ("グエン　ヴァン　アン", "グエン＝ヴァン＝アン"),
    ("ワン　メイリン", "ワン・メイリン"),
]
# (法別番号, 受給者証名, sex managed)
_PROGRAMS = [
    ("54", "特定医療費（指定難病）受給者証", True),
    ("52", "小児慢性特定疾病医療受給者証", True),
    ("21", "自立支援医療受給者証（精神通院）", False),
    ("15", "自立支援医療受給者証（更生医療）", False),
    ("81", "子ども医療費受給者証", True),
    ("83", "ひとり親家庭等医療費受給者証", True),
]


def mynumber(rng: random.Random) -> str:
    body = f"{rng.randrange(10**11):011d}"
    return body + str(mynumber_check_digit(body))


def insurer_number(houbetsu: str, prefecture: str = "13", agency: str = "101") -> str:
    body = houbetsu + prefecture + agency
    return body + str(mhlw_check_digit(body))


def recipient_number(rng: random.Random) -> str:
    body = f"{rng.randrange(10**6):06d}"
    return body + str(mhlw_check_digit(body))


def _address(rng: random.Random, place: str | None, i: int) -> str:
    town = rng.choice(_TOWNS)  # drawn either way: the same seed gives the same other values
    town = f"東京都{town}" if place is None else f"{place}{_BLOCKS[i % len(_BLOCKS)]}"
    return f"{town}{rng.randrange(1, 9)}-{rng.randrange(1, 30)}-{rng.randrange(1, 20)}"


def valid_record(
    i: int,
    rng: random.Random,
    *,
    mode: str = "full",
    prefecture: str = "13",
    agency: str = "101",
    place: str | None = None,
) -> dict[str, Any]:
    """One valid record in PMH's JSON shape; ``i`` makes its key unique.

    ``prefecture`` and ``agency`` make the 公費負担者番号 of a municipality (都道府県番号 and
    実施機関番号); ``place`` (prefecture and city) starts the address instead of a Tokyo town.
    """
    houbetsu, cert_name, sex_managed = _PROGRAMS[i % len(_PROGRAMS)]
    surname, given = rng.choice(_SURNAMES), rng.choice(_GIVEN)
    year = rng.randrange(1940, 2020)
    name = f"{surname[0]}\u3000{given[0]}"
    kana = f"{surname[1]}\u3000{given[1]}"
    if i % 50 == 7:  # a foreign resident: kana names joined by ・ (or ＝), both valid
        name, kana = _FOREIGN[(i // 50) % len(_FOREIGN)]
    record: dict[str, Any] = {
        "orgSpecificCertificateTypeId": f"PMH{houbetsu}01",
        "myNumber": mynumber(rng),
        "basicFiveInfo": {
            "name": name,
            "nameKana": kana,
            "address": _address(rng, place, i),
            "dateOfBirth": f"{year}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}",
            "sex": rng.choice("12") if sex_managed else "0",
        },
        "isNotDisclosed": rng.random() < 0.02,
        "medicalSubsidyInsurerNumber": insurer_number(houbetsu, prefecture, agency),
        "certificationName": cert_name,
        "medicalSubsidyRecipientNumber": (
            recipient_number(rng) if int(houbetsu) < 80 else f"K{rng.randrange(10**8):08d}"
        ),
        "certificationSubKey": str(i % 3) if i % 5 == 0 else None,
        "segment": "一般",
        "incomeSegment": rng.choice(["上位", "一般Ⅰ", "一般Ⅱ", "低所得Ⅰ"]),
        "additionalConditions": "A01-1;B02-3" if i % 4 == 0 else None,
        "designatedMedicalInstitutions": "都立駒込病院" if i % 2 else None,
        "isAlwaysReimbursement": "0",
        "maxCopaymentAmount": {
            "kind": "1",
            "burdenDefinition": "2",
            "rateMonth": 20,
            "monthlyCap": rng.choice([2500, 5000, 10000, 20000]),
        },
        "validFrom": "2025-04-01",
        "validTo": "2026-03-31",
        "historyKey": f"H{i:08d}",
        "certificationDetail": [
            {"label": "病名", "value": "パーキンソン病"},
            {"label": "負担上限月額", "value": "10,000円"},
        ],
    }
    if mode == "diff":
        record["isDeleted"] = False
    return record


def flatten(record: dict[str, Any], layout: Layout) -> dict[str, str]:
    """A record as CSV cells keyed by canonical column names ("" for absent)."""
    cells: dict[str, str] = {}
    for spec in layout.fields:
        holder: Any = record
        for part in spec.path.split("."):
            holder = holder.get(part) if isinstance(holder, dict) else None
        if isinstance(holder, bool):
            holder = "1" if holder else "0"
        cells[spec.path] = "" if holder is None else str(holder)
    items = record.get(layout.list.path)
    for n, item in enumerate(items if isinstance(items, list) else [], start=1):
        for part in ("label", "value"):
            value = item.get(part) if isinstance(item, dict) else None
            cells[layout.list.item_field(n, part)] = "" if value is None else str(value)
    return cells


def csv_header(layout: Layout, *, aliases: bool = False, items: int = 3) -> list[str]:
    columns = [f.label if aliases else f.path for f in layout.fields]
    for n in range(1, items + 1):
        for item in layout.list.items:
            columns.append(
                item.label.format(n=n) if aliases else layout.list.item_field(n, item.path)
            )
    return columns


def csv_text(
    records: Iterable[dict[str, Any]],
    *,
    aliases: bool = False,
    items: int = 3,
    layout: Layout | None = None,
    newline: str = "\r\n",
) -> Iterator[str]:
    """CSV text, header first, in pieces."""
    layout = layout or load_layout()
    canonical = csv_header(layout, items=items)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=newline)
    writer.writerow(csv_header(layout, aliases=aliases, items=items))
    for record in records:
        cells = flatten(record, layout)
        row = [cells.get(c, "") for c in canonical]
        writer.writerow(row + ["x"] if record.get("_extra_cell") else row)
        if buffer.tell() > 1 << 16:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def write_csv(
    path: Path, records: Iterable[dict[str, Any]], *, encoding: str = "cp932", **kwargs: Any
) -> None:
    with open(path, "w", encoding=encoding, newline="") as fh:
        for piece in csv_text(records, **kwargs):
            fh.write(piece)


def write_jsonl(path: Path, records: Iterable[dict[str, Any]]) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        for record in records:
            record.pop("_extra_cell", None)
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")


def write_json(path: Path, records: Iterable[dict[str, Any]]) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write("[\n")
        for i, record in enumerate(records):
            fh.write((",\n" if i else "") + json.dumps(record, ensure_ascii=False, indent=1))
        fh.write("\n]\n")


def _set(record: dict[str, Any], path: str, value: Any) -> None:
    *parents, leaf = path.split(".")
    holder = record
    for part in parents:
        if not isinstance(holder.get(part), dict):
            holder[part] = {}
        holder = holder[part]
    if value is _DELETE:
        holder.pop(leaf, None)
    else:
        holder[leaf] = value


_DELETE = object()


def _bad_check_digit(number: str) -> str:
    return number[:-1] + str((int(number[-1]) + 1) % 10)


# Mutations that each make a valid record carry one issue code; (code, path or None, value).
# The last ones are the warnings of real municipal files (a half-width space in kana, a line
# break in the address, a 外字, 法別 12) and an insurer's number in the 公費負担者番号 field.
PLANTED: list[tuple[str, str, Any]] = [
    ("V_REQUIRED", "basicFiveInfo.name", _DELETE),
    ("V_LENGTH", "myNumber", "12345678901"),
    ("V_CHARSET", "myNumber", "１２３４５６７８９０１８"),
    ("V_KANA", "basicFiveInfo.nameKana", "ﾔﾏﾀﾞ ﾀﾛｳ"),
    ("V_DATE", "basicFiveInfo.dateOfBirth", "H25.1.1"),
    ("V_DATE_RANGE", "basicFiveInfo.dateOfBirth", "2999-01-01"),
    ("V_CODE", "basicFiveInfo.sex", "3"),
    ("V_BOOLEAN", "isNotDisclosed", "2"),
    ("V_NUMBER", "maxCopaymentAmount.monthlyCap", "1,000"),
    ("V_RANGE", "maxCopaymentAmount.rateMonth", 150),
    ("V_CHECK_DIGIT", "myNumber", None),
    ("V_PREFECTURE", "medicalSubsidyInsurerNumber", insurer_number("54", "48")),
    ("V_HOUBETSU_UNKNOWN", "medicalSubsidyInsurerNumber", insurer_number("46")),
    ("V_SEX_NOT_MANAGED", "medicalSubsidyInsurerNumber", None),
    ("V_CONDITIONS", "additionalConditions", "A01;B02"),
    ("K_DUPLICATE", None, None),
    ("R_COLUMN_COUNT", None, None),
    ("V_HOUBETSU_INSURANCE", "medicalSubsidyInsurerNumber", "01131010"),
    ("V_GAIJI", "basicFiveInfo.name", "山田\u3000〓郎"),
    ("V_KANA", "basicFiveInfo.nameKana", "ヤマダ タロウ"),
    ("V_CHARSET", "basicFiveInfo.address", "東京都千代田区霞が関1-2-2\n中央合同庁舎5号館"),
    ("V_HOUBETSU_UNKNOWN", "medicalSubsidyInsurerNumber", insurer_number("12")),
]


def plant(
    record: dict[str, Any], code: str, path: str | None, value: Any, earlier: dict[str, Any] | None
) -> dict[str, Any]:
    """Make ``record`` carry exactly the issue ``code``."""
    if code == "V_CHECK_DIGIT":
        value = _bad_check_digit(record["myNumber"])
    elif code == "V_SEX_NOT_MANAGED":
        value = insurer_number("15")
        record["medicalSubsidyRecipientNumber"] = "1234566"
        record["basicFiveInfo"]["sex"] = "1"
    elif code in ("V_PREFECTURE", "V_HOUBETSU_UNKNOWN") and value is not None:
        record["medicalSubsidyRecipientNumber"] = "1234566"  # valid for national programs
    elif code == "V_BOOLEAN":
        record["isNotDisclosed"] = False
    elif code == "K_DUPLICATE" and earlier is not None:
        for key in (
            "orgSpecificCertificateTypeId",
            "myNumber",
            "certificationSubKey",
            "historyKey",
        ):
            record[key] = earlier.get(key)
        return record
    elif code == "R_COLUMN_COUNT":
        record["_extra_cell"] = True
        return record
    if path is not None:
        _set(record, path, value)
    return record


def planted_records(
    n: int, *, rate: float = 0.01, seed: int = 7, mode: str = "full", csv: bool = True
) -> Iterator[dict[str, Any]]:
    """``n`` records, about ``rate`` of them carrying one planted issue each, every kind in turn."""
    rng = random.Random(seed)  # noqa: S311 (made-up test data, not security)
    every = max(int(1 / rate), 1) if rate else 0
    kinds = [k for k in PLANTED if csv or k[0] != "R_COLUMN_COUNT"]
    earlier = None
    for i in range(n):
        record = valid_record(i, rng, mode=mode)
        if every and i % every == every // 2:
            code, path, value = kinds[(i // every) % len(kinds)]
            record = plant(record, code, path, value, earlier)
        earlier = record
        yield record


def csv_bytes(
    records: Iterable[dict[str, Any]], *, encoding: str = "utf-8", **kwargs: Any
) -> bytes:
    return "".join(csv_text(records, **kwargs)).encode(encoding)


def json_bytes(records: Iterable[dict[str, Any]], *, lines: bool = False) -> bytes:
    records = [{k: v for k, v in r.items() if k != "_extra_cell"} for r in records]
    if lines:
        return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode()
    return json.dumps(records, ensure_ascii=False, indent=1).encode()


def records(n: int, *, seed: int = 1, mode: str = "full", **place: Any) -> list[dict[str, Any]]:
    """``n`` valid records; ``place`` as in `valid_record` (prefecture, agency, place)."""
    rng = random.Random(seed)  # noqa: S311 (made-up test data, not security)
    return [valid_record(i, rng, mode=mode, **place) for i in range(n)]
