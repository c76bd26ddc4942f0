"""Settles the language of one turn.

Order: an explicit choice in this message (language button, "continue in Arabic") > a long,
very confident message in another shipped language (``follows``: a family member sharing the
phone writes Dari after Arabic was chosen; the answer follows the message, and the gateway adds
a button back to the earlier choice) > the conversation's explicit earlier choice > detection
on this message when it is long enough and confident > the language remembered for the
conversation > the client's hint > detection on a short message > Dutch. Short messages ("hi",
"سلام") never move a settled language. Arabic or Dari in Latin letters settles Arabic or Dari
(``romanized``): the reply is in the language's own script, with a button for English.
"""

from __future__ import annotations

from dataclasses import dataclass

from api.language.detector import Detection, LanguageDetector
from api.language.switch import requested_language
from wegwijs.languages import DEFAULT_LANGUAGE, is_shipped

MIN_WORDS = 3
MIN_LETTERS = 12
MIN_CONFIDENCE = 0.9
MIN_FAMILIARITY = 0.6
# A message that overrides an explicit earlier choice: long, and beyond doubt.
FOLLOW_MIN_WORDS = 6
FOLLOW_MIN_CONFIDENCE = 0.99
FOLLOW_MIN_FAMILIARITY = 0.7


@dataclass(frozen=True)
class Settled:
    language: str
    explicit: bool  # the user chose it; detection no longer moves it
    switched: bool  # the user asked for it in this message
    followed_from: str | None = None  # the explicit choice a long message in another language overrode
    romanized: bool = False  # detected from Arabic or Dari written in Latin letters


def follows(detection: Detection | None, remembered: str) -> bool:
    """A long message written, beyond doubt, in another shipped language than ``remembered``.
    Never one in Latin letters: someone who types Arabizi and chose English (the button under the
    first Arabic-script answer) chose it because the script is hard to read."""
    return (
        detection is not None
        and not detection.romanized
        and detection.language != remembered
        and detection.words >= FOLLOW_MIN_WORDS
        and detection.confidence >= FOLLOW_MIN_CONFIDENCE
        and detection.familiarity >= FOLLOW_MIN_FAMILIARITY
    )


def resolve(
    detector: LanguageDetector,
    text: str,
    remembered: str | None,
    remembered_explicit: bool,
    hint: str | None = None,
    chosen: str | None = None,
) -> Settled:
    """The language for this turn. ``chosen`` is a language picked with a button."""
    asked = chosen if is_shipped(chosen) else requested_language(text)
    if asked:
        return Settled(asked, explicit=True, switched=True)
    detection = detector.detect(text)
    if remembered and remembered_explicit:
        if detection is not None and follows(detection, remembered):
            return Settled(
                detection.language,
                explicit=False,
                switched=False,
                followed_from=remembered,
                romanized=detection.romanized,
            )
        return Settled(remembered, explicit=True, switched=False)
    decisive = (
        detection is not None
        and detection.confidence >= MIN_CONFIDENCE
        and detection.familiarity >= MIN_FAMILIARITY
        and (detection.words >= MIN_WORDS or detection.letters >= MIN_LETTERS)
    )
    if decisive and detection is not None:
        return Settled(detection.language, explicit=False, switched=False, romanized=detection.romanized)
    if remembered:
        return Settled(remembered, explicit=False, switched=False)
    if is_shipped(hint):
        return Settled(hint, explicit=False, switched=False)
    if detection is not None and detection.romanized:
        # Too short to tell: Latin letters are far more often Dutch or English than Arabizi.
        detection = detector.detect(text, romanized=False)
    if detection is not None:
        return Settled(detection.language, explicit=False, switched=False)
    return Settled(DEFAULT_LANGUAGE, explicit=False, switched=False)
