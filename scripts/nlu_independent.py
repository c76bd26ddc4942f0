"""Scores the assistant's understanding on the independent test set (tests/nlu_independent/).

The set was written apart from the training data, by authors who never saw it (each file's
header says how), and is never used for tuning. Each message has the topic the reply should
have, a category (story, indirect danger, two topics, voice-typed, dialect ...) and sometimes
the second topic it also carries. This parses every message with a trained model (the one
``make train`` built, by default) and reports per language:

- topic accuracy: the topic of the intent the model settles on (after the safety detector and
  the topic decision) is the expected one; "recovered" also counts a "Did you mean ...?" whose
  buttons include the expected topic;
- safety recall and false alarms (non-safety messages answered as safety), for the combined
  detector and for each part alone (cue rules, safety classifier, intent classifier);
- reply-language accuracy: the gateway's language decision for the message, with no language
  remembered, and after an explicit choice of another shipped language (a shared phone); a
  message that asks for another shipped language (``asks_for``) may also be answered in that one.

    python -m scripts.nlu_independent [--model models/wegwijs-....tar.gz]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from pathlib import Path

import yaml

from wegwijs.intent_topics import topic_of
from wegwijs.languages import SHIPPED, UNDERSTOOD, base_language
from wegwijs.paths import ROOT

SET_DIR = ROOT / "tests" / "nlu_independent"
SAFETY = "safety"
FALLBACK = "nlu_fallback"


def load_set(language: str) -> list[dict]:
    return yaml.safe_load((SET_DIR / f"{language}.yml").read_text(encoding="utf-8"))["messages"]


def other_language(language: str) -> str:
    """The explicit earlier choice the language test starts from: another shipped language."""
    return {"nl": "en", "en": "nl", "ar": "fa-AF", "fa-AF": "ar"}.get(base_language(language), SHIPPED[0])


def sets() -> list[str]:
    """The languages and romanized variants (``ar-Latn``) that have an independent set."""
    return [code for code in UNDERSTOOD if (SET_DIR / f"{code}.yml").exists()]


def outcome(parsed: dict) -> dict:
    intent = (parsed.get("intent") or {}).get("name") or FALLBACK
    decision = parsed.get("topic_decision") or {}
    safety = parsed.get("safety") or {}
    classifier_intent = decision.get("classifier_intent") or intent
    return {
        "intent": intent,
        "topic": topic_of(intent) if intent != FALLBACK else None,
        "suggested_topics": [topic_of(s) for s in decision.get("suggestions") or []],
        "also": decision.get("also"),
        "rules": bool(safety.get("categories")),
        "classifier": safety.get("probability", 0.0) >= safety.get("threshold", 1.0),
        "intent_classifier": classifier_intent == "safety_emergency",
        "categories": safety.get("categories") or [],
    }


def rate(hits: int, total: int) -> float:
    return hits / total if total else 0.0


def right_languages(message: dict, language: str) -> set[str]:
    """The reply languages that are right for a message: its own, or the shipped language it asks
    for (``asks_for``: "do u speak dari" is rightly answered in Dari)."""
    return {language, message.get("asks_for") or language}


def score_language(language: str, items: list[tuple[dict, dict, str, str]]) -> dict:
    """``items``: (test message, outcome, language with nothing remembered, after another choice)."""
    total = len(items)
    direct = sum(1 for m, o, _, _ in items if o["topic"] == m["topic"])
    recovered = direct + sum(1 for m, o, _, _ in items if o["topic"] is None and m["topic"] in o["suggested_topics"])
    safety = [(m, o) for m, o, _, _ in items if m["topic"] == SAFETY]
    others = [(m, o) for m, o, _, _ in items if m["topic"] != SAFETY]
    detectors = {}
    for name in ("combined", "rules", "classifier", "intent_classifier"):
        fired = (lambda o: o["topic"] == SAFETY) if name == "combined" else (lambda o, n=name: o[n])
        detectors[name] = {
            "recall": rate(sum(1 for _, o in safety if fired(o)), len(safety)),
            "false_alarms": rate(sum(1 for _, o in others if fired(o)), len(others)),
        }
    categories: dict[str, list[int]] = {}
    for m, o, _, _ in items:
        tally = categories.setdefault(m.get("category", "plain"), [0, 0])
        tally[0] += o["topic"] == m["topic"]
        tally[1] += 1
    with_also = [(m, o) for m, o, _, _ in items if m.get("also") and m["topic"] != SAFETY]
    return {
        "messages": total,
        "topic_accuracy": rate(direct, total),
        "topic_accuracy_with_did_you_mean": rate(recovered, total),
        "safety_recall": detectors["combined"]["recall"],
        "false_alarms": detectors["combined"]["false_alarms"],
        "detectors": detectors,
        "language_accuracy": rate(sum(1 for m, _, fresh, _ in items if fresh in right_languages(m, language)), total),
        "language_after_other_choice": rate(
            sum(1 for m, _, _, after in items if after in right_languages(m, language)), total
        ),
        "second_topic_offered": rate(
            sum(1 for m, o in with_also if o["also"] and topic_of(o["also"]) == m["also"]), len(with_also)
        ),
        "per_category": {c: {"accuracy": rate(h, n), "messages": n} for c, (h, n) in sorted(categories.items())},
        "misses": [
            {"text": m["text"], "expected": m["topic"], "got": o["topic"] or f"did you mean {o['suggested_topics']}"}
            for m, o, _, _ in items
            if o["topic"] != m["topic"]
        ],
    }


async def evaluate(model: Path | None = None) -> dict:
    logging.disable(logging.WARNING)
    from rasa.core.agent import Agent

    from api.language.detector import build_detector
    from api.language.resolve import resolve
    from scripts.train import model_path

    agent = Agent.load(str(model or model_path()))
    detector = build_detector()
    results = {}
    for language in sets():
        items = []
        for message in load_set(language):
            parsed = await agent.parse_message(message["text"])
            fresh = resolve(detector, message["text"], remembered=None, remembered_explicit=False).language
            after = resolve(
                detector, message["text"], remembered=other_language(language), remembered_explicit=True
            ).language
            items.append((message, outcome(parsed), fresh, after))
        # A romanized message is rightly answered in its language (Arabizi in Arabic).
        results[language] = score_language(base_language(language), items)
    return results


def markdown(results: dict) -> str:
    lines = [
        "## Independent test set",
        "",
        "Written apart from the training data by authors who never saw it (tests/nlu_independent/, each file's",
        "header says how); never used for tuning. Parsed with the full model (`scripts/nlu_independent.py`).",
        "",
        '| language | messages | topic accuracy | with "did you mean" | safety recall | false alarms | reply '
        "language | after another choice |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for language, r in results.items():
        lines.append(
            f"| {language} | {r['messages']} | {r['topic_accuracy']:.1%} | "
            f"{r['topic_accuracy_with_did_you_mean']:.1%} | "
            f"{r['safety_recall']:.1%} | {r['false_alarms']:.1%} | {r['language_accuracy']:.1%} | "
            f"{r['language_after_other_choice']:.1%} |"
        )
    lines += [
        "",
        "Safety: recall / false alarms of each detector alone and combined (the assistant uses the combination):",
        "",
        "| language | combined | cue rules (spaCy) | safety classifier | intent classifier |",
        "| --- | --- | --- | --- | --- |",
    ]
    for language, r in results.items():
        d = r["detectors"]
        lines.append(
            f"| {language} | "
            + " | ".join(
                f"{d[n]['recall']:.0%} / {d[n]['false_alarms']:.0%}"
                for n in ("combined", "rules", "classifier", "intent_classifier")
            )
            + " |"
        )
    categories = sorted({c for r in results.values() for c in r["per_category"]})
    lines += [
        "",
        "Topic accuracy per category:",
        "",
        "| category | " + " | ".join(results) + " |",
        "| --- |" + " --- |" * len(results),
    ]
    for category in categories:
        cells = []
        for r in results.values():
            c = r["per_category"].get(category)
            cells.append(f"{c['accuracy']:.0%} of {c['messages']}" if c else "-")
        lines.append(f"| {category} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "Messages with a second topic (not safety) whose reply offers that topic as a button: "
        + ", ".join(f"{language} {r['second_topic_offered']:.0%}" for language, r in results.items()),
        "",
        "Misses (expected -> got):",
        "",
    ]
    for language, r in results.items():
        for miss in r["misses"]:
            lines.append(f"- {language}: {miss['expected']} -> {miss['got']}: {miss['text'][:140]}")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description="Scores the independent NLU test set.")
    parser.add_argument("--model", type=Path)
    args = parser.parse_args()
    results = asyncio.run(evaluate(args.model))
    (ROOT / "results").mkdir(exist_ok=True)
    (ROOT / "results" / "nlu-independent.json").write_text(
        json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    print(markdown(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
