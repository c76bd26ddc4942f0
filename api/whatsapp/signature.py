"""Meta's delivery signature: ``X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body,
keyed with the app secret>``. Checked on the exact bytes received, before anything parses them,
in constant time."""

from __future__ import annotations

import hashlib
import hmac

SCHEME = "sha256="


def signature_for(app_secret: bytes, body: bytes) -> str:
    return SCHEME + hmac.new(app_secret, body, hashlib.sha256).hexdigest()


def valid_signature(app_secret: bytes, body: bytes, header: str | None) -> bool:
    if not header or not header.startswith(SCHEME):
        return False
    return hmac.compare_digest(header.encode("ascii", "replace"), signature_for(app_secret, body).encode("ascii"))
