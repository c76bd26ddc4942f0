"""Language detection, switch requests and the order in which a turn's language is settled."""

from __future__ import annotations

import pytest

from api.language.detector import build_detector
from api.language.resolve import resolve
from api.language.switch import requested_language
from wegwijs.normalize import normalize, to_ascii_digits


@pytest.fixture(scope="module")
def detector():
    return build_detector()


@pytest.mark.parametrize(
    "text, language",
    [
        ("ik wil graag terug naar mijn land, kan dat?", "nl"),
        ("hoe lang duurt gezinshereniging", "nl"),
        ("i want to bring my wife and kids to the netherlands", "en"),
        ("where can my family do the dna test", "en"),
        ("أريد أن أعود إلى بلدي، هل تساعدونني؟", "ar"),
        ("وين بيعملو فحص الدي ان اي لولادي", "ar"),
        ("میخواهم با فامیلم در هالند یکجا شوم", "fa-AF"),
        ("تیلفون شما چند است؟", "fa-AF"),
        ("چطور میتانم به وطن برگردم", "fa-AF"),
    ],
)
def test_detects_the_shipped_languages(detector, text: str, language: str) -> None:
    detection = detector.detect(text)
    assert detection is not None and detection.language == language


def test_no_letters_no_language(detector) -> None:
    assert detector.detect("123 ?? 😀") is None


@pytest.mark.parametrize(
    "text, language",
    [
        ("can we continue in Arabic?", "ar"),
        ("Nederlands graag", "nl"),
        ("English please", "en"),
        ("دری", "fa-AF"),
        ("بالعربي لو سمحت", "ar"),
        ("ممكن نحكي بالانجليزي", "en"),
        ("میشه به دری گپ بزنیم", "fa-AF"),
        ("spreek je dari?", "fa-AF"),
        ("kunnen we in het Engels verder", "en"),
    ],
)
def test_recognises_requests_to_switch(text: str, language: str) -> None:
    assert requested_language(text) == language


@pytest.mark.parametrize(
    "text",
    ["I speak Dari and I want to go back to Afghanistan", "hi", "change language", "arabic and english", ""],
)
def test_other_messages_are_not_switch_requests(text: str) -> None:
    assert requested_language(text) is None


def test_short_messages_do_not_flip_a_settled_language(detector) -> None:
    for text in ["hi", "سلام", "ok", "hallo", "تشکر"]:
        assert resolve(detector, text, remembered="fa-AF", remembered_explicit=False).language == "fa-AF"
        assert resolve(detector, text, remembered="nl", remembered_explicit=False).language == "nl"


def test_a_long_confident_message_moves_a_detected_language(detector) -> None:
    settled = resolve(
        detector, "میخواهم به افغانستان برگردم، چطور کمک میکنید", remembered="en", remembered_explicit=False
    )
    assert (settled.language, settled.explicit) == ("fa-AF", False)


def test_nonsense_does_not_move_a_settled_language(detector) -> None:
    for text in ["ضصثقف غعهخح جدشسي", "asdkjh qwe zxcvb lkjh"]:
        assert resolve(detector, text, remembered="nl", remembered_explicit=False).language == "nl"


def test_an_explicit_choice_wins_over_short_messages_until_the_user_chooses_again(detector) -> None:
    for short in ["I want to go home", "ok thank you", "hallo"]:
        settled = resolve(detector, short, remembered="ar", remembered_explicit=True)
        assert (settled.language, settled.explicit, settled.followed_from) == ("ar", True, None)
    switched = resolve(detector, "can we continue in English", remembered="ar", remembered_explicit=True)
    assert (switched.language, switched.explicit, switched.switched) == ("en", True, True)
    chosen = resolve(detector, "", remembered="ar", remembered_explicit=True, chosen="nl")
    assert (chosen.language, chosen.switched) == ("nl", True)


def test_a_long_confident_message_in_another_language_is_followed(detector) -> None:
    """A family member sharing the phone: the answer follows the message, a button goes back."""
    dari = "سلام من برادرش استم، میخواهم بپرسم که برای برگشت به افغانستان چه کار باید کنیم"
    settled = resolve(detector, dari, remembered="ar", remembered_explicit=True)
    assert (settled.language, settled.explicit, settled.followed_from) == ("fa-AF", False, "ar")
    english = "I want to go back to my country, how does it work?"
    settled = resolve(detector, english, remembered="ar", remembered_explicit=True)
    assert (settled.language, settled.followed_from) == ("en", "ar")
    # the next short message stays in the language followed
    assert resolve(detector, "thanks", remembered="en", remembered_explicit=False).language == "en"


def test_first_message_uses_hint_only_when_detection_is_unsure(detector) -> None:
    assert resolve(detector, "ok", remembered=None, remembered_explicit=False, hint="ar").language == "ar"
    long_dutch = "ik heb een vraag over terugkeer naar mijn land"
    assert resolve(detector, long_dutch, remembered=None, remembered_explicit=False, hint="ar").language == "nl"


def test_normalize_folds_arabic_script_variants_and_digits() -> None:
    assert normalize("كيف") == normalize("کیف")
    assert normalize("می\u200cخواهم") == normalize("میخواهم")
    assert normalize("مدرسة") == normalize("مدرسه")
    assert normalize("أنا") == normalize("انا")
    assert to_ascii_digits("١٤/٠٥/١٩٩٠ ۱۴/۰۵/۱۹۹۰") == "14/05/1990 14/05/1990"


def test_an_arabizi_message_does_not_follow_away_from_an_explicit_choice(detector) -> None:
    """The English button under the first Arabic-script answer is for people who type Arabizi
    but read the Arabic script badly: their next long Arabizi message stays in English."""
    text = "salam, ana bade erja3 3ala baladi bas ma 3ndi masari lal tazkara, kif b2dar a3mel?"
    assert resolve(detector, text, remembered=None, remembered_explicit=False).language == "ar"
    settled = resolve(detector, text, remembered="en", remembered_explicit=True)
    assert (settled.language, settled.explicit, settled.followed_from) == ("en", True, None)


def test_a_short_latin_message_is_not_taken_for_arabizi_without_context(detector) -> None:
    """Romanized Arabic or Dari is concluded only from a message long and confident enough;
    a word or two in Latin letters with nothing remembered is read among Dutch and English."""
    for text in ("ok", "hoi", "top", "yes"):
        settled = resolve(detector, text, remembered=None, remembered_explicit=False)
        assert settled.language in ("nl", "en") and not settled.romanized, text
