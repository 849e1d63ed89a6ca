"""PDF for filing: the HTML report laid out for print by WeasyPrint (the ``pdf`` extra).

Text stays text (selectable, searchable, fonts embedded as subsets), the PDF is tagged for
accessibility, and the document's metadata (title, author, creation date = the audit time)
comes from the HTML. Chinese needs a CJK font known to fontconfig (Debian:
``fonts-noto-cjk``); WeasyPrint itself needs Pango (``libpango-1.0-0 libpangoft2-1.0-0``).
Nothing is fetched while rendering: the fetcher only accepts ``data:`` URLs.
"""

from __future__ import annotations

from typing import Any

from guardrail.errors import PluginError
from guardrail.model.audit import AuditResult
from guardrail.model.common import Lang
from guardrail.report._common import run_uuid
from guardrail.report.html import render_html

__all__ = ["PdfReporter", "render_pdf"]


class PdfReporter:
    suffix = ".pdf"

    def render(self, result: AuditResult, *, lang: Lang = Lang.EN) -> bytes:
        return render_pdf(result, lang=lang)


def _weasyprint() -> Any:
    try:
        import weasyprint
    except ImportError:
        raise PluginError(
            "the pdf format needs WeasyPrint, which is not installed",
            hint="install it with: pip install 'guardrail[pdf]'",
        ) from None
    except OSError:
        # WeasyPrint is installed but cannot load Pango (a system library).
        raise PluginError(
            "the pdf format needs the Pango library, which WeasyPrint cannot load",
            hint="install it (Debian/Ubuntu: apt-get install libpango-1.0-0 libpangoft2-1.0-0 "
            "fonts-noto-cjk)",
        ) from None
    return weasyprint


def render_pdf(result: AuditResult, *, lang: Lang | str = Lang.EN) -> bytes:
    """The HTML report rendered to PDF bytes."""
    weasyprint = _weasyprint()
    html = render_html(result, lang=lang)
    fetcher = weasyprint.urls.URLFetcher(allowed_protocols={"data"})
    document = weasyprint.HTML(string=html, base_url=None, url_fetcher=fetcher)
    pdf: bytes = document.write_pdf(
        # A stable identifier (the run's UUID) keeps re-rendered PDFs of one run identical.
        pdf_identifier=run_uuid(result).hex.encode("ascii"),
        pdf_tags=True,
    )
    return pdf
