"""Per-language NLU evaluation on a held-out split of the project's own data.

For every language file data/nlu/<lang>.yml (and each romanized variant's, data/nlu/ar-Latn.yml),
about 20 % of each intent's examples (at least 3), chosen by a hash of each example, is held
out; an NLU model is trained with config.yml on the rest of all languages together (one
multilingual model, as in production);
each language's held-out examples are then parsed and scored with the intent the whole pipeline
settles on (safety detector and topic decision included; a "did you mean" counts as a miss).
Nonsense typed in Latin and Arabic script must fall back. The report adds the independent test
set (scripts/nlu_independent.py, scored with the full model) and a confusion-matrix picture per
language (docs/nlu-confusion-<lang>.png).

    python -m scripts.nlu_report [--config config.yml] [--out docs/nlu-report.md]

Writes the Markdown report, the pictures and results/nlu-report.json, prints a summary.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from scripts.nlu_independent import evaluate as evaluate_independent, markdown as independent_markdown
from wegwijs.languages import UNDERSTOOD
from wegwijs.paths import NLU_DIR, ROOT

HELD_OUT_SHARE = 0.2
MIN_HELD_OUT = 3
SEED = 20261128
FALLBACK = "nlu_fallback"
SAFETY_INTENT = "safety_emergency"
# The floor every intent's held-out F1 is held to (docs/nlu-report.md marks those below it).
MIN_INTENT_F1 = 0.70
NONSENSE = {
    "latin": ["asdkjh qwe", "qqq wpoe lkjh", "xyzzy plugh", "zzzz", "hjkl hjkl hjkl", "bnmv cxz"],
    "arabic": ["ضصثق فغعهخ", "ضصثقف غعهخح جدشسي", "شسیب لبای", "ظطزر ذدئ", "ثقفغ", "کگپچ ژژژ"],
}
RASA = str(Path(sys.executable).parent / "rasa")


def read_examples(path: Path) -> dict[str, list[str]]:
    """Each intent's examples. An intent listed twice in one file is refused: Rasa would train on
    both lists, and a report built from only one would measure another model than the one shipped."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    examples: dict[str, list[str]] = {}
    for item in data["nlu"]:
        if item["intent"] in examples:
            raise SystemExit(f"{path}: intent {item['intent']} is listed twice; merge its examples into one list")
        examples[item["intent"]] = [line[2:].strip() for line in item["examples"].splitlines() if line.startswith("- ")]
    return examples


