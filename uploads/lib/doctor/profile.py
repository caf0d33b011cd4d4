"""Profiling an export and proposing its mapping to PMH's layout.

The header and a bounded sample of rows are read; each column's name is matched against the
synonym table and its values are counted (``evidence``); every (field, column) pair gets a
confidence, and the best pairs are taken greedily so that a column and a field are used at most
once. Only masked sample values leave this module.
"""

from __future__ import annotations

import datetime as dt
from contextlib import ExitStack
from dataclasses import asdict, dataclass
from itertools import islice
from typing import Any

from uploads.lib.validation import Layout, load_layout

from . import scoring
from .evidence import Evidence, gather
from .headers import HeaderIndex, HeaderMatch, header_index
from .mapping import SCHEMA
from .masking import shown
from .plan import PERSONAL_FIELDS, bind
from .sources import Column, Source, open_table
from .values import cell_text

SAMPLE_ROWS = 500
MIN_CONFIDENCE = 0.3
SAMPLES_SHOWN = 3
JST = dt.timezone(dt.timedelta(hours=9))
_HOW = {
    "layout": "項目名",
    "official": "デジタル庁 API の項目名",
    "synonym": "よく使われる列名",
}
_HINTS = {
    "orgSpecificCertificateTypeId": "市区町村の出力にはふつうない項目です。"
    "受給者証の種類ごとに決めた ID を固定値として設定してください。",
    "isAlwaysReimbursement": "償還払いのみの制度でなければ、固定値「0」を設定してください。",
    "certificationName": "受給者証の名称（例: 子ども医療費受給者証）を固定値として設定できます。",
    "isNotDisclosed": "DV等支援措置の対象者を表す列を割り当ててください。"
    "対象者がいないと確かめた場合に限り、固定値「0」を設定できます。",
}


@dataclass(frozen=True)
class Candidate:
    field: str
    column: str
    confidence: float
    reason: str


@dataclass(frozen=True)
class FieldProposal:
    field: str
    label: str
    required: bool
    column: str | None
    confidence: float
    reason: str  # why this column, or why none (Japanese)
    conversions: list[dict]
    alternatives: list[Candidate]  # other columns that might fit, best first


@dataclass(frozen=True)
class ColumnReport:
    name: str
    letter: str
    filled: int  # non-empty values in the sample
    samples: tuple[str, ...]  # masked
    personal: bool
    field: str | None  # the proposed PMH field
    note: str  # why it was left unmapped, or ""


@dataclass
class Profile:
    layout: str
    format: str
    encoding: str | None
    sheet: str | None
    sheets: tuple[str, ...]
    header_line: int
    rows_sampled: int
    columns: list[ColumnReport]
    fields: list[FieldProposal]

    @property
    def unmapped_columns(self) -> list[ColumnReport]:
        return [c for c in self.columns if c.field is None]

    @property
    def unmatched_required(self) -> list[FieldProposal]:
        return [f for f in self.fields if f.required and f.column is None]

    def mapping(self) -> dict[str, Any]:
        """The proposed mapping document, ready to be adjusted and saved."""
        fields = {
            f.field: {"column": f.column, "conversions": f.conversions}
            for f in self.fields
            if f.column is not None
        }
        return {
            "schema": SCHEMA,
            "layout": self.layout,
            "source": {"sheet": self.sheet},
            "fields": fields,
        }

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["unmapped_columns"] = [c.name for c in self.unmapped_columns]
        data["unmatched_required"] = [f.field for f in self.unmatched_required]
        return data


