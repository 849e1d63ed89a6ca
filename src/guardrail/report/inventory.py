"""Rendering the data inventory and the records of processing (md, csv, xlsx, json).

Three views of the same data: ``fields`` (every personal-data field under each law),
``ropa`` (GDPR Art. 30(1)(a)-(g) record of processing activities) and ``pipl`` (the PIPL
processing record: Art. 55/56 impact-assessment inputs).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import Literal

from guardrail.model.common import Lang
from guardrail.model.inventory import InventoryField, ProcessingRecord

__all__ = ["InventoryFormat", "InventoryView", "render_inventory", "table_rows"]

InventoryFormat = Literal["md", "csv", "xlsx", "json"]
InventoryView = Literal["fields", "ropa", "pipl"]

_H: dict[str, tuple[str, str]] = {
    "datastore": ("Datastore", "数据存储"),
    "dataset": ("Dataset", "数据集"),
    "field": ("Field", "字段"),
    "entities": ("Detected / declared", "识别类型"),
    "categories": ("Categories", "数据类别"),
    "pipl": ("PIPL", "个人信息保护法"),
    "gdpr": ("GDPR", "GDPR"),
    "ccpa": ("CCPA/CPRA", "CCPA/CPRA"),
    "gbt": ("GB/T 43697", "GB/T 43697 分级"),
    "sensitivity": ("Sensitivity", "敏感级别"),
    "source": ("Source", "来源"),
    "protection": ("Protection", "保护措施"),
    "purposes": ("Purposes", "处理目的"),
    "retention": ("Retention", "保存期限"),
    "recipients": ("Recipients", "接收方"),
    "transfers": ("Cross-border", "跨境传输"),
    "owner": ("Owner", "负责人"),
    # GDPR Art. 30(1)
    "controller": ("(a) Controller", "(a) 控制者"),
    "purpose": ("(b) Purpose", "(b) 处理目的"),
    "basis": ("Legal basis (Art. 6)", "法律依据（第6条）"),
    "subjects_data": ("(c) Data subjects / personal data", "(c) 数据主体 / 个人数据类别"),
    "recipients_d": ("(d) Recipients", "(d) 接收方"),
    "transfers_e": ("(e) Third-country transfers", "(e) 向第三国传输"),
    "erasure_f": ("(f) Erasure time limits", "(f) 删除期限"),
    "security_g": ("(g) Security measures", "(g) 安全措施"),
    # PIPL
    "p_purpose": ("Purpose and method", "处理目的和方式"),
    "p_basis": ("Legal basis (Art. 13)", "合法性基础（第十三条）"),
    "p_categories": ("PI categories", "个人信息种类"),
    "p_sensitive": ("Sensitive PI (Art. 28)", "敏感个人信息（第二十八条）"),
    "p_separate": ("Separate consent (Art. 29)", "单独同意（第二十九条）"),
    "p_recipients": (
        "Entrusted / provided to (Arts. 21, 23)",
        "委托处理或向他人提供（第二十一、二十三条）",
    ),
    "p_transfers": ("Cross-border (Arts. 38-39)", "出境（第三十八、三十九条）"),
    "p_retention": ("Retention (Art. 19)", "保存期限（第十九条）"),
    "p_security": ("Security measures (Art. 51)", "安全保护措施（第五十一条）"),
    "p_pipia": ("Impact assessment (Arts. 55-56)", "个人信息保护影响评估（第五十五、五十六条）"),
    "p_adm": ("Automated decisions (Art. 24)", "自动化决策（第二十四条）"),
}


def _h(key: str, lang: Lang) -> str:
    en, zh = _H[key]
    return zh if lang is Lang.ZH else en


def _j(items: Sequence[str]) -> str:
    return "; ".join(items)


def _pipl(f: InventoryField) -> str:
    p = f.labels.pipl
    return f"sensitive ({', '.join(k.value for k in p.kinds)})" if p.sensitive else "general"


def _gdpr(f: InventoryField) -> str:
    g = f.labels.gdpr
    if g.special:
        return "Art. 9 (" + ", ".join(k.value for k in g.special) + ")"
    return "Art. 10" if g.criminal else "personal data"


def _ccpa(f: InventoryField) -> str:
    c = f.labels.ccpa
    return "SPI " + ", ".join(c.clauses) if c.sensitive else "PI"


def _protection(f: InventoryField) -> str:
    p = f.protection
    kinds = [
        k
        for k, v in (
            ("field-encrypted", p.field_encrypted),
            ("pseudonymised", p.pseudonymized),
            ("tokenised", p.tokenized),
            ("hashed", p.hashed),
            ("masked in display", p.masked_in_display),
        )
        if v
    ]
    return ", ".join(kinds) or "none declared"


def table_rows(
    view: InventoryView,
    fields: Sequence[InventoryField],
    records: Sequence[ProcessingRecord],
    lang: Lang = Lang.EN,
) -> tuple[list[str], list[list[str]]]:
    """Header and rows of a view (shared by every tabular format)."""
    if view == "fields":
        keys = [
            "datastore",
            "dataset",
            "field",
            "entities",
            "categories",
            "pipl",
            "gdpr",
            "ccpa",
            "gbt",
            "sensitivity",
            "source",
            "protection",
            "purposes",
            "retention",
            "recipients",
            "transfers",
            "owner",
        ]
        rows = [
            [
                f.datastore,
                f.dataset,
                f.field,
                _j(f.entities),
                _j(f.categories),
                _pipl(f),
                _gdpr(f),
                _ccpa(f),
                f.labels.gbt_43697,
                f.sensitivity.value,
                f.source,
                _protection(f),
                _j(f.purposes),
                f.retention or "not defined",
                _j(f.recipients),
                _j(f.transfers),
                f.owner or "",
            ]
            for f in fields
        ]
        return [_h(k, lang) for k in keys], rows
    if view == "ropa":
        keys = [
            "controller",
            "purpose",
            "basis",
            "subjects_data",
            "recipients_d",
            "transfers_e",
            "erasure_f",
            "security_g",
        ]
        rows = [
            [
                r.controller,
                r.description.get(lang),
                r.legal_basis.gdpr.value if r.legal_basis.gdpr else "not recorded",
                f"{_j(r.subjects)} / {_j(r.data_categories)}",
                _j([f"{x.name} ({', '.join(x.roles)})" for x in r.recipients]),
                _j(r.transfers) or "none",
                _j(r.retention) or "not defined",
                _j(r.security_measures) or "none declared",
            ]
            for r in records
        ]
        return [_h(k, lang) for k in keys], rows
    keys = [
        "p_purpose",
        "p_basis",
        "p_categories",
        "p_sensitive",
        "p_separate",
        "p_recipients",
        "p_transfers",
        "p_retention",
        "p_security",
        "p_pipia",
        "p_adm",
    ]
    yes, no = ("是", "否") if lang is Lang.ZH else ("yes", "no")
    rows = [
        [
            r.description.get(lang),
            r.legal_basis.pipl.value if r.legal_basis.pipl else "not recorded",
            _j(r.data_categories),
            _j(r.sensitive_categories) or no,
            yes if r.separate_consent_required or r.sensitive_categories else no,
            _j([f"{x.name} ({', '.join(x.roles)})" for x in r.recipients]),
            _j(r.transfers) or no,
            _j(r.retention) or "not defined",
            _j(r.security_measures) or "none declared",
            _j(r.assessments) or "none",
            yes if r.automated_decision_making else no,
        ]
        for r in records
    ]
    return [_h(k, lang) for k in keys], rows


def render_inventory(
    fields: Sequence[InventoryField],
    records: Sequence[ProcessingRecord],
    *,
    fmt: InventoryFormat,
    view: InventoryView = "fields",
    lang: Lang = Lang.EN,
) -> bytes:
    if fmt == "json":
        doc = {
            "fields": [f.model_dump(mode="json") for f in fields],
            "records": [r.model_dump(mode="json") for r in records],
        }
        return (json.dumps(doc, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    if fmt == "xlsx":
        return _xlsx(fields, records, lang)
    header, rows = table_rows(view, fields, records, lang)
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
        return buf.getvalue().encode("utf-8")
    return _markdown(header, rows).encode("utf-8")


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _markdown(header: list[str], rows: list[list[str]]) -> str:
    lines = [
        "| " + " | ".join(_cell(h) for h in header) + " |",
        "|" + "|".join("---" for _ in header) + "|",
    ]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def _xlsx(
    fields: Sequence[InventoryField], records: Sequence[ProcessingRecord], lang: Lang
) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    wb = Workbook()
    titles = {
        "fields": ("Fields", "字段清单"),
        "ropa": ("GDPR Art. 30", "GDPR 第30条记录"),
        "pipl": ("PIPL record", "个人信息处理记录"),
    }
    first = True
    views: tuple[InventoryView, ...] = ("fields", "ropa", "pipl")
    for view in views:
        header, rows = table_rows(view, fields, records, lang)
        title = titles[view][1 if lang is Lang.ZH else 0]
        ws = wb.active if first else wb.create_sheet()
        first = False
        assert ws is not None
        ws.title = title
        ws.append(header)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in rows:
            ws.append(row)
        for col in ws.columns:
            width = min(60, max(len(str(c.value or "")) for c in col) + 2)
            ws.column_dimensions[col[0].column_letter].width = width
            for c in col[1:]:
                c.alignment = Alignment(wrap_text=True, vertical="top")
        ws.freeze_panes = "A2"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