def held_out_rank(intent: str, text: str) -> float:
    """Where an example falls in [0, 1): a hash of the example itself, not of its position."""
    digest = hashlib.sha256(f"{SEED}:{intent}:{text}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def split(examples: dict[str, list[str]]) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Held out: the examples whose hash falls under ``HELD_OUT_SHARE`` (at least ``MIN_HELD_OUT``
    per intent, the lowest hashes). An example's side depends on the example alone, so adding or
    moving training data never reshuffles the examples already there: two reports before and
    after a data round score the old held-out examples alike, plus the new ones that fall out."""
    train, test = {}, {}
    for intent, texts in examples.items():
        ranked = sorted(texts, key=lambda text: held_out_rank(intent, text))
        cut = max(MIN_HELD_OUT, sum(1 for text in texts if held_out_rank(intent, text) < HELD_OUT_SHARE))
        held = set(ranked[:cut])
        test[intent] = [t for t in texts if t in held]
        train[intent] = [t for t in texts if t not in held]
    return train, test


def write_nlu(path: Path, examples: dict[str, list[str]]) -> None:
    items = [{"intent": i, "examples": "".join(f"- {t}\n" for t in texts)} for i, texts in examples.items()]
    path.write_text(
        yaml.safe_dump({"version": "3.1", "nlu": items}, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )


def f1_report(pairs: list[tuple[str, str]]) -> dict:
    intents = sorted({truth for truth, _ in pairs})
    per_intent = {}
    for intent in intents:
        tp = sum(1 for t, p in pairs if t == intent and p == intent)
        fp = sum(1 for t, p in pairs if t != intent and p == intent)
        fn = sum(1 for t, p in pairs if t == intent and p != intent)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_intent[intent] = {"precision": precision, "recall": recall, "f1": f1, "support": tp + fn}
    support = sum(v["support"] for v in per_intent.values())
    return {
        "accuracy": sum(1 for t, p in pairs if t == p) / len(pairs),
        "macro_f1": sum(v["f1"] for v in per_intent.values()) / len(per_intent),
        "weighted_f1": sum(v["f1"] * v["support"] for v in per_intent.values()) / support,
        "examples": len(pairs),
        "per_intent": per_intent,
    }


def evaluate(config: Path) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "train").mkdir()
        held_out: dict[str, dict[str, list[str]]] = {}
        train_examples = 0
        for language in [code for code in UNDERSTOOD if (NLU_DIR / f"{code}.yml").exists()]:
            train, test = split(read_examples(NLU_DIR / f"{language}.yml"))
            write_nlu(work / "train" / f"{language}.yml", train)
            held_out[language] = test
            train_examples += sum(len(t) for t in train.values())
        env = dict(os.environ, PYTHONPATH=str(ROOT), RASA_TELEMETRY_ENABLED="false", TF_CPP_MIN_LOG_LEVEL="2")
        started = time.monotonic()
        subprocess.run(
            [
                RASA,
                "train",
                "nlu",
                "--config",
                str(config),
                "--nlu",
                str(work / "train"),
                "--out",
                str(work),
                "--fixed-model-name",
                "nlu",
            ],
            cwd=ROOT,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        training_seconds = time.monotonic() - started
        return asyncio.run(_score(work / "nlu.tar.gz", held_out, train_examples, training_seconds))


async def _score(model: Path, held_out: dict, train_examples: int, training_seconds: float) -> dict:
    logging.disable(logging.WARNING)
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))

    async def parse(text: str) -> dict:
        return await agent.parse_message(text)

    async def predict(text: str) -> str:
        return (await parse(text))["intent"]["name"]

    languages = {}
    for language, tests in held_out.items():
        pairs = [(intent, await predict(text)) for intent, texts in tests.items() for text in texts]
        report = f1_report(pairs)
        report["confusions"] = sorted(
            {f"{t} -> {p}" for t, p in pairs if t != p}, key=lambda c: -sum(1 for t, p in pairs if f"{t} -> {p}" == c)
        )[:8]
        others = [p for t, p in pairs if t != SAFETY_INTENT]
        report["safety_false_alarms"] = others.count(SAFETY_INTENT) / len(others) if others else 0.0
        report["pairs"] = pairs
        languages[language] = report
    nonsense = {}
    for script, texts in NONSENSE.items():
        predictions = [await predict(text) for text in texts]
        nonsense[script] = {
            "fallback_rate": predictions.count(FALLBACK) / len(texts),
            "predictions": dict(zip(texts, predictions, strict=True)),
        }
    return {
        "languages": languages,
        "nonsense": nonsense,
        "train_examples": train_examples,
        "training_seconds": round(training_seconds, 1),
    }


def markdown(results: dict, config: Path) -> str:
    langs = results["languages"]
    lines = [
        "# NLU report, per language",
        "",
        f"Written by `make nlu-report` (scripts/nlu_report.py) with `{config.name}`. Held out: about "
        f"{int(HELD_OUT_SHARE * 100)} % of each intent's examples per language (at least {MIN_HELD_OUT}), chosen by "
        "a hash of each example, so that adding data leaves the others on their side; one "
        f"multilingual model trained on the other {results['train_examples']} examples of all languages together "
        f"in {results['training_seconds']} s.",
        "",
        "| language | held-out examples | accuracy | macro F1 | weighted F1 |",
        "| --- | --- | --- | --- | --- |",
    ]
    for language, r in langs.items():
        lines.append(
            f"| {language} | {r['examples']} | {r['accuracy']:.3f} | {r['macro_f1']:.3f} | {r['weighted_f1']:.3f} |"
        )
    lines += ["", "Nonsense messages that fall back (`nlu_fallback`):", ""]
    for script, r in results["nonsense"].items():
        lines.append(f"- {script} script: {r['fallback_rate']:.0%} of {len(r['predictions'])}")
    lines += [
        "",
        "Safety on the held-out split (recall / non-safety messages answered as safety): "
        + ", ".join(
            f"{lang} {r['per_intent'][SAFETY_INTENT]['recall']:.0%} / {r['safety_false_alarms']:.1%}"
            for lang, r in langs.items()
        )
        + ".",
    ]
    lines += [
        "",
        f"## Intent F1 per language (floor {MIN_INTENT_F1:.2f}; below it in bold)",
        "",
        "| intent | " + " | ".join(langs) + " |",
        "| --- |" + " --- |" * len(langs),
    ]
    for intent in next(iter(langs.values()))["per_intent"]:
        cells = [langs[lang]["per_intent"].get(intent, {}).get("f1", 0.0) for lang in langs]
        lines.append(
            f"| {intent} | " + " | ".join(f"**{f:.2f}**" if f < MIN_INTENT_F1 else f"{f:.2f}" for f in cells) + " |"
        )
    lines += ["", "## Most frequent confusions (truth -> prediction)", ""]
    for language, r in langs.items():
        lines.append(f"- {language}: " + ("; ".join(r["confusions"]) or "none"))
    lines += [
        "",
        "Confusion matrices (rows: the true intent, columns: the prediction, shaded by the share of the row): "
        + ", ".join(f"[{lang}](nlu-confusion-{lang}.png)" for lang in langs)
        + ".",
    ]
    return "\n".join(lines) + "\n"


def confusion_picture(language: str, pairs: list[tuple[str, str]], out: Path) -> None:
    """A row-normalised confusion matrix of one language's held-out predictions, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    truths = sorted({t for t, _ in pairs})
    labels = truths + sorted({p for _, p in pairs} - set(truths))
    index = {label: i for i, label in enumerate(labels)}
    matrix = np.zeros((len(truths), len(labels)))
    for truth, prediction in pairs:
        matrix[index[truth], index[prediction]] += 1
    shares = matrix / matrix.sum(axis=1, keepdims=True)
    figure, axes = plt.subplots(figsize=(13, 11))
    axes.imshow(shares, cmap="Blues", vmin=0, vmax=1)
    axes.set_xticks(range(len(labels)), labels, rotation=90, fontsize=7)
    axes.set_yticks(range(len(truths)), truths, fontsize=7)
    for (row, column), count in np.ndenumerate(matrix):
        if count:
            axes.text(
                column,
                row,
                int(count),
                ha="center",
                va="center",
                fontsize=6,
                color="white" if shares[row, column] > 0.5 else "black",
            )
    axes.set_xlabel("predicted")
    axes.set_ylabel("true")
    axes.set_title(f"Held-out intents, {language}: {len(pairs)} examples")
    figure.tight_layout()
    figure.savefig(out, dpi=90)
    plt.close(figure)


