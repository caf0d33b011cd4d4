"""Japanese issue messages: what is wrong and how to fix it, never the value itself.

Values go only into the issue's masked ``value``; a message that quoted the value would carry
personal data past the masking rules.
"""

from __future__ import annotations

import re

_WAREKI = re.compile(r"^\s*(明治|大正|昭和|平成|令和|[MTSHRmtshr]\s*\d)")
_EXCEL_SERIAL = re.compile(r"^[0-9]{5}(\.[0-9]+)?$")
_EXPONENT = re.compile(r"^[0-9.]+[eE][+-]?[0-9]+$")
_FULLWIDTH_DIGIT = re.compile(r"[０-９]")
_HALFWIDTH_KANA = re.compile(r"[\uff61-\uff9f]")
_HIRAGANA = re.compile(r"[\u3041-\u309f]")
_EXCEL_TEXT_FORMULA = re.compile(r'^="[^"]*"$')
_GENGO_CODE_DATE = re.compile(r"^[1-5][0-9]{6}$")
_PADDING = " \u3000"

PADDING_HINT = (
    "前後に空白があります。固定長で出力したときの桁をそろえる空白が残っているようです。"
    "出力設定で空白を付けないようにするか、Excel の TRIM 関数などで取り除いてください。"
)
LEADING_ZERO_HINT = (
    "Excel などで数値として扱われ、先頭の0が消えた可能性があります。"
    "列の書式を「文字列」にして出力し直すか、出力時に桁数まで0で埋めてください"
    '（Excel では =TEXT(A2,"{zeros}") など）。'
)

KIND_WORDS = {
    "alnum": "半角英数字",
    "digits": "半角数字",
    "text": "文字",
    "multiline": "文字",
    "kana": "全角カタカナ",
}


def required(label: str) -> str:
    return f"{label}は必須です。値を入力してください。"


def type_json(label: str, expected: str) -> str:
    return f"{label}のJSONの型が違います。{expected}で指定してください。"


def type_code_number(label: str, codes: dict[str, str]) -> str:
    example = next(iter(codes), "1")
    return (
        f"{label}がJSONの数値になっています。PMHのAPIではコードは文字列です。"
        f'"{example}" のように引用符付きで指定してください。'
    )


def type_identifier_number(label: str) -> str:
    return (
        f"{label}がJSONの数値になっています。先頭の0が失われるため、"
        '文字列（"0123…"のように引用符付き）で指定してください。'
    )


def duplicate_key(label: str) -> str:
    return f"{label}の項目名が1つのレコードに2回以上あります。1つにしてください。"


def padding(value: str) -> str:
    """The fixed-width hint when a value has spaces around it and something inside them."""
    stripped = value.strip(_PADDING)
    return PADDING_HINT if stripped and stripped != value else ""


def charset(label: str, kind: str, value: str) -> str:
    if kind in ("digits", "alnum"):
        if _EXPONENT.match(value):
            return (
                f"{label}がExcelの指数表記（1.23E+11など）になっています。"
                "セルの書式を「文字列」にして出力し直してください。"
            )
        if _EXCEL_TEXT_FORMULA.match(value):
            return (
                f'{label}が Excel の数式 ="…" の形のままです。先頭を0のまま残すための書き方が'
                "そのまま出力されたようです。= と引用符を取り除くか、"
                "列の書式を「文字列」にして値だけを出力してください。"
            )
        if value.startswith("'"):
            return (
                f"{label}の先頭に Excel の文字列指定の ' が残っています。"
                "' を取り除いてください（列の書式を「文字列」にすれば ' は要りません）。"
            )
        hint = padding(value)
        if hint:
            return f"{label}は{KIND_WORDS[kind]}だけで入力してください。{hint}"
        if _FULLWIDTH_DIGIT.search(value):
            hint = "全角数字は半角にしてください。"
        elif "-" in value or " " in value or "\u3000" in value:
            hint = "ハイフンや空白は取り除いてください。"
        return f"{label}は{KIND_WORDS[kind]}だけで入力してください。{hint}"
    return (
        f"{label}に改行・タブ・制御文字など使えない文字が含まれています。"
        "取り除いてから出力し直してください。"
    )


def length_exact(label: str, n: int, actual: int, digits: bool = False) -> str:
    if digits and actual < n:
        return f"{label}は{n}桁で入力してください（現在{actual}桁）。" + LEADING_ZERO_HINT.format(
            zeros="0" * n
        )
    return (
        f"{label}は{n}桁で入力してください（現在{actual}桁）。"
        "先頭の0が欠けていないか確認してください。"
    )


