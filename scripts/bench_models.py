"""Two models' parse time, in one run: has a data or component change made understanding slower?

    python -m scripts.bench_models OLD_TREE [NEW_TREE] [--rounds 2] [--repeat 3]

Each tree is a checkout of this project with its trained model in ``models/`` (``make train``).
Each model is parsed in a process of its own, with its own tree's code on ``PYTHONPATH`` (the
model names its components by module), on the benchmark's message mix (scripts/bench.py: short
messages and stories in four languages), after a warm-up. The trees take turns, ``--rounds``
times, so that the noise of a shared machine falls on both alike. Prints per-parse p50 and p95 of
each turn and the ratio new / old of their medians. What the full stack adds per turn is
``make bench``'s business; this measures only what a model change can change.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from scripts.bench import LONG_MIX, MIX, percentile
from wegwijs.paths import ROOT

# Run inside each tree's own Python path: the tree's scripts.train says which model is current.
WORKER = """
import asyncio, json, sys, time
from rasa.core.agent import Agent
from scripts.train import model_path

texts = json.load(open(sys.argv[1], encoding="utf-8"))
repeat = int(sys.argv[2])

async def main() -> None:
    agent = Agent.load(str(model_path()))
    for text in texts:
        await agent.parse_message(text)
    timings = []
    for _ in range(repeat):
        for text in texts:
            started = time.perf_counter()
            await agent.parse_message(text)
            timings.append((time.perf_counter() - started) * 1000)
    print("TIMINGS " + json.dumps(timings))

asyncio.run(main())
"""


def parse_timings(tree: Path, texts_file: Path, repeat: int) -> list[float]:
    env = dict(os.environ, PYTHONPATH=str(tree), RASA_TELEMETRY_ENABLED="false", TF_CPP_MIN_LOG_LEVEL="2")
    done = subprocess.run(
        [sys.executable, "-c", WORKER, str(texts_file), str(repeat)],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    line = next(line for line in done.stdout.splitlines() if line.startswith("TIMINGS "))
    return [float(t) for t in json.loads(line.removeprefix("TIMINGS "))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old", type=Path)
    parser.add_argument("new", type=Path, nargs="?", default=ROOT)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    texts = [text for _, text in MIX + LONG_MIX]
    with tempfile.TemporaryDirectory() as folder:
        texts_file = Path(folder) / "texts.json"
        texts_file.write_text(json.dumps(texts, ensure_ascii=False), encoding="utf-8")
        medians: dict[str, list[float]] = {"old": [], "new": []}
        print(f"{len(texts)} messages x {args.repeat} per turn; old = {args.old}, new = {args.new}")
        for round_number in range(1, args.rounds + 1):
            for name, tree in (("old", args.old), ("new", args.new)):
                timings = parse_timings(tree.resolve(), texts_file, args.repeat)
                medians[name].append(statistics.median(timings))
                print(
                    f"round {round_number} {name}: p50 {statistics.median(timings):.1f} ms, "
                    f"p95 {percentile(timings, 0.95):.1f} ms"
                )
    ratio = statistics.median(medians["new"]) / statistics.median(medians["old"])
    print(f"new / old, median of the rounds' p50: {ratio:.2f}")


if __name__ == "__main__":
    main()
