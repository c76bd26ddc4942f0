"""The second factor every staff account has: a TOTP app (RFC 6238, via pyotp) and ten
single-use recovery codes, both made when the account is made (or its factor reset).

A staff member sees call-back numbers and whole conversations of people in vulnerable
situations, so a password alone (reused elsewhere, phished, seen) is not enough.

- The TOTP secret (160 random bits, base32) is kept in the account hash as it is. It cannot be
  hashed: to check a code the server computes the code from the secret, so it must be able to
  read it. Reading it takes access to Redis, which is not exposed; the argon2 password still
  guards the account without it.
- A code is accepted for the current 30-second step and the steps before and after it (clocks
  drift, typing takes time), and each step once per account: the last used step is kept and only
  a later one is accepted, so a code seen over a shoulder or in a browser's history cannot be
  used again.
- Recovery codes are 20 random digits (66 bits; digits, because the code field opens a number
  pad on phones), printed once; Redis keeps only their SHA-256, as fields of the account hash, so
  using one is one atomic HDEL and deleting the account deletes them. At this entropy a keyed hash
  would add nothing, and it would make every code stop working when the staff secret changes.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from typing import Literal

import pyotp
from pyotp.exceptions import OTPVerificationError

ISSUER = "Wegwijs"
DIGITS = 6
STEP_SECONDS = 30
ACCEPTED_STEPS_AROUND_NOW = 1
RECOVERY_CODES = 10
RECOVERY_DIGITS = 20
RECOVERY_FIELD = "recovery:"  # account hash fields: recovery:<sha256 of a code>
TOTP_CODE = re.compile(rf"[0-9]{{{DIGITS}}}")
RECOVERY_CODE = re.compile(rf"[0-9]{{{RECOVERY_DIGITS}}}")
# For unknown names a code is checked against this instead, so that they cost what others do.
DUMMY_SECRET = pyotp.random_base32()


@dataclass(frozen=True)
class Enrolment:
    """What the command shows once: the app's secret (also as an otpauth:// URI) and the codes."""

    secret: str
    uri: str
    recovery_codes: tuple[str, ...]

    def fields(self) -> dict[str, str]:
        """What the account hash keeps of it: the secret, and the recovery codes' hashes."""
        return {"totp": self.secret, **{recovery_field(code): "1" for code in self.recovery_codes}}


@dataclass(frozen=True)
class Proof:
    """What a login's code proves, before it is used up: a TOTP step, or a recovery code's field."""

    kind: Literal["totp", "recovery"]
    value: str


def enrol(username: str) -> Enrolment:
    secret = pyotp.random_base32()
    uri = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).provisioning_uri(name=username, issuer_name=ISSUER)
    codes = tuple(_recovery_code() for _ in range(RECOVERY_CODES))
    return Enrolment(secret, uri, codes)


def _recovery_code() -> str:
    digits = "".join(secrets.choice("0123456789") for _ in range(RECOVERY_DIGITS))
    return "-".join(digits[i : i + 5] for i in range(0, RECOVERY_DIGITS, 5))


def _compact(code: str) -> str:
    return code.replace(" ", "").replace("-", "")


def recovery_field(code: str) -> str:
    return RECOVERY_FIELD + hashlib.sha256(_compact(code).encode("ascii")).hexdigest()


def read_code(code: str, secret: str, now: float) -> Proof | None:
    """The proof a typed code gives for this secret at this time, or None. Whether it was used
    before is for the account store to decide, atomically (api/staff/accounts.py)."""
    compact = _compact(code)
    if TOTP_CODE.fullmatch(compact):
        totp = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS)
        try:
            step = totp.verify_and_get_timecode(compact, for_time=now, valid_window=ACCEPTED_STEPS_AROUND_NOW)
        except OTPVerificationError:
            return None
        return Proof("totp", str(step))
    if RECOVERY_CODE.fullmatch(compact):
        return Proof("recovery", recovery_field(compact))
    return None
