"""Trains the model when its inputs changed, and only then.

The inputs are config.yml, data/, the domain (bot/domain/, generated from the catalogs) and the
custom components. Their hash names the model (models/wegwijs-<hash>.tar.gz): if that file
exists, nothing is trained. Rasa's own fingerprinting would skip unchanged parts too, but only
after loading everything; this check costs milliseconds.

    python -m scripts.train            # train if needed, print the model path
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path

from wegwijs.paths import ROOT

MODELS_DIR = ROOT / "models"
INPUTS = ["config.yml", "data", "bot/domain", "bot/components"]
RASA = str(Path(sys.executable).parent / "rasa")


def fingerprint() -> str:
    digest = hashlib.sha256()
    for entry in INPUTS:
        path = ROOT / entry
        files = (
            [path]
            if path.is_file()
            else sorted(p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
        )
        for file in files:
            digest.update(str(file.relative_to(ROOT)).encode() + b"\0" + file.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def model_path() -> Path:
    return MODELS_DIR / f"wegwijs-{fingerprint()}.tar.gz"


def train(force: bool = False) -> tuple[Path, float]:
    """The model for the current inputs, trained if missing; and the seconds training took."""
    target = model_path()
    if target.exists() and not force:
        return target, 0.0
    started = time.monotonic()
    env = dict(os.environ, PYTHONPATH=str(ROOT), RASA_TELEMETRY_ENABLED="false", TF_CPP_MIN_LOG_LEVEL="2")
    subprocess.run(
        [
            RASA,
            "train",
            "--config",
            "config.yml",
            "--domain",
            "bot/domain",
            "--data",
            "data",
            "--out",
            str(MODELS_DIR),
            "--fixed-model-name",
            target.name.removesuffix(".tar.gz"),
        ],
        cwd=ROOT,
        env=env,
        check=True,
    )
    for stale in MODELS_DIR.glob("wegwijs-*.tar.gz"):
        if stale != target:
            stale.unlink()
    return target, time.monotonic() - started


def main() -> int:
    target, seconds = train(force="--force" in sys.argv)
    print(f"model: {target.relative_to(ROOT)}" + (f" (trained in {seconds:.0f} s)" if seconds else " (up to date)"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
