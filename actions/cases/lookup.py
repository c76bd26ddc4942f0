"""The identity check: a case is shown only when reference, date of birth and, for a case with a
phone number reached over WhatsApp, the sender's number all match, and no lock applies.

Every attempt is reserved (checked against the locks and counted) in one atomic step *before*
the database is read, so attempts sent in parallel count one by one and cannot all slip past the
limit. Every way to fail (unknown reference, wrong date, wrong phone, locked) does the same work
(reservation, database read, failure) and returns the same None, so neither the reply nor its
timing tells anyone which references exist.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hmac

import phonenumbers

from actions.cases.store import Case, CaseStore
from actions.cases.throttle import Throttle


def same_phone(expected: str, given: str | None) -> bool:
    try:
        typed = given or ""
        number = phonenumbers.parse(typed if typed.startswith("+") else f"+{typed}", None)
    except phonenumbers.NumberParseException:
        return False
    normalised = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return hmac.compare_digest(expected.encode(), normalised.encode())


async def verified_case(
    store: CaseStore,
    throttle: Throttle,
    conversation: str,
    reference: str,
    date_of_birth: dt.date,
    channel: str | None = None,
    sender_phone: str | None = None,
    client: str | None = None,
) -> Case | None:
    """``client``: the gateway's keyed hash of the caller's address, for the per-client limit."""
    attempt = await throttle.reserve(conversation, reference, client)
    case = await asyncio.to_thread(store.find, reference)
    birth_matches = hmac.compare_digest(
        (case.date_of_birth.isoformat() if case else "0000-00-00").encode(), date_of_birth.isoformat().encode()
    )
    phone_matches = not (case and case.phone and channel == "whatsapp") or same_phone(case.phone, sender_phone)
    if not attempt.allowed or case is None or not birth_matches or not phone_matches:
        await throttle.failed(attempt)
        return None
    await throttle.succeeded(attempt)
    return case