def main() -> int:
    parser = argparse.ArgumentParser(description="Per-language NLU report on held-out data.")
    parser.add_argument("--config", default="config.yml")
    parser.add_argument("--out", default="docs/nlu-report.md")
    args = parser.parse_args()
    config = ROOT / args.config
    results = evaluate(config)
    independent = asyncio.run(evaluate_independent())
    out = ROOT / args.out
    for language, r in results["languages"].items():
        confusion_picture(language, r["pairs"], out.parent / f"nlu-confusion-{language}.png")
    (ROOT / "results").mkdir(exist_ok=True)
    (ROOT / "results" / "nlu-report.json").write_text(
        json.dumps({**results, "independent": independent}, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    out.write_text(markdown(results, config) + "\n" + independent_markdown(independent), encoding="utf-8")
    for language, r in results["languages"].items():
        print(
            f"{language:6s} accuracy {r['accuracy']:.3f}  macro F1 {r['macro_f1']:.3f}  "
            f"weighted F1 {r['weighted_f1']:.3f}"
        )
    for script, r in results["nonsense"].items():
        print(f"nonsense ({script}): {r['fallback_rate']:.0%} fall back")
    for language, r in independent.items():
        print(
            f"independent {language:6s} topic {r['topic_accuracy']:.1%}  safety recall {r['safety_recall']:.1%}  "
            f"false alarms {r['false_alarms']:.1%}  language {r['language_accuracy']:.1%}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