def profile_file(
    source: Source,
    *,
    layout: str = "pmh-medical-subsidy/1",
    sheet: str | None = None,
    mode: str = "full",
    sample_rows: int = SAMPLE_ROWS,
    today: dt.date | None = None,
) -> Profile:
    """Read the header and at most ``sample_rows`` rows of ``source`` and propose a mapping.
    Raises ``SourceError`` (Japanese message) when the file cannot be read as a table."""
    spec = load_layout(layout)
    index = header_index(layout)
    today = today or dt.datetime.now(JST).date()
    with ExitStack() as stack:
        table = open_table(source, stack, sheet=sheet, header_score=_header_score(index))
        rows = [cells for _r, _l, cells in islice(table.rows(), sample_rows)]
    columns = [c for c in table.columns if not _unused(c, rows)]
    known = _houbetsu_check(spec)
    evidence = {c.name: gather(_cells(rows, c.index), known, today) for c in columns}
    candidates = _candidates(spec, index, columns, evidence)
    chosen = _assign(candidates)
    proposals = _proposals(spec, mode, candidates, chosen, evidence)
    profile = Profile(
        layout,
        table.format,
        table.encoding,
        table.sheet,
        table.sheets,
        table.header_line,
        len(rows),
        [],
        proposals,
    )
    personal = _personal(index, columns, candidates, evidence)
    profile.columns = _column_reports(profile, columns, rows, candidates, chosen, personal)
    return profile


def _header_score(index: HeaderIndex):
    return lambda cells: sum(1 for c in cells if c.strip() and index.matches(c))


def _unused(column: Column, rows: list[list[Any]]) -> bool:
    """A column without a header name and without a value in the sample (Excel's empty edge)."""
    if not column.name.endswith("列)") or not column.name.startswith("("):
        return False
    return all(column.index >= len(r) or r[column.index] in (None, "") for r in rows)


def _cells(rows: list[list[Any]], index: int) -> list[Any]:
    return [r[index] if index < len(r) else None for r in rows]


def _houbetsu_check(layout: Layout):
    national = layout.insurer.national_houbetsu
    lo, hi = layout.insurer.local_houbetsu_range
    return lambda h: h in national or lo <= h <= hi


def _candidates(layout, index, columns, evidence) -> list[Candidate]:
    found = []
    for column in columns:
        header = {m.field: m for m in index.matches(column.name)}
        ev = evidence[column.name]
        for spec in layout.fields:
            f = scoring.fit(spec, ev, layout)
            match = header.get(spec.path)
            conf = scoring.confidence(match.score if match else 0.0, f, ev.filled)
            if conf >= MIN_CONFIDENCE:
                reason = _reason(column.name, match, f, ev)
                found.append(Candidate(spec.path, column.name, conf, reason))
    order = {f.path: i for i, f in enumerate(layout.fields)}
    return sorted(found, key=lambda c: (-c.confidence, order[c.field]))


def _reason(column: str, match: HeaderMatch | None, f: scoring.Fit, ev: Evidence) -> str:
    parts = []
    if match is not None and match.how == "partial":
        parts.append(f"列名「{column}」に「{match.known}」が含まれます")
    elif match is not None:
        parts.append(f"列名「{column}」が{_HOW[match.how]}「{match.known}」と一致します")
    if ev.filled:
        parts.append(f"見本{ev.filled}件のうち{round(f.share * 100)}%が{f.words}です")
    else:
        parts.append("見本に値がありません")
    return "。".join(parts) + "。"


def _assign(candidates: list[Candidate]) -> dict[str, Candidate]:
    """Best pairs first; each field and each column is taken once."""
    chosen: dict[str, Candidate] = {}
    used: set[str] = set()
    for c in candidates:
        if c.field not in chosen and c.column not in used:
            chosen[c.field] = c
            used.add(c.column)
    return chosen


def _proposals(layout, mode, candidates, chosen, evidence) -> list[FieldProposal]:
    proposals = []
    for spec in layout.fields:
        pick = chosen.get(spec.path)
        others = [c for c in candidates if c.field == spec.path and c is not pick][:3]
        required = spec.required_in(mode)
        if pick is None:
            note = _unmatched(layout, spec, required, others, chosen)
            proposals.append(
                FieldProposal(spec.path, spec.label, required, None, 0.0, note, [], others)
            )
            continue
        convs = scoring.conversions_for(spec, evidence[pick.column], layout)
        proposals.append(
            FieldProposal(
                spec.path,
                spec.label,
                required,
                pick.column,
                pick.confidence,
                pick.reason,
                convs,
                others,
            )
        )
    return proposals


