"""Text detection: guardrail's engine vs stock Presidio on the pii-eval files, same run.

    python benchmarks/bench_detect_text.py [--repeat 3] [--quick]

Reference: Presidio's ``AnalyzerEngine`` with a blank spaCy pipeline and its predefined
recognizers (``guardrail.detect.presidio.stock_analyzer``), one ``analyze`` call per record,
as the pii-eval README measured it. guardrail: ``Scanner.scan_many`` over the same records
with every catalog entity enabled (DATE_TIME included, since Presidio reports dates).

Runs alternate (guardrail, Presidio, guardrail, ...) and the fastest of each is reported (the
least noisy estimate on a shared machine: load only ever adds time), so load from other jobs
hits both alike; run the script a few times and take the median of its ratios. Throughput counts characters of record
text; F1 is entity-level with overlap matching (exact spans too), per entity the gold set
labels. Label mapping (gold -> guardrail): STREET_ADDRESS and zh LOCATION -> ADDRESS, GPE ->
LOCATION, DOMAIN_NAME -> URL, PHONE -> PHONE_NUMBER, CN_ID -> CN_RESIDENT_ID, EMAIL ->
EMAIL_ADDRESS, IP -> IP_ADDRESS, DATE -> DATE_TIME. Predictions: DATE_OF_BIRTH counts as
DATE_TIME and CN_BANK_CARD as CREDIT_CARD (a birth date is a date; a PRC bank card number is
a payment card number).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import SHARED, machine, report

from guardrail.detect.catalog import load_catalog
from guardrail.detect.evaluation import EntityScore, score_spans
from guardrail.detect.scanner import Scanner

DATA = SHARED / "datasets" / "pii-eval"
GOLD_MAP = {
    "en": {"STREET_ADDRESS": "ADDRESS", "GPE": "LOCATION", "DOMAIN_NAME": "URL"},
    "zh": {
        "PHONE": "PHONE_NUMBER",
        "CN_ID": "CN_RESIDENT_ID",
        "LOCATION": "ADDRESS",
        "EMAIL": "EMAIL_ADDRESS",
        "DATE": "DATE_TIME",
        "IP": "IP_ADDRESS",
    },
}
PRED_MAP = {"DATE_OF_BIRTH": "DATE_TIME", "CN_BANK_CARD": "CREDIT_CARD"}
FILES = {"en": "en_presidio_synth_v2.jsonl", "zh": "zh_synth_pii.jsonl"}
#: Entities stock Presidio (blank spaCy, predefined recognizers) reports.
PRESIDIO_ENTITIES = {
    "CREDIT_CARD",
    "CRYPTO",
    "DATE_TIME",
    "EMAIL_ADDRESS",
    "IBAN_CODE",
    "IP_ADDRESS",
    "LOCATION",
    "MEDICAL_LICENSE",
    "NRP",
    "PERSON",
    "PHONE_NUMBER",
    "URL",
    "US_BANK_NUMBER",
    "US_DRIVER_LICENSE",
    "US_ITIN",
    "US_PASSPORT",
    "US_SSN",
    "MAC_ADDRESS",
    "UUID",
}
ZH_TARGETS = {
    "CN_RESIDENT_ID": 0.95,
    "PHONE_NUMBER": 0.95,
    "CREDIT_CARD": 0.95,
    "EMAIL_ADDRESS": 0.95,
    "IP_ADDRESS": 0.95,
    "PERSON": 0.8,
}

Spans = list[list[tuple[str, int, int]]]


def load(lang: str) -> tuple[list[str], Spans]:
    texts: list[str] = []
    gold: Spans = []
    with (DATA / FILES[lang]).open(encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            texts.append(rec["text"])
            gold.append([(s["label"], s["start"], s["end"]) for s in rec["spans"]])
    return texts, gold


def timed(fn: Callable[[], Spans]) -> tuple[float, float, Spans]:
    w0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    return time.perf_counter() - w0, time.process_time() - c0, out


def run_guardrail(scanner: Scanner, texts: list[str], language: str | None) -> Spans:
    return [
        [(d.entity, d.start, d.end) for d in doc]
        for doc in scanner.scan_many(texts, language=language)  # type: ignore[arg-type]
    ]


def run_presidio(analyzer: Any, texts: list[str]) -> Spans:
    return [
        [(r.entity_type, r.start, r.end) for r in analyzer.analyze(t, language="en")] for t in texts
    ]


def f1_table(
    lang: str, gold: Spans, ours: Spans, theirs: Spans
) -> tuple[list[dict[str, Any]], dict[str, EntityScore], dict[str, EntityScore]]:
    g_ov = score_spans(gold, ours, gold_map=GOLD_MAP[lang], pred_map=PRED_MAP)
    p_ov = score_spans(gold, theirs, gold_map=GOLD_MAP[lang], pred_map=PRED_MAP)
    g_ex = score_spans(gold, ours, mode="exact", gold_map=GOLD_MAP[lang], pred_map=PRED_MAP)
    p_ex = score_spans(gold, theirs, mode="exact", gold_map=GOLD_MAP[lang], pred_map=PRED_MAP)
    rows = []
    for entity, g in g_ov.items():
        if g.gold == 0:
            continue  # not labelled in this file: precision cannot be judged
        p = p_ov.get(entity) or EntityScore(entity, g.gold, 0, 0, 0)
        supported = entity in PRESIDIO_ENTITIES
        target = ZH_TARGETS.get(entity) if lang == "zh" else None
        ok = (g.f1 >= p.f1 or not supported) and (target is None or g.f1 >= target)
        rows.append(
            {
                "entity": entity,
                "gold": g.gold,
                "presidio P/R/F1": f"{p.precision:.2f}/{p.recall:.2f}/{p.f1:.2f}",
                "guardrail P/R/F1": f"{g.precision:.2f}/{g.recall:.2f}/{g.f1:.2f}",
                "exact F1 (presidio / guardrail)": (
                    f"{p_ex[entity].f1 if entity in p_ex else 0:.2f} / {g_ex[entity].f1:.2f}"
                ),
                "target": (f"≥ {target:.2f}" if target else "≥ presidio" if supported else "—"),
                "met": "✔" if ok else "✘",
            }
        )
    return rows, g_ov, p_ov


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=5, help="timed runs of each engine")
    ap.add_argument("--quick", action="store_true", help="Presidio on the first 300 records")
    args = ap.parse_args()

    from guardrail.detect.presidio import stock_analyzer

    print(f"# text detection benchmark — {machine()}", flush=True)
    scanner = Scanner(entities=load_catalog().entity_names, plugins=False, ner=None)
    analyzer = stock_analyzer("en")
    speed_rows: list[dict[str, Any]] = []
    for lang in ("en", "zh"):
        texts, gold = load(lang)
        ptexts = texts[:300] if args.quick else texts
        n_chars = sum(map(len, texts))
        p_chars = sum(map(len, ptexts))
        run_guardrail(scanner, texts, None)  # warm-up: phone metadata, regex caches
        run_presidio(analyzer, ptexts[:20])
        g_wall: list[float] = []
        g_cpu: list[float] = []
        p_wall: list[float] = []
        p_cpu: list[float] = []
        ours: Spans = []
        theirs: Spans = []
        for _ in range(args.repeat):
            w, c, ours = timed(lambda texts=texts: run_guardrail(scanner, texts, None))
            g_wall.append(w)
            g_cpu.append(c)
            w, c, theirs = timed(lambda ptexts=ptexts: run_presidio(analyzer, ptexts))
            p_wall.append(w)
            p_cpu.append(c)
        gw, gc = min(g_wall), min(g_cpu)
        pw, pc = min(p_wall), min(p_cpu)
        speed_rows.append(
            {
                "corpus": FILES[lang],
                "chars": n_chars,
                "presidio chars/s": round(p_chars / pw),
                "guardrail chars/s": round(n_chars / gw),
                "ratio (wall)": round((n_chars / gw) / (p_chars / pw), 1),
                "ratio (cpu)": round((n_chars / gc) / (p_chars / pc), 1),
                "target": "≥ 50×",
            }
        )
        if lang == "zh":
            # Warm-up first: jieba loads its dictionary (about a second) on the first call.
            run_guardrail(scanner, texts[:20], "zh")
            deep_runs = [
                timed(lambda texts=texts: run_guardrail(scanner, texts, "zh"))
                for _ in range(args.repeat)
            ]
            w, c = min(r[0] for r in deep_runs), min(r[1] for r in deep_runs)
            deep = deep_runs[-1][2]
            deep_scores = score_spans(gold, deep, gold_map=GOLD_MAP["zh"], pred_map=PRED_MAP)
            speed_rows.append(
                {
                    "corpus": f"{FILES[lang]} (language='zh', jieba pass)",
                    "chars": n_chars,
                    "presidio chars/s": round(p_chars / pw),
                    "guardrail chars/s": round(n_chars / w),
                    "ratio (wall)": round((n_chars / w) / (p_chars / pw), 1),
                    "ratio (cpu)": round((n_chars / c) / (p_chars / pc), 1),
                    "target": f"PERSON F1 {deep_scores['PERSON'].f1:.2f}",
                }
            )
        rows, _, _ = f1_table(lang, gold[: len(ptexts)], ours[: len(ptexts)], theirs)
        report(f"Entity-level F1, {FILES[lang]} ({len(ptexts)} records)", rows)
    report("Text throughput (fastest of runs; ratio = guardrail / Presidio)", speed_rows)


if __name__ == "__main__":
    main()
