"""Whatever text the model holds, every renderer produces well-formed, schema-valid output."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET

import markupsafe
from hypothesis import given, settings
from hypothesis import strategies as st
from py_ocsf_models.events.findings.compliance_finding import ComplianceFinding
from tests.report.conftest import oscal_schema, sarif_schema, schema_errors
from tests.report.factory import make_result

from guardrail.model.audit import AuditResult
from guardrail.model.common import Lang, LocalizedText
from guardrail.report import reporter
from guardrail.report.json import load_result
from guardrail.report.md import render_markdown

BASE = make_result()
# Any printable text plus the characters that break formats: markup, quotes, separators,
# control characters, CJK.
TEXT = st.text(
    alphabet=st.one_of(
        st.characters(codec="utf-8", exclude_categories=("Cs",)),
        st.sampled_from(list("<>&\"'|`*_[]#\n\r\t,;=+-@\x00\x0b个人信息")),
    ),
    min_size=1,
    max_size=40,
)


def _result(message: str, remediation: str, org: str, sample: str) -> AuditResult:
    f = BASE.findings[0]
    ev = f.evidence[0].model_copy(update={"masked_samples": (sample,)})
    f = f.model_copy(
        update={
            "message": LocalizedText(en=message, zh=message),
            "remediation": LocalizedText(en=remediation, zh=remediation),
            "evidence": (ev,),
        }
    )
    return BASE.model_copy(update={"findings": (f, *BASE.findings[1:]), "organization": org})


@settings(max_examples=25, deadline=None)
@given(message=TEXT, remediation=TEXT, org=TEXT, sample=TEXT, lang=st.sampled_from(["en", "zh"]))
def test_every_format_stays_well_formed(
    message: str, remediation: str, org: str, sample: str, lang: str
) -> None:
    result = _result(message, remediation, org, sample)
    L = Lang(lang)

    def render(fmt: str) -> bytes:
        return reporter(fmt).render(result, lang=L)

    assert load_result(render("json")) == result
    page = render("html").decode("utf-8")
    # Exactly jinja2's autoescaping: the value appears, escaped, never as markup.
    assert str(markupsafe.escape(message)) in page
    assert schema_errors(sarif_schema(), json.loads(render("sarif"))) == []
    assert schema_errors(oscal_schema(), json.loads(render("oscal"))) == []
    for event in json.loads(render("ocsf")):
        ComplianceFinding.model_validate(event)
    ET.fromstring(render("junit"))
    rows = list(csv.DictReader(io.StringIO(render("csv").decode("utf-8-sig"), newline="")))
    first = next(r for r in rows if r["finding_id"] == result.findings[0].id)
    expected = (
        message if not message.startswith(("=", "+", "-", "@", "\t", "\r")) else "'" + message
    )
    assert first["message"] == expected
    md = render_markdown(result, lang=L)
    assert "<details>" in md and len(md) <= 65_536
