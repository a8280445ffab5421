"""The status link of a web-form submission: an unguessable token, of which the store keeps only a hash.

The token is 32 random bytes (`secrets.token_urlsafe`, 256 bits), so a link cannot be guessed or
enumerated; the store keeps its SHA-256, so a copy of the store does not open anybody's page. A
token is looked up by its hash (the collection's `_id`), and the hash found is compared to the one
computed in constant time, so the check reveals nothing about how close a wrong token came.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

TOKEN_BYTES = 32
# What `token_urlsafe(32)` gives: 43 URL-safe base64 characters. Anything else is not a token and is
# answered 404 without asking the store.
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{43}")
STATUS_PATH = "/status"


@dataclass(frozen=True)
class IssuedLink:
    token: str  # given to the citizen once, in the submission's answer; never stored
    digest: str  # what the store keeps


def issue() -> IssuedLink:
    token = secrets.token_urlsafe(TOKEN_BYTES)
    return IssuedLink(token=token, digest=digest_of(token))


def digest_of(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def well_formed(token: str) -> bool:
    return TOKEN_PATTERN.fullmatch(token) is not None


def same_digest(stored: str, token: str) -> bool:
    """Constant-time: the stored hash against the hash of the token presented."""
    return hmac.compare_digest(stored.encode(), digest_of(token).encode())


def status_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}{STATUS_PATH}/{token}"
