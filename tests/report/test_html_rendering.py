"""The HTML report in a real browser: Debian's headless Chromium (DevTools over a pipe)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image
from tests.report.chromium import open_page

from guardrail.model.audit import AuditResult
from guardrail.report.html import render_html

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_opens_without_console_errors(
    chromium: str, incomplete: AuditResult, tmp_path: Path, lang: str
) -> None:
    page = tmp_path / f"report_{lang}.html"
    page.write_text(render_html(incomplete, lang=lang), encoding="utf-8")
    seen = open_page(chromium, page, font_selectors=("h1", "#findings article p"))
    assert seen.errors == []
    # A full-page screenshot: tall (every section laid out) and not blank.
    shot = tmp_path / f"report_{lang}.png"
    shot.write_bytes(seen.screenshot)
    image = Image.open(io.BytesIO(seen.screenshot)).convert("RGB")
    assert image.size == (1200, seen.height) and seen.height > 3000
    colours = image.resize((300, 300)).getcolors(maxcolors=1 << 16) or []
    assert len(colours) > 50
    # The critical severity colour is drawn (badges, ring chart).
    assert any(rgb == (0x8B, 0x00, 0x00) for _, rgb in image.getcolors(1 << 20) or [])
    if lang == "zh":
        # Chinese text is drawn with a CJK font, not boxes.
        assert any("CJK" in f for f in seen.fonts["h1"]), seen.fonts
        assert any("CJK" in f for f in seen.fonts["#findings article p"]), seen.fonts


def test_the_check_catches_external_assets(
    chromium: str, result: AuditResult, tmp_path: Path
) -> None:
    """The console check is not vacuous: a fetch or script the CSP blocks is an error."""
    doc = render_html(result, lang="en").replace(
        "</body>", '<img src="https://example.invalid/pixel.png"></body>'
    )
    page = tmp_path / "tampered.html"
    page.write_text(doc, encoding="utf-8")
    seen = open_page(chromium, page)
    assert len(seen.errors) == 1 and "Content Security Policy" in seen.errors[0]
