"""Named users and signed sessions (standard library only, no web dependency).

A users file holds one ``name:token-hash`` line per user (``#`` comments and blank lines are
ignored); the hash is ``scrypt$N$r$p$SALT$HASH`` (hex) from :func:`hashlib.scrypt`. ``connectplan
user add NAME`` appends a line and prints the new token once. A session cookie is
``NAME.EXPIRES.SIGNATURE``, signed with a key derived from the server's secret, so every worker
and every restart with the same secret accepts it until it expires.

>>> stored = hash_token("t0ken-for-the-doctest")
>>> verify("t0ken-for-the-doctest", stored), verify("wrong", stored)
(True, False)
>>> s = Sessions(b"key", 60)
>>> s.user_of(s.cookie("ada").split(";")[0].split("=", 1)[1])
'ada'
>>> s.user_of("ada.99999999999.forged") is None
True
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import secrets
import time
from pathlib import Path

from connectplan.errors import AppError

__all__ = ["USER_NAME", "Sessions", "add_user", "hash_token", "read_users", "verify"]

#: a user name: what the session cookie and the plan's author column can hold without escaping
USER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,99}")
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
COOKIE_NAME = "connectplan_session"


def hash_token(token: str, *, salt: bytes | None = None) -> str:
    salt = salt or os.urandom(16)
    digest = hashlib.scrypt(token.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${salt.hex()}${digest.hex()}"


def verify(token: str, stored: str) -> bool:
    """True when ``token`` hashes to ``stored`` (constant-time comparison)."""
    try:
        kind, n, r, p, salt, digest = stored.split("$")
        if kind != "scrypt":
            return False
        given = hashlib.scrypt(
            token.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p), dklen=len(digest) // 2
        )
    except (ValueError, MemoryError):
        return False
    return hmac.compare_digest(given.hex(), digest)


def read_users(path: str | Path) -> dict[str, str]:
    """``name -> hash`` from a users file; a malformed line is an :class:`AppError` naming it."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise AppError(f"cannot read the users file {path}: {getattr(exc, 'strerror', None) or exc}") from None
    users: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, stored = line.partition(":")
        if not sep or not USER_NAME.fullmatch(name) or not stored.startswith("scrypt$"):
            raise AppError(
                f"{path}, line {number}: expected NAME:scrypt$... (add users with `connectplan user add NAME`)"
            )
        users[name] = stored
    return users


def add_user(path: str | Path, name: str) -> str:
    """Append ``name`` with a new random token to the users file (created 0600); return the token."""
    if not USER_NAME.fullmatch(name):
        raise AppError(f"invalid user name {name!r}; use letters, digits, '.', '_', '@' and '-'")
    target = Path(path)
    if target.exists() and name in read_users(target):
        raise AppError(f"user {name!r} is already in {target}; remove its line to give it a new token")
    token = secrets.token_urlsafe(24)
    try:
        fd = os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    except OSError as exc:  # a missing directory, no permission, a directory of that name ...
        why = exc.strerror or type(exc).__name__
        raise AppError(
            f"cannot write the users file {target}: {why.lower()}; create its directory or name another file"
        ) from None
    with os.fdopen(fd, "a", encoding="utf-8") as out:
        out.write(f"{name}:{hash_token(token)}\n")
    return token


class Sessions:
    """Signed, expiring session cookies: ``NAME.EXPIRES.SIGNATURE`` (``~`` is the shared token's user)."""

    def __init__(self, key: bytes, max_age: int) -> None:
        self.key = key
        self.max_age = max_age

    def _sign(self, payload: str) -> str:
        mac = hmac.new(self.key, payload.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).decode().rstrip("=")

    def cookie(self, user: str, *, secure: bool = False) -> str:
        payload = f"{user or '~'}.{int(time.time()) + self.max_age}"
        flags = f"; Path=/; Max-Age={self.max_age}; HttpOnly; SameSite=Strict{'; Secure' if secure else ''}"
        return f"{COOKIE_NAME}={payload}.{self._sign(payload)}{flags}"

    def user_of(self, value: str) -> str | None:
        """The user a cookie value names (``""`` for the shared token), or None: forged, malformed or expired."""
        payload, _, signature = value.rpartition(".")
        name, _, expires = payload.rpartition(".")
        if not name or not expires.isdigit() or not hmac.compare_digest(signature, self._sign(payload)):
            return None
        if int(expires) < time.time():
            return None
        return "" if name == "~" else name