def _unmatched(layout, spec, required: bool, others: list[Candidate], chosen) -> str:
    hint = _HINTS.get(spec.path, "")
    if others:
        taken = others[0]
        owner = next(f for f, c in chosen.items() if c.column == taken.column)
        label = layout.by_path[owner].label
        text = f"候補の列「{taken.column}」は、より当てはまる項目「{label}」に割り当てました。"
    else:
        text = "列名からも値からも当てはまる列が見つかりません。"
    if required:
        text = "必須の項目です。" + text
    return text + hint


def _personal(index, columns, candidates, evidence) -> set[str]:
    """Columns whose samples are shown masked: by name, by a likely personal field, by values."""
    personal = set()
    for column in columns:
        ev = evidence[column.name]
        likely = any(c.column == column.name and c.field in PERSONAL_FIELDS for c in candidates)
        by_values = (
            ev.share(sum(ev.kana.values())) >= 0.5
            or ev.share(ev.address) >= 0.3
            or (ev.share(ev.kanji) >= 0.5 and ev.distinct >= 0.5 * ev.filled)
        )
        if likely or by_values or index.looks_personal(column.name):
            personal.add(column.name)
    return personal


def _column_reports(profile, columns, rows, candidates, chosen, personal) -> list[ColumnReport]:
    by_column = {c.column: f for f, c in chosen.items()}
    plan = bind(profile.mapping(), columns, personal)
    plans = {p.columns[0].name: p for p in plan.fields}
    disclosure = plan.disclosure_index()
    shown_rows = [r for r in rows if _disclosed(plan, disclosure, r)]
    reports = []
    for column in columns:
        samples = _samples(column, shown_rows, plans.get(column.name), column.name in personal)
        field_path = by_column.get(column.name)
        note = (
            "" if field_path else _column_note(plan.layout, column.name, candidates, chosen, rows)
        )
        filled = sum(1 for v in _cells(rows, column.index) if v not in (None, ""))
        reports.append(
            ColumnReport(
                column.name,
                column.letter,
                filled,
                samples,
                column.name in personal,
                field_path,
                note,
            )
        )
    return reports


def _disclosed(plan, disclosure: int | None, row: list[Any]) -> bool:
    """Samples come only from rows whose non-disclosure flag is clearly false, when a column
    for it is proposed (a DV victim's values are never shown, masked or not)."""
    if disclosure is None:
        return True
    flag = plan.fields[disclosure]
    text, _t, problem = flag.run(row[flag.columns[0].index])
    return problem is None and text.lower() in ("0", "false")


def _samples(column: Column, rows, plan, personal: bool) -> tuple[str, ...]:
    seen: list[str] = []
    for row in rows:
        value = row[column.index] if column.index < len(row) else None
        if value in (None, ""):
            continue
        text = plan.show(cell_text(value)) if plan else shown(cell_text(value), personal=personal)
        if text not in seen:
            seen.append(text)
            if len(seen) >= SAMPLES_SHOWN:
                break
    return tuple(seen)


def _column_note(layout, name: str, candidates, chosen, rows) -> str:
    if not rows:
        return "見本の行がありません。"
    mine = [c for c in candidates if c.column == name]
    if mine:
        best = mine[0]
        holder = chosen.get(best.field)
        label = layout.by_path[best.field].label
        return (
            f"「{label}」の候補でしたが、より当てはまる列「{holder.column}」を割り当てました。"
            "必要なら入れ替えてください。"
        )
    return (
        "列名も値も PMH の項目に当てはまらないため、変換では使いません。"
        "受給者証に印字する項目なら、券面項目（certificationDetail）に割り当てられます。"
    )
