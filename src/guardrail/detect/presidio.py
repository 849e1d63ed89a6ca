"""The Presidio adapter: guardrail's catalog as recognizers for Presidio's ``AnalyzerEngine``.

The only module that imports ``presidio_analyzer`` and ``spacy`` (ARCHITECTURE §3). It gives:

* :class:`BlankSpacyNlpEngine` — Presidio's spaCy engine on a *blank* pipeline (no model
  download; a real model is used when one is installed);
* :class:`CatalogRecognizer` — one Presidio ``PatternRecognizer`` per catalog entity. Its
  ``patterns`` and ``context`` are the catalog's, and its ``analyze`` runs guardrail's own
  engine for that entity, so validators, capture groups, triggers and context rules behave
  exactly as in :class:`~guardrail.detect.Scanner` (one catalog, no drift);
* :func:`analyzer_engine` — an ``AnalyzerEngine`` with the catalog, Presidio-format YAML
  recognizer files and the ``guardrail.recognizers`` entry points;
* :func:`stock_analyzer` — stock Presidio (blank spaCy, predefined recognizers): the
  benchmark reference;
* :func:`use_bundled_tld_snapshot` — ``tldextract`` (used by Presidio's e-mail and URL
  recognizers) reads its bundled public-suffix snapshot instead of fetching the list.
"""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Callable, Iterable, Sequence
from functools import cache
from pathlib import Path
from typing import Any, Literal

from guardrail.detect.catalog import Catalog, EntitySpec, load_catalog, load_presidio_yaml
from guardrail.errors import ConfigError, PluginError
from guardrail.model.detection import Detection

__all__ = [
    "BlankSpacyNlpEngine",
    "CatalogRecognizer",
    "analyzer_engine",
    "catalog_recognizers",
    "installed_spacy_model",
    "results_to_detections",
    "spacy_ner",
    "stock_analyzer",
    "use_bundled_tld_snapshot",
]

_EN_MODELS = ("en_core_web_trf", "en_core_web_lg", "en_core_web_md", "en_core_web_sm")
#: spaCy NER labels -> guardrail entities.
_NER_LABELS = {
    "PERSON": "PERSON",
    "PER": "PERSON",
    "GPE": "LOCATION",
    "LOC": "LOCATION",
    "FAC": "LOCATION",
    "NORP": "NRP",
}
_LOCK = threading.Lock()


def installed_spacy_model() -> str | None:
    """The best installed English spaCy pipeline package, or ``None`` (no import of spaCy)."""
    for name in _EN_MODELS:
        if importlib.util.find_spec(name) is not None:
            return name
    return None


def _load_spacy(model: str) -> Any:
    import spacy

    try:
        return spacy.load(model)
    except OSError:
        raise ConfigError(
            f"spaCy model '{model}' is not installed",
            hint="install it (pip install <model wheel>) or use ner=None",
        ) from None


def spacy_ner(model: str) -> Callable[[str], list[tuple[int, int, str]]]:
    """A function giving ``(start, end, entity)`` for the names, places and NRP the spaCy
    pipeline ``model`` (a package name or a path) recognises in a text."""
    with _LOCK:
        nlp = _load_spacy(model)

    def run(text: str) -> list[tuple[int, int, str]]:
        doc = nlp(text)
        return [
            (e.start_char, e.end_char, _NER_LABELS[e.label_])
            for e in doc.ents
            if e.label_ in _NER_LABELS and e.end_char > e.start_char
        ]

    return run


def use_bundled_tld_snapshot() -> None:
    """Make ``tldextract`` use the public-suffix snapshot shipped in its wheel (no network,
    no cache directory). Idempotent."""
    import tldextract.tldextract as tld

    if getattr(tld.TLD_EXTRACTOR, "_guardrail_offline", False):
        return
    extractor = tld.TLDExtract(suffix_list_urls=(), cache_dir=None, fallback_to_snapshot=True)
    extractor._guardrail_offline = True  # type: ignore[attr-defined]
    tld.TLD_EXTRACTOR = extractor


def _presidio() -> Any:
    use_bundled_tld_snapshot()
    import presidio_analyzer

    return presidio_analyzer


