"""Merges a draft NLU file (drafts/, written by a helper or a translator) into a training file,
each intent's new examples at the end of that intent's one list, comments and order kept:

    python -m scripts.merge_nlu_draft data/nlu/en.yml drafts/session5-data/en.yml

Rasa would also train on a second list of the same intent, but the NLU report reads one list per
intent (scripts/nlu_report.py refuses a file with two). Examples already in the list are skipped.
Prints how many examples each intent got.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml


def merge(data_file: Path, draft_file: Path) -> dict[str, int]:
    draft = yaml.safe_load(draft_file.read_text(encoding="utf-8"))
    lines = data_file.read_text(encoding="utf-8").split("\n")
    added: dict[str, int] = {}
    for item in draft["nlu"]:
        intent = item["intent"]
        header = f"- intent: {intent}"
        if header not in lines:
            raise SystemExit(f"{data_file}: no intent {intent}; add new intents by hand, with their domain entry")
        start = lines.index(header)
        if lines[start + 1].strip() != "examples: |":
            raise SystemExit(f"{data_file}: {intent} is not followed by 'examples: |'")
        end = start + 2
        while end < len(lines) and lines[end].startswith("    "):
            end += 1
        existing = {line.strip() for line in lines[start + 2 : end]}
        new = [f"    {line}" for line in item["examples"].splitlines() if line.startswith("- ")]
        new = [line for line in new if line.strip() not in existing]
        lines[end:end] = new
        added[intent] = len(new)
    data_file.write_text("\n".join(lines), encoding="utf-8")
    return added


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    for intent, count in merge(Path(sys.argv[1]), Path(sys.argv[2])).items():
        print(f"{intent}: {count}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
