"""docs/content-sources.md, for IOM's sign-off: how each reply's source is recorded and checked, every
`service` reply with its English text, and what was rewritten because it said more than the brochure.

    python -m scripts.content_sources    # writes docs/content-sources.md from bot/responses.yml

tests/test_content_sources.py fails when the committed document is not what this writes, and uses
the brochure checks below.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass

from wegwijs.paths import BROCHURE_FILE, ROOT
from wegwijs.responses import ResponseSpec, load_specs

DOCUMENT = ROOT / "docs" / "content-sources.md"
# A row of the service table: | `key` | topic | text |
_SERVICE_ROW = re.compile(r"^\| `([a-z0-9_]+)` \| ")


def collapse(text: str) -> str:
    """Runs of whitespace (line ends included) as one space, ends trimmed."""
    return " ".join(text.split())


def brochure() -> str:
    """The brochure's text, whitespace collapsed."""
    return collapse(BROCHURE_FILE.read_text(encoding="utf-8"))


def misquoted(specs: dict[str, ResponseSpec], brochure_text: str) -> list[tuple[str, str]]:
    """(key, passage) for every quoted passage that is not in the brochure word for word."""
    return [
        (key, passage)
        for key, spec in specs.items()
        for passage in spec.source.passages
        if collapse(passage) not in brochure_text
    ]


def service_keys(specs: dict[str, ResponseSpec]) -> list[str]:
    return [key for key, spec in specs.items() if spec.source.kind == "service"]


def listed_service_keys(document_text: str) -> list[str]:
    """The keys of the service table of a content-sources document."""
    _, _, table = document_text.partition("\n## Service replies\n")
    table, _, _ = table.partition("\n## ")
    return [match.group(1) for line in table.splitlines() if (match := _SERVICE_ROW.match(line))]


@dataclass(frozen=True)
class Rewrite:
    key: str
    old: str
    why: str


# Item 8 of issue 13: the replies that claimed more than the brochure, as they were (English), and
# why. Their new text is read from bot/responses.yml.
REWRITES = (
    Rewrite(
        "utter_ask_asylum",
        "IOM does not handle asylum procedures. For questions about your asylum application, interview or decision, "
        "please contact the IND (Immigration and Naturalisation Service). For questions about IOM's work, call IOM.",
        "The brochure says nothing about asylum; it names the IND only as IOM's partner in DNA sampling for family "
        "reunification. Neither that IOM does not handle asylum nor that the IND does is in it.",
    ),
    Rewrite(
        "utter_reunification_info",
        "IOM assists family members who qualify for reunification with their family in the Netherlands. The "
        "procedure itself is the government's, through the IND. IOM works with the IND on DNA sampling in the "
        "countries of departure, arranges the journey in some cases, and is a contact point for family members and "
        "sponsors in the Netherlands.",
        'The brochure calls the procedure the government\'s ("de procedure van gezinshereniging van de overheid"); '
        "it does not say that it runs through the IND.",
    ),
    Rewrite(
        "utter_reunification_eligibility",
        "Who qualifies for family reunification, and how long the procedure takes, is decided by the IND. I can't "
        "answer that. For questions about IOM's part (DNA sampling, travel), call the family reunification line.",
        "The brochure does not say who decides who qualifies, nor how long the procedure takes.",
    ),
    Rewrite(
        "utter_case_voluntary_return_intake",
        "Voluntary return: your case has been registered (intake). What happens next: IOM will contact you for a "
        "counselling conversation.",
        "The brochure names counselling as part of the support; it does not say that IOM will contact the person.",
    ),
    Rewrite(
        "utter_case_voluntary_return_departed",
        "Voluntary return: you have departed. What happens next: the reintegration support in your country of origin "
        "starts.",
        "The brochure describes the reintegration support IOM offers; it does not promise it to everyone who has "
        "departed (utter_return_reintegration itself says the assistant can't tell what a person can receive).",
    ),
    Rewrite(
        "utter_case_family_reunification_registered",
        "Family reunification: your case has been registered with IOM. What happens next: IOM contacts you about the "
        "next step of the IND procedure.",
        "The brochure makes IOM a contact point for family members and sponsors; it does not say that IOM will "
        "contact the person, and it calls the procedure the government's, not the IND's.",
    ),
    Rewrite(
        "utter_case_family_reunification_dna_sample_scheduled",
        "Family reunification: an appointment for the DNA sample has been scheduled, as part of the IND procedure. "
        "What happens next: the sample is taken at the appointment below.",
        "In the brochure DNA sampling is part of the government's family reunification procedure, not of an IND "
        "procedure.",
    ),
    Rewrite(
        "utter_case_family_reunification_dna_sample_taken",
        "Family reunification: the DNA sample has been taken. What happens next: the result goes to the IND.",
        "The brochure does not say where the result goes.",
    ),
    Rewrite(
        "utter_case_family_reunification_dna_result_sent_to_ind",
        "Family reunification: the DNA result has been sent to the IND. What happens next: the IND decides on the "
        "application; IOM does not make that decision.",
        "The brochure does not say who decides on the application. (That the result was sent to the IND is the "
        "stage in the case record, a service statement.)",
    ),
)

