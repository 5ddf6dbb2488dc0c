from __future__ import annotations

import hashlib

from broadcast import security


def test_tokens_are_random_and_urlsafe() -> None:
    tokens = {security.new_token() for _ in range(50)}
    assert len(tokens) == 50
    for t in tokens:
        assert len(t) >= 43
        assert set(t) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def test_token_hash_is_sha256_hex_and_verifies() -> None:
    t = security.new_token()
    h = security.hash_token(t)
    assert h == hashlib.sha256(t.encode()).hexdigest()
    assert security.verify_token(t, h)
    assert not security.verify_token(t + "x", h)
    assert not security.verify_token(t, None)
    assert not security.verify_token("", h)


def test_passwords_use_argon2() -> None:
    h = security.hash_password("mật khẩu dài")
    assert h.startswith("$argon2")
    assert security.verify_password("mật khẩu dài", h)
    assert not security.verify_password("mat khau dai", h)
    assert not security.verify_password("x", "not-a-hash")
    assert not security.password_needs_rehash(h)