def _nlp_engine_base() -> Any:
    from presidio_analyzer.nlp_engine import SpacyNlpEngine

    return SpacyNlpEngine


@cache
def _classes() -> tuple[Any, Any]:
    """Presidio subclasses, built on first use: importing this module stays cheap (the
    scanner imports it only to look for an installed spaCy model)."""
    _presidio()
    from presidio_analyzer import AnalysisExplanation, Pattern, PatternRecognizer, RecognizerResult

    SpacyNlpEngine = _nlp_engine_base()

    class _BlankSpacyNlpEngine(SpacyNlpEngine):  # type: ignore[misc, valid-type]
        """Presidio's spaCy engine on blank pipelines: tokenisation only, no download.

        ``models`` maps a language to an installed spaCy package (``{"en": "en_core_web_sm"}``);
        languages without one get ``spacy.blank(lang)``.
        """

        engine_name = "spacy"

        def __init__(
            self, languages: Sequence[str] = ("en",), models: dict[str, str] | None = None
        ) -> None:
            super().__init__(
                models=[
                    {"lang_code": lang, "model_name": (models or {}).get(lang, "blank")}
                    for lang in languages
                ]
            )
            self._languages = tuple(languages)
            self._models = dict(models or {})

        def load(self) -> None:
            import spacy

            self.nlp = {}
            for lang in self._languages:
                model = self._models.get(lang)
                self.nlp[lang] = _load_spacy(model) if model else spacy.blank(lang)

    class _CatalogRecognizer(PatternRecognizer):
        """A catalog entity as a Presidio ``PatternRecognizer`` (see the module docstring)."""

        def __init__(self, spec: EntitySpec, *, language: str = "en") -> None:
            from guardrail.detect.catalog import Catalog as _Catalog
            from guardrail.detect.scanner import Scanner

            patterns = [Pattern(name=p.name, regex=p.regex, score=p.score) for p in spec.patterns]
            if not patterns:
                raise ConfigError(f"entity {spec.entity} has no patterns to recognise with")
            super().__init__(
                supported_entity=spec.entity,
                name=f"guardrail_{spec.entity.lower()}",
                supported_language=language,
                patterns=patterns,
                context=list(spec.context.words),
                global_regex_flags=0,
            )
            self.spec = spec
            self._scanner = Scanner(
                entities=[spec.entity],
                catalog=_Catalog(entities=(spec,)),
                min_score=0.0,
                plugins=False,
                ner=None,
            )

        def analyze(
            self,
            text: str,
            entities: list[str],
            nlp_artifacts: Any = None,
            regex_flags: int | None = None,
        ) -> list[Any]:
            if entities and self.spec.entity not in entities:
                return []
            language: Literal["zh"] | None = "zh" if self.supported_language == "zh" else None
            out = []
            for s, e, score, _, entity, rule in self._scanner.candidates(text, language=language):
                name = str(getattr(self, "name", "guardrail"))
                explanation = AnalysisExplanation(
                    recognizer=name,
                    original_score=score,
                    pattern_name=rule,
                    validation_result=True,
                    textual_explanation=f"guardrail catalog pattern '{rule}'",
                )
                out.append(
                    RecognizerResult(
                        entity_type=entity,
                        start=s,
                        end=e,
                        score=score,
                        analysis_explanation=explanation,
                        recognition_metadata={
                            RecognizerResult.RECOGNIZER_NAME_KEY: name,
                            RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
                            # context was already applied by the catalog's own rules
                            RecognizerResult.IS_SCORE_ENHANCED_BY_CONTEXT_KEY: True,
                        },
                    )
                )
            return out

    return _BlankSpacyNlpEngine, _CatalogRecognizer


def BlankSpacyNlpEngine(
    languages: Sequence[str] = ("en",), models: dict[str, str] | None = None
) -> Any:
    """A ``SpacyNlpEngine`` subclass instance on blank spaCy pipelines (see :func:`_classes`)."""
    cls, _ = _classes()
    return cls(languages, models)


