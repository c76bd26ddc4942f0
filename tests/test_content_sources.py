"""Every reply says where its facts come from (issue 13, item 8): a passage quoted from IOM
Netherlands' brochure, or `service` for what the assistant itself does; docs/content-sources.md
lists the service replies for IOM's sign-off."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from scripts.content_sources import (
    DOCUMENT,
    REWRITES,
    brochure,
    collapse,
    document,
    listed_service_keys,
    misquoted,
    service_keys,
)
from wegwijs.paths import BROCHURE_FILE, RESPONSES_FILE
from wegwijs.responses import ResponseSpecError, Source, load_specs, read_specs

# The edition of the brochure the passages were checked against (content/README.md).
BROCHURE_SHA256 = "04d7291100a09839ff6e9885577de30dbe1bd7057ad60278bdab50a634854ee4"


def raw_responses() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(RESPONSES_FILE.read_text(encoding="utf-8"))
    return loaded


def test_every_reply_has_a_source() -> None:
    assert [key for key, item in raw_responses()["responses"].items() if "source" not in item] == []
    assert {spec.source.kind for spec in load_specs().values()} == {"brochure", "service"}


@pytest.mark.parametrize(
    "source",
    [
        None,  # no source at all
        "brochure",
        "Service",
        {"brochure": []},
        {"brochure": "De ondersteuning be- staat uit voorlichting en counselling"},
        {"brochure": [""]},
        {"brochure": [42]},
        {"brouchure": ["Specifieke begeleiding"]},
        {"brochure": ["Specifieke begeleiding"], "service": True},
    ],
)
def test_the_loader_refuses_a_reply_without_a_good_source(tmp_path: Path, source: Any) -> None:
    raw = raw_responses()
    path = tmp_path / "responses.yml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    assert read_specs(path)["utter_return_travel"].source.kind == "brochure"  # the copy itself loads
    if source is None:
        del raw["responses"]["utter_return_travel"]["source"]
    else:
        raw["responses"]["utter_return_travel"]["source"] = source
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ResponseSpecError, match=r"^utter_return_travel: "):
        read_specs(path)


def test_the_brochure_is_the_edition_the_passages_were_checked_against() -> None:
    assert hashlib.sha256(BROCHURE_FILE.read_bytes()).hexdigest() == BROCHURE_SHA256, (
        "a new edition of the brochure: check every passage against it, then update BROCHURE_SHA256"
    )


def test_every_passage_is_in_the_brochure() -> None:
    assert misquoted(load_specs(), brochure()) == []


def test_the_passage_check_catches_a_misquote_and_ignores_line_breaks() -> None:
    specs = load_specs()
    spec = specs["utter_return_travel"]
    quoted = spec.source.passages[0]
    wrong = quoted.replace("reisdocumenten", "paspoorten")
    spread = quoted.replace(" ", "\n  ", 3)
    changed = {
        "wrong": replace(spec, source=Source("brochure", (wrong,))),
        "spread": replace(spec, source=Source("brochure", (spread,))),
    }
    assert wrong != quoted and spread != quoted
    assert misquoted(changed, brochure()) == [("wrong", wrong)]
    assert collapse(spread) == quoted


def test_every_brochure_reply_quotes_a_passage() -> None:
    brochure_replies = [spec for spec in load_specs().values() if spec.source.kind == "brochure"]
    assert brochure_replies
    assert [spec.key for spec in brochure_replies if not spec.source.passages] == []
    assert [spec.key for spec in load_specs().values() if spec.source.kind == "service" and spec.source.passages] == []


def test_the_content_sources_document_is_current() -> None:
    assert DOCUMENT.read_text(encoding="utf-8") == document(load_specs()), "run `python -m scripts.content_sources`"


def test_the_document_lists_exactly_the_service_replies() -> None:
    specs = load_specs()
    service = service_keys(specs)
    assert listed_service_keys(DOCUMENT.read_text(encoding="utf-8")) == service
    # The list can fail: a document written without one service reply does not list it.
    fewer = {key: spec for key, spec in specs.items() if key != service[0]}
    assert listed_service_keys(document(fewer)) == service[1:]


def test_each_rewritten_reply_no_longer_says_what_it_said() -> None:
    specs = load_specs()
    assert [rewrite.key for rewrite in REWRITES if specs[rewrite.key].text == rewrite.old] == []
