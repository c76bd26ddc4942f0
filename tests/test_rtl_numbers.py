"""Right-to-left replies keep phone numbers whole and in order, in a real browser (Chromium).

In a Dari, Pashto or Arabic reply on a narrow phone screen, a number that wraps over two lines is
ordered line by line, and "+31 88 746 4466" shows as "31+" at one end and "88 746 4466" at the
other. Every phone line's text, as the web chat shows it in a 200 px wide right-to-left bubble
(narrower than a 360 px phone's), must show each number on one line, with the plus sign first."""

from __future__ import annotations

import re

import pytest

from wegwijs.languages import RIGHT_TO_LEFT, SHIPPED
from wegwijs.responses import load_specs, render

PHONE_REPLIES = sorted(key for key in load_specs() if key.startswith("utter_phone_"))
NUMBER = re.compile(r"\+?\d[\d\u00a0 ]*\d")
# For each number: how many lines it spans, and whether its characters, read left to right on
# the screen, are the number as written (the national or international format).
MEASURE = """([text, numbers]) => {
  const bubble = document.getElementById("m");
  bubble.textContent = text;
  const node = bubble.firstChild;
  const box = (i) => {
    const range = document.createRange();
    range.setStart(node, i);
    range.setEnd(node, i + 1);
    return range.getBoundingClientRect();
  };
  return numbers.map(([start, end]) => {
    const chars = [];
    for (let i = start; i < end; i++) if (text[i].trim()) chars.push({ c: text[i], box: box(i) });
    const lines = new Set(chars.map((c) => Math.round(c.box.top)));
    const read = [...chars].sort((a, b) => a.box.x - b.box.x).map((c) => c.c).join("");
    return { lines: lines.size, read };
  });
}"""


@pytest.mark.parametrize("language", [code for code in SHIPPED if code in RIGHT_TO_LEFT])
def test_phone_numbers_stay_whole_and_in_order_in_right_to_left_text(browser, language: str) -> None:
    page = browser.new_page(viewport={"width": 360, "height": 640})
    try:
        page.set_content('<div id="m" dir="rtl" style="width:200px;font:16px sans-serif;white-space:pre-wrap"></div>')
        checked = 0
        for key in PHONE_REPLIES:
            text = render(load_specs()[key], language).text
            numbers = [(m.start(), m.end()) for m in NUMBER.finditer(text) if len(m.group()) >= 3]
            for (start, end), shown in zip(numbers, page.evaluate(MEASURE, [text, numbers]), strict=True):
                written = "".join(text[start:end].split())
                assert shown["lines"] == 1, (key, written)
                assert shown["read"] == written, (key, written)
                checked += 1
        assert checked >= len(PHONE_REPLIES)
    finally:
        page.close()


@pytest.mark.parametrize("language", [code for code in SHIPPED if code in RIGHT_TO_LEFT])
def test_a_right_to_left_reply_that_begins_with_a_latin_word_starts_with_a_right_to_left_mark(
    language: str,
) -> None:
    """ "IOM ..." in Dari: without the mark WhatsApp aligns the message left and orders it as
    left-to-right text."""
    latin_first = [
        render(spec, language).text
        for spec in load_specs().values()
        if re.match(r"[A-Za-z]", render(spec, language).text.lstrip("\u200f"))
    ]
    assert latin_first, "no reply to check"
    assert all(text.startswith("\u200f") for text in latin_first)
    assert not render(load_specs()["utter_greet"], language).text.startswith("\u200f")