def length_range(label: str, lo: int | None, hi: int | None, actual: int) -> str:
    if lo and hi and lo > 1:
        return f"{label}は{lo}〜{hi}文字で入力してください（現在{actual}文字）。"
    return f"{label}は{hi}文字以内で入力してください（現在{actual}文字）。"


def national_recipient_length(label: str, houbetsu: str, n: int, actual: int) -> str:
    text = f"国の制度（法別番号{houbetsu}）の{label}は{n}桁の数字です（現在{actual}桁）。"
    if actual < n:
        return text + LEADING_ZERO_HINT.format(zeros="0" * n)
    return text + "余分な数字が付いていないか確認してください。"


def kana(label: str, value: str) -> str:
    if _HALFWIDTH_KANA.search(value):
        hint = "半角カナは全角カタカナに直してください。"
    elif _HIRAGANA.search(value):
        hint = "ひらがなはカタカナに直してください。"
    elif value.strip(_PADDING) != value:
        hint = PADDING_HINT
    elif " " in value:
        hint = "空白は全角スペースにしてください。"
    else:
        hint = "使えるのは全角カタカナ・長音「ー」・中点「・」・「＝」・全角スペースだけです。"
    return f"{label}は全角カタカナで入力してください。{hint}"


def kana_half_space(label: str) -> str:
    return (
        f"{label}の姓と名の間が半角スペースです。受け付けますが、全角スペースに置き換えてください。"
    )


def line_break(label: str) -> str:
    return (
        f"{label}に改行が含まれています（Excelで2行の住所を1つのセルにまとめたときなど）。"
        "受け付けますが、PMHでは1行で表示されます。改行を取り除くか空白に置き換えてください。"
    )


def gaiji(label: str) -> str:
    return (
        f"外字の可能性: {label}にPMHで表示できない文字（外字・私用領域の文字、"
        "文字の代わりの〓や●）が含まれています。正しい文字か代わりの文字に置き換えてください。"
    )


def date(label: str, value: str, csv: bool) -> str:
    forms = "YYYY-MM-DD・YYYYMMDD・YYYY/MM/DD など" if csv else "YYYY-MM-DD"
    if _WAREKI.match(value):
        hint = "和暦は使えません。西暦（例: 2025-04-01）に直してください。"
    elif _GENGO_CODE_DATE.match(value):
        hint = (
            "元号コード付きの和暦（1桁目が元号: 5 令和・4 平成・3 昭和、続く6桁が年月日。"
            "例: 5060401 = 令和6年4月1日）のようです。"
            "出力設定で西暦の日付（例: 2024-04-01）を選ぶか、西暦に変換してください。"
        )
    elif padding(value):
        hint = PADDING_HINT
    elif _EXCEL_SERIAL.match(value):
        hint = "Excelの日付シリアル値のようです。セルの書式を日付にして出力し直してください。"
    elif "T" in value or ":" in value:
        hint = "時刻やタイムゾーンは付けないでください。"
    else:
        hint = ""
    return f"{label}は西暦の日付（{forms}）で入力してください。{hint}"


def date_not_real(label: str) -> str:
    return f"{label}は存在しない日付です（2月30日など）。正しい日付に直してください。"


def date_future(label: str) -> str:
    return f"{label}が未来の日付です。正しい日付に直してください。"


def date_too_early(label: str, minimum: str) -> str:
    return f"{label}が{minimum}より前です。正しい日付に直してください。"


def date_order(label_from: str, label_to: str) -> str:
    return f"{label_to}が{label_from}より前になっています。期間を確認してください。"


def code(label: str, codes: dict[str, str], value: str = "") -> str:
    listed = "・".join(f"{k}（{v}）" for k, v in codes.items())
    return f"{label}は {listed} のいずれかで入力してください。{padding(value)}"


def delete_in_full(label: str) -> str:
    return f"全件ファイルでは{label}にtrueを指定できません。削除は差分ファイルで送ってください。"


def boolean(label: str, csv: bool, value: str = "") -> str:
    if csv:
        return (
            f"{label}は 0・1・true・false のいずれかで入力してください（空白なし）。"
            f"{padding(value)}"
        )
    return f"{label}はJSONの true か false（引用符なし）で指定してください。"