def CatalogRecognizer(spec: EntitySpec, *, language: str = "en") -> Any:
    """A Presidio ``PatternRecognizer`` subclass instance for catalog entity ``spec``."""
    _, cls = _classes()
    return cls(spec, language=language)


def catalog_recognizers(
    catalog: Catalog | None = None,
    *,
    entities: Iterable[str] | None = None,
    languages: Sequence[str] = ("en", "zh"),
) -> list[Any]:
    """One :func:`CatalogRecognizer` per entity (with patterns) and language."""
    catalog = catalog or load_catalog()
    wanted = set(entities) if entities is not None else None
    return [
        CatalogRecognizer(spec, language=lang)
        for spec in catalog.entities
        if spec.patterns and (wanted is None or spec.entity in wanted)
        for lang in languages
    ]


def analyzer_engine(
    *,
    languages: Sequence[str] = ("en", "zh"),
    entities: Iterable[str] | None = None,
    recognizer_files: Iterable[Path] = (),
    plugins: bool = True,
    ner_model: str | None = "auto",
) -> Any:
    """An ``AnalyzerEngine`` fed by guardrail's catalog — the extension surface.

    ``recognizer_files``: Presidio-format YAML recognizer files; ``plugins``: also the
    ``guardrail.recognizers`` entry points (catalog specs become catalog recognizers,
    Presidio recognizer objects are registered as they are); ``ner_model``: an installed
    spaCy model for English NER (``"auto"`` picks one if installed).
    """
    presidio = _presidio()
    from presidio_analyzer import RecognizerRegistry

    from guardrail.detect.recognizers import load_plugin_recognizers

    specs: list[EntitySpec] = []
    foreign: list[Any] = []
    for path in recognizer_files:
        specs += load_presidio_yaml(Path(path))
    if plugins:
        s, f = load_plugin_recognizers()
        specs += s
        foreign += f
    from guardrail.detect.catalog import merge_catalogs

    catalog = merge_catalogs(load_catalog(), specs) if specs else load_catalog()
    model = installed_spacy_model() if ner_model == "auto" else ner_model
    models = {"en": model} if model and "en" in languages else {}
    nlp = BlankSpacyNlpEngine(languages, models)
    nlp.load()
    registry = RecognizerRegistry(supported_languages=list(languages))
    for rec in catalog_recognizers(catalog, entities=entities, languages=languages):
        registry.add_recognizer(rec)
    for rec in foreign:
        if not isinstance(rec, presidio.EntityRecognizer):
            raise PluginError(
                f"recognizer plugin '{getattr(rec, 'name', type(rec).__name__)}' is not a "
                "Presidio EntityRecognizer",
                hint="subclass presidio_analyzer.EntityRecognizer or return catalog specs",
            )
        registry.add_recognizer(rec)
    if models:
        from presidio_analyzer.predefined_recognizers import SpacyRecognizer

        registry.add_recognizer(SpacyRecognizer(supported_language="en"))
    return presidio.AnalyzerEngine(
        nlp_engine=nlp, registry=registry, supported_languages=list(languages)
    )


def stock_analyzer(language: str = "en") -> Any:
    """Stock Presidio: blank spaCy pipeline and Presidio's predefined recognizers — the
    reference the benchmarks measure guardrail against."""
    presidio = _presidio()
    from presidio_analyzer import RecognizerRegistry

    nlp = BlankSpacyNlpEngine((language,))
    nlp.load()
    registry = RecognizerRegistry(supported_languages=[language])
    registry.load_predefined_recognizers(languages=[language], nlp_engine=nlp)
    return presidio.AnalyzerEngine(
        nlp_engine=nlp, registry=registry, supported_languages=[language]
    )


def results_to_detections(results: Iterable[Any]) -> list[Detection]:
    """Presidio ``RecognizerResult`` objects as guardrail detections, sorted by start."""
    out = [
        Detection(
            entity=str(r.entity_type),
            start=int(r.start),
            end=int(r.end),
            score=max(0.0, min(1.0, float(r.score))),
            recognizer=str((r.recognition_metadata or {}).get("recognizer_name", "presidio")),
        )
        for r in results
        if int(r.end) > int(r.start)
    ]
    return sorted(out, key=lambda d: (d.start, d.end))
