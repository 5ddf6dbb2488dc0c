"""Tokens and passwords.

Agent and API tokens are 32 random bytes, so a fast sha256 is enough to store them (no guessing
attack to slow down); user passwords are chosen by people and get argon2.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()


def new_token() -> str:
    """A fresh random token (43 URL-safe characters), shown to the user once."""
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def verify_token(token: str, token_hash: str | None) -> bool:
    """Constant-time check of a presented token against the stored hash."""
    if not token or not token_hash:
        return False
    return hmac.compare_digest(hash_token(token), token_hash)


def hash_password(pw: str) -> str:
    if not pw:
        raise ValueError("Mật khẩu trống.")
    return _hasher.hash(pw)


def verify_password(pw: str, hashed: str) -> bool:
    try:
        return _hasher.verify(hashed, pw)
    except (VerificationError, InvalidHashError):
        return False


def password_needs_rehash(hashed: str) -> bool:
    """True when the hash was made with weaker argon2 parameters than today's defaults."""
    return _hasher.check_needs_rehash(hashed)
