"""PDF for filing: selectable text, embedded CJK fonts, pages render (poppler-utils)."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from guardrail.model.audit import AuditResult
from guardrail.model.common import Lang
from guardrail.report import reporter
from guardrail.report.pdf import render_pdf

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("cjk_fonts")]


@pytest.fixture(scope="module")
def pdfs(result: AuditResult, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("pdf")
    paths = {}
    for lang in ("en", "zh"):
        path = out / f"report_{lang}.pdf"
        path.write_bytes(reporter("pdf").render(result, lang=Lang(lang)))
        paths[lang] = path
    return paths


def _run(*args: str) -> str:
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


def test_text_is_selectable_in_both_languages(
    pdfs: dict[str, Path], poppler: dict[str, str]
) -> None:
    zh = _run(poppler["pdftotext"], "-layout", str(pdfs["zh"]), "-")
    en = _run(poppler["pdftotext"], "-layout", str(pdfs["en"]), "-")
    for text in (
        "个人信息合规审计报告",
        "敏感个人信息静态加密存储",
        "使用 AES-256-GCM 加密该字段。",
        "PIPL Art. 51(3)",
    ):
        assert text in zh, text
    for text in (
        "Personal-data compliance audit",
        "Findings by law and article",
        "PIPL Art. 51(3)",
    ):
        assert text in en, text
    assert "个人信息合规审计报告" not in en
    # Masked evidence only.
    assert "621200********9199" in en


def test_cjk_font_is_embedded(pdfs: dict[str, Path], poppler: dict[str, str]) -> None:
    fonts = _run(poppler["pdffonts"], str(pdfs["zh"]))
    rows = [line.split() for line in fonts.splitlines()[2:] if line.strip()]
    cjk = [r for r in rows if "CJK" in r[0]]
    assert cjk, fonts
    # Embedded, subset, with a Unicode map (so copy-paste yields Chinese).
    assert all(r[-5:-2] == ["yes", "yes", "yes"] for r in cjk), fonts


def test_pages_render(pdfs: dict[str, Path], poppler: dict[str, str], tmp_path: Path) -> None:
    info = _run(poppler["pdfinfo"], str(pdfs["zh"]))
    assert "Tagged:          yes" in info
    assert "Page size:       595.276 x 841.89 pts (A4)" in info
    assert "CreationDate:    Sun Nov 22 00:00:00 2026 UTC" in info
    prefix = tmp_path / "page"
    subprocess.run(
        [
            poppler["pdftoppm"],
            "-r",
            "50",
            "-png",
            "-f",
            "1",
            "-l",
            "1",
            str(pdfs["zh"]),
            str(prefix),
        ],
        check=True,
    )
    (png,) = tmp_path.glob("page*.png")
    image = Image.open(io.BytesIO(png.read_bytes())).convert("L")
    dark = sum(n for n, level in image.getcolors(256) or [] if level < 128)
    assert dark > 2000  # text and charts, not an empty page


def test_same_result_same_bytes(result: AuditResult, pdfs: dict[str, Path]) -> None:
    """Creation date = audit time, identifier = run UUID: re-rendering is byte-identical."""
    assert render_pdf(result, lang="en") == pdfs["en"].read_bytes()


def test_missing_weasyprint_names_the_extra(
    result: AuditResult, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    from guardrail.errors import PluginError

    monkeypatch.setitem(sys.modules, "weasyprint", None)  # import fails as if not installed
    with pytest.raises(PluginError, match="needs WeasyPrint") as info:
        render_pdf(result)
    assert info.value.hint == "install it with: pip install 'guardrail[pdf]'"
