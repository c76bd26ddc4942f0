"""Which languages each staff member speaks, and what follows from it for the queue (issue 15).

A staff account (api/staff/accounts.py) may list the shipped languages its owner speaks, in the
field ``languages`` of its hash, space-separated (``nl en ar``). The field is optional: an account
made before it existed, or one whose list was cleared, has **no preference**. Such a member sees
the queue in its plain order (urgent first, then oldest first), and the gateway does not count
them as "nobody here speaks it": what is not known is not claimed.

Two things use the lists:
- the queue each member sees (``ordered_for``): urgent tickets first, whatever their language (a
  safety message must not wait behind a language); within each priority the tickets in the
  member's languages, then the others, each group oldest first;
- the moment a user is queued (api/handover_language.py): when every present member has a list
  and none of them has the user's language, the user is told so in their language.

The account key is named here, not in api/staff, because wegwijs/ is shared with the action server
and must not import the gateway's packages; api/staff/accounts.py takes it from here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from wegwijs.handover.presence import Presence
from wegwijs.languages import SHIPPED

if TYPE_CHECKING:
    from redis.asyncio import Redis

    from wegwijs.handover.tickets import Ticket

ACCOUNT = "wegwijs:staff:account:"
LANGUAGES_FIELD = "languages"


class UnknownLanguage(ValueError):
    """A language code that is not one of the shipped languages (its message names them)."""


def check_languages(codes: Iterable[str]) -> tuple[str, ...]:
    """The codes, each once, in the shipped order; ``UnknownLanguage`` for any other code."""
    given = list(codes)
    unknown = [code for code in given if code not in SHIPPED]
    if unknown:
        raise UnknownLanguage(
            f"unknown language {', '.join(repr(c) for c in unknown)}: use one or more of {', '.join(SHIPPED)}"
        )
    return tuple(code for code in SHIPPED if code in given)


def parse_languages(raw: bytes | str | None) -> tuple[str, ...]:
    """The stored field as codes; codes no longer shipped are dropped, nothing stored is no list."""
    text = raw.decode() if isinstance(raw, bytes) else (raw or "")
    return tuple(code for code in SHIPPED if code in text.split())


async def languages_of(redis: Redis[bytes], names: Sequence[str]) -> dict[str, tuple[str, ...]]:
    """Each named member's languages (an empty tuple: no list, no preference)."""
    if not names:
        return {}
    async with redis.pipeline(transaction=False) as pipe:
        for name in names:
            pipe.hget(ACCOUNT + name, LANGUAGES_FIELD)
        raws = await pipe.execute()
    return {name: parse_languages(raw) for name, raw in zip(names, raws, strict=True)}


async def nobody_present_speaks(redis: Redis[bytes], language: str, presence: Presence | None = None) -> bool:
    """True only when someone is present, every present member lists their languages, and none of
    them lists ``language``. Nobody present at all is another case (the phone line and the
    call-back offer, actions/handover.py); a present member without a list might speak it."""
    names = await (presence or Presence(redis)).present()
    if not names:
        return False
    spoken = await languages_of(redis, names)
    return all(spoken.values()) and not any(language in codes for codes in spoken.values())


def ordered_for(tickets: Sequence[Ticket], languages: Sequence[str]) -> list[Ticket]:
    """The queue (already urgent first, then oldest first) as a member with ``languages`` sees it:
    urgent before normal still; within a priority their languages first. The sort is stable, so
    each group keeps its oldest-first order; no languages: the queue as it is."""
    if not languages:
        return list(tickets)
    return sorted(tickets, key=lambda t: (t.priority != "urgent", t.language not in languages))