INTRO = """\
# Where each reply's facts come from

For IOM Netherlands' sign-off. Written by `python -m scripts.content_sources` from
`bot/responses.yml`: do not edit it by hand (`tests/test_content_sources.py` fails when it is not
what the script writes).

## How sources are recorded

Every reply in `bot/responses.yml` has a `source`, one of two kinds:

- `source: {{brochure: ["passage", ...]}}`: the facts about IOM that the reply states rest on these
  passages of IOM Netherlands' brochure (`content/iom-nl-brochure.txt`, in Dutch), quoted word for
  word with the whitespace collapsed; a word the brochure splits at a line end keeps its hyphen
  ("be- staat"). What such a reply says about the assistant itself ("I can't tell you who
  qualifies", "call the voluntary return line") needs no passage.
- `source: service`: what the assistant itself does, asks or cannot do (the call-back, the
  hand-over to staff, the privacy notice, the case lookup, a case's stage as its record says, the
  widget's own words). These replies state no fact about IOM's work; they are listed below, for
  IOM to confirm that the assistant may say them.

The brochure is the only source of facts about IOM. A reply that says more than its passages is
rewritten to what the brochure says, not given another source.

Today {brochure_count} replies quote the brochure and {service_count} are `service`.

## How they are checked

`tests/test_content_sources.py`:

- every reply has a source: the loader (`wegwijs/responses.py`) refuses a reply without one, or
  with a malformed one, and names its key;
- every quoted passage occurs in the brochure, compared with the whitespace of both collapsed;
- every `brochure` reply quotes at least one passage;
- this document is what the script writes, so its list of `service` replies is exactly the
  replies marked `service`, with their current English text;
- the brochure file is the edition the passages were checked against (its SHA-256): a new edition
  replaces the file and the hash together, and the passages are checked again.

What no test can check is that a reply says no more than its passages: that is read by people,
here for the `service` replies and beside each text in `bot/responses.yml` for the others. The
Dutch, Arabic and Dari texts are translations of the English ones (`locales/`).

## For IOM to check

- `gateway_privacy_page_erase` says "You can also ask IOM by phone or by letter to delete it". The
  phone lines are the brochure's; neither the brochure nor the assistant gives a postal address.
- The six opening-hours replies (`utter_phone_open_now` ... `utter_phone_closed_opens_on`) are
  `service`: their hours come from `bot/opening_hours.yml`, which IOM fills in, not from the
  brochure, which gives none. That file ships with no hours, so they are never sent until it is
  filled in.
- Telling someone to call IOM or a named line is counted as `service`; the lines and numbers
  themselves quote the brochure's last page (`utter_phone_*`). `gateway_service_unavailable` and
  `gateway_rate_limited` show the general number too, filled from `bot/phone_lines.yml`, which
  holds the brochure's numbers.
- `gateway_privacy_notice_whatsapp` and `gateway_privacy_page_whatsapp` say that Meta keeps
  WhatsApp messages for up to 30 days: a statement about WhatsApp, not from the brochure.
- `utter_safety` and `gateway_privacy_page_safety` name the emergency number ({{emergency}}, 112):
  `service`, not a fact about IOM.
- A case's stage (for example "your journey has been booked") is read from the case record and is
  `service`; a "what happens next" quotes the brochure where it names that step of IOM's support,
  and otherwise the reply sends questions about the next step to the programme's line. Two
  readings to confirm: the "arrived" stages say "nothing more is needed from IOM for this
  journey", read from the stage; and the weakest quoted link is resettlement: "IOM prepares your
  journey" and "IOM books your journey to the Netherlands" rest on "IOM regelt de hervestiging en
  relocatie van vluchtelingen", which does not name the journey in so many words.
"""


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def document(specs: dict[str, ResponseSpec]) -> str:
    service = service_keys(specs)
    parts = [INTRO.format(brochure_count=len(specs) - len(service), service_count=len(service))]
    parts.append("\n## Service replies\n\n| key | topic | English text |\n| --- | --- | --- |\n")
    parts += [f"| `{key}` | {specs[key].topic} | {_cell(specs[key].text)} |\n" for key in service]
    parts.append(
        "\n## What was rewritten, and why\n\n"
        "Issue 13, item 8: these replies said more than the brochure. Each is now what the brochure\n"
        "supports, and, where the assistant cannot say something, it says so and refers to the line.\n"
    )
    for rewrite in REWRITES:
        spec = specs[rewrite.key]
        parts.append(
            f"\n### `{rewrite.key}` ({spec.source.kind})\n\n"
            f"- Was: {_cell(rewrite.old)}\n"
            f"- Now: {_cell(spec.text)}\n"
            f"- Why: {_cell(rewrite.why)}\n"
        )
    return "".join(parts)


def main() -> int:
    specs = load_specs()
    wrong = misquoted(specs, brochure())
    for key, passage in wrong:
        print(f"{key}: not in the brochure: {passage!r}", file=sys.stderr)
    DOCUMENT.write_text(document(specs), encoding="utf-8")
    print(f"wrote {DOCUMENT.relative_to(ROOT)}")
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