def number(label: str, value: str = "") -> str:
    return (
        f"{label}は半角の整数で入力してください（カンマ・小数点・全角数字は使えません）。"
        f"{padding(value)}"
    )


def number_range(label: str, lo: int, hi: int) -> str:
    return f"{label}は{lo:,}〜{hi:,}の範囲の整数で入力してください。"


def check_digit(label: str, scheme: str) -> str:
    what = "検査用数字" if scheme == "mynumber" else "検証番号"
    return f"{label}の{what}（末尾1桁）が合いません。番号に誤りがないか確認してください。"


def prefecture_range(label: str, lo: str, hi: str) -> str:
    return f"{label}の都道府県番号（3〜4桁目）は{lo}〜{hi}です。番号を確認してください。"


def prefecture_mismatch(label: str, got: str, expected: str) -> str:
    return (
        f"{label}の都道府県番号（{got}）が提出元の団体の都道府県（{expected}）と違います。"
        "番号を確認してください。"
    )


def houbetsu_unknown(label: str, houbetsu: str) -> str:
    return (
        f"{label}の法別番号（{houbetsu}）は国の制度にも、この連携に登録された制度にもありません。"
        "番号を確認するか、制度の公費負担者番号を登録してください。"
    )


def houbetsu_insurance(label: str, houbetsu: str) -> str:
    return (
        f"{label}の法別番号（{houbetsu}）は医療保険の保険者の番号です。"
        "保険者番号を入力していませんか。受給者証に記載の公費負担者番号を入力してください。"
    )


def houbetsu_separate(label: str, houbetsu: str, name: str) -> str:
    return (
        f"{label}の法別番号（{houbetsu}・{name}）は医療費助成としてではなく、"
        "厚生労働省の別の手続きで登録します。このファイルに含めてよいか確認してください。"
    )


def sex_not_managed(label: str, houbetsu: str, value: str) -> str:
    return (
        f"自立支援医療（法別番号{houbetsu}）は性別を管理しないため、{label}は {value} "
        "（不明）が推奨です。受け付けますが、制度の取り扱いを確認してください。"
    )


def conditions(label: str) -> str:
    return (
        f"{label}は「項目-コード」を「;」でつないだ半角英数字で入力してください"
        "（例: A01-1;B02-3）。"
    )


def too_many_items(label: str, n: int) -> str:
    return f"{label}は{n}件までです。"


def key_duplicate(earlier_row: int, key_labels: str) -> str:
    return f"{earlier_row}件目と同じキー（{key_labels}）のレコードです。重複を取り除いてください。"


def delete_unknown() -> str:
    return "削除しようとしたレコードがテスト環境のデータにありません。キーを確認してください。"


def column_count(expected: int, actual: int) -> str:
    return (
        f"列の数が見出し行と違います（見出し{expected}列、この行{actual}列）。"
        "区切りのカンマや引用符の閉じ忘れを確認してください。"
    )


def not_object() -> str:
    return (
        "配列の要素がオブジェクト（{…}）ではありません。"
        "1件のレコードは1つのオブジェクトにしてください。"
    )


def did_you_mean(suggestion: str | None) -> str:
    return f"「{suggestion}」の誤りではありませんか。" if suggestion else ""


def unknown_column(name: str, suggestion: str | None) -> str:
    return (
        f"列「{name}」はレイアウトにないため読み飛ばします。{did_you_mean(suggestion)}"
        "列名の誤りでないか確認してください。"
    )


def unknown_key(path: str, suggestion: str | None) -> str:
    return (
        f"項目「{path}」はPMHのAPIにないため読み飛ばします。{did_you_mean(suggestion)}"
        "項目名の誤りでないか確認してください（誤りのままでは値が登録されません）。"
    )


def mass_removal(mode: str, stored: int, removed: int) -> str:
    share = removed * 100 / stored if stored else 0
    what = "このファイルで削除される" if mode == "diff" else "このファイルに含まれず削除される"
    return (
        f"テスト環境にある{stored:,}件のうち{removed:,}件（{share:.0f}%）が{what}レコードです。"
        "PMHではレコードが消えた翌日に医療機関が公費を終了します。"
        "抽出条件の誤りや出力漏れでないか確認してください。"
    )


def eof_marker() -> str:
    return (
        "ファイルの末尾にEOF記号（0x1A）があります。古いシステムが付けるもので、"
        "読み飛ばしました。出力設定で付けないようにできれば、そうしてください。"
    )
