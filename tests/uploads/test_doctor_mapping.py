"""The mapping document: its checks, JSON export and import, with clear Japanese errors."""

import json

import pytest

from uploads.lib.doctor import (
    SCHEMA,
    MappingError,
    check_mapping,
    mapping_from_json,
    mapping_to_json,
    new_mapping,
    targets,
)
from uploads.lib.validation import load_layout


def _mapping(**fields):
    doc = new_mapping()
    doc["fields"] = fields
    return doc


GOOD = _mapping(
    myNumber={
        "column": "個人番号",
        "conversions": [{"op": "exponent"}, {"op": "pad", "width": 12}],
    },
    **{
        "basicFiveInfo.name": {"columns": ["氏", "名"], "joiner": "\u3000"},
        "basicFiveInfo.sex": {
            "column": "性別",
            "conversions": [{"op": "map", "table": {"男": "1", "女": "2"}}],
        },
        "basicFiveInfo.dateOfBirth": {
            "column": "生年月日",
            "conversions": [{"op": "date", "forms": ["wareki", "era_code"]}],
        },
        "orgSpecificCertificateTypeId": {"value": "KODOMO01"},
        "certificationDetail[1].label": {"value": "負担割合"},
        "certificationDetail[1].value": {"column": "負担割合"},
    },
)


def test_a_good_mapping_has_no_problem_and_round_trips_through_json():
    assert check_mapping(GOOD) == []
    text = mapping_to_json(GOOD)
    assert json.loads(text)["schema"] == SCHEMA == "pmh-layout-doctor/1"
    assert "個人番号" in text  # readable Japanese, not \\u escapes
    assert mapping_from_json(text.encode("utf-8")) == GOOD
    assert mapping_from_json(b"\xef\xbb\xbf" + text.encode()) == GOOD  # saved by Notepad


def test_targets_are_the_layouts_csv_headers():
    paths = targets(load_layout())
    assert paths[:2] == ["orgSpecificCertificateTypeId", "myNumber"]
    assert "certificationDetail[20].value" in paths
    assert len(paths) == 30 + 40  # 30 fields, 20 券面項目 of two columns


@pytest.mark.parametrize(
    ("doc", "error"),
    [
        ([], "JSON のオブジェクト"),
        ({"fields": {}}, "レイアウト診断の対応表ではありません"),
        ({**GOOD, "schema": "pmh-layout-doctor/9"}, "対応表の版「pmh-layout-doctor/9」は"),
        (
            {**GOOD, "layout": "pmh-medical-subsidy/7"},
            "レコードレイアウト「pmh-medical-subsidy/7」はありません",
        ),
        ({**GOOD, "extra": 1}, "不明なキー「extra」"),
        ({**GOOD, "source": {"sheet": ""}}, "シート名"),
        (_mapping(foo={"column": "x"}), "「foo」は PMH のレイアウトにない項目です"),
        (_mapping(myNumber="個人番号"), '項目「個人番号（myNumber）」: {"column": 列名}'),
        (_mapping(myNumber={}), "どれか1つを指定してください"),
        (_mapping(myNumber={"column": "a", "value": "b"}), "どれか1つ"),
        (
            _mapping(myNumber={"value": "123456789018"}),
            "人ごとに違う項目には固定値を設定できません",
        ),
        (_mapping(segment={"value": "a\nb"}), "改行や制御文字"),
        (_mapping(segment={"column": " "}), "空でない文字列"),
        (_mapping(segment={"columns": ["a"]}), "2〜10個"),
        (_mapping(segment={"column": "a", "joiner": "-"}), "つなぎの文字"),
        (_mapping(segment={"column": "a", "colour": "red"}), "不明なキー「colour」"),
        (_mapping(segment={"column": "a", "conversions": {}}), "20個までのリスト"),
        (_mapping(segment={"column": "a", "conversions": ["trim"]}), '変換1: 変換は {"op"'),
        (
            _mapping(segment={"column": "a", "conversions": [{"op": "guess"}]}),
            "変換「guess」はありません",
        ),
        (_mapping(segment={"column": "a", "conversions": [{"op": "pad"}]}), "桁数（width）"),
        (_mapping(segment={"column": "a", "conversions": [{"op": "pad", "width": True}]}), "桁数"),
        (
            _mapping(segment={"column": "a", "conversions": [{"op": "date", "forms": ["us"]}]}),
            "日付の書き方「us」は使えません",
        ),
        (_mapping(segment={"column": "a", "conversions": [{"op": "date"}]}), "1つ以上"),
        (
            _mapping(segment={"column": "a", "conversions": [{"op": "map", "table": {}}]}),
            "値の対応表（table）",
        ),
        (
            _mapping(segment={"column": "a", "conversions": [{"op": "map", "table": {"a": 1}}]}),
            "変換後の値を100文字以内の文字列で",
        ),
        (
            _mapping(
                segment={
                    "column": "a",
                    "conversions": [{"op": "map", "table": {"a": "b"}, "other": "guess"}],
                }
            ),
            "other",
        ),
        (
            _mapping(segment={"column": "a", "conversions": [{"op": "kana", "space": "yes"}]}),
            "true か false",
        ),
        (
            _mapping(segment={"column": "a", "conversions": [{"op": "remove", "chars": ""}]}),
            "取り除く文字",
        ),
        (
            _mapping(segment={"column": "区分"}, incomeSegment={"column": "区分"}),
            "列「区分」が「区分」と「所得区分」の両方に割り当てられています",
        ),
    ],
)
def test_bad_mappings_are_explained_in_japanese(doc, error):
    errors = check_mapping(doc)
    assert any(error in e for e in errors), errors


def test_every_problem_is_listed_not_only_the_first():
    doc = _mapping(foo={"column": "a"}, myNumber={"value": "1"}, segment={"columns": []})
    assert len(check_mapping(doc)) == 3


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (b"{", "JSON として読めません（1行目に誤りがあります）"),
        (b"\xff\xfe{}", "UTF-8 の JSON ファイルを選んでください"),
        (b" " * (1 << 20) + b"{}", "ファイルが大きすぎます"),
        ("[" * 100_000 + "]" * 100_000, "JSON として読めません"),
        (b'{"schema": "x"}', "レイアウト診断の対応表ではありません"),
    ],
)
def test_imports_that_are_not_mappings(data, error):
    with pytest.raises(MappingError) as caught:
        mapping_from_json(data)
    assert any(error in e for e in caught.value.errors)


def test_export_refuses_a_broken_mapping():
    with pytest.raises(MappingError, match="PMH のレイアウトにない項目"):
        mapping_to_json(_mapping(foo={"column": "a"}))
