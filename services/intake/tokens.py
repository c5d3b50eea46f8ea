"""API tokens: shown once, stored only as a SHA-256 hash (they are long random secrets, so a
fast hash is enough; a password hash would only slow every request)."""

from __future__ import annotations

import hashlib
import secrets


def new_token(prefix: str = "cw") -> str:
    return f"{prefix}_{secrets.token_urlsafe(32)}"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_join_code() -> str:
    return secrets.token_urlsafe(9)
