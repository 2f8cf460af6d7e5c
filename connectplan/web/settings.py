"""The web configurator's settings: one frozen record per run, shared by every worker through the environment.

``connectplan serve`` builds a :class:`WebSettings`, checks it (:func:`check_bind`), writes it into
``$CONNECTPLAN_WEB_SETTINGS`` and starts uvicorn on the import string
``connectplan.web.app:app_from_env``; each worker reads the same settings back with
:meth:`WebSettings.from_env`, so the CSRF secret and the session cookie are the same in all of them.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import os
import secrets
import socket
from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING, Any

from connectplan.errors import AppError

if TYPE_CHECKING:
    from connectplan.workspace import PoolOptions

__all__ = [
    "DEFAULT_HOST",
    "DEFAULT_PORT",
    "ENV_VAR",
    "MAX_BODY_BYTES",
    "WebSettings",
    "allowed_hosts_for",
    "check_bind",
    "check_token",
    "is_loopback",
    "server_secret",
]

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
#: where ``serve`` hands the settings to its workers
ENV_VAR = "CONNECTPLAN_WEB_SETTINGS"
#: the largest request body accepted (forms are a few hundred bytes)
MAX_BODY_BYTES = 64 * 1024
#: seconds a login lasts by default (a week)
SESSION_MAX_AGE = 7 * 24 * 3600
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")


def is_loopback(host: str) -> bool:
    """True for a loopback address or ``localhost``.

    >>> [is_loopback(h) for h in ("127.0.0.1", "::1", "[::1]", "localhost", "0.0.0.0", "10.0.0.5")]
    [True, True, True, True, False, False]
    """
    host = host.strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _host_header_form(host: str) -> str:
    """How a bound address appears in a ``Host`` header (IPv6 in brackets, lower case)."""
    host = host.lower()
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def allowed_hosts_for(host: str, extra: tuple[str, ...] = ()) -> tuple[str, ...]:
    """The ``Host`` names a server bound to ``host`` answers to (DNS-rebinding protection).

    A loopback bind answers to the loopback names; a wildcard bind (``0.0.0.0``, ``::``) also to
    this machine's name; a named bind to that name. ``extra`` adds names (``--allow-host``).

    >>> allowed_hosts_for("127.0.0.1")
    ('127.0.0.1', 'localhost', '[::1]')
    >>> allowed_hosts_for("10.0.0.5", ("plans.internal",))
    ('10.0.0.5', 'plans.internal')
    """
    names: list[str] = []
    if is_loopback(host):
        names += [_host_header_form(host), *LOOPBACK_NAMES]
    elif host in ("0.0.0.0", "::", "[::]"):
        names += [*LOOPBACK_NAMES, socket.gethostname().lower(), socket.getfqdn().lower()]
    else:
        names.append(_host_header_form(host))
    names += [_host_header_form(h) for h in extra]
    return tuple(dict.fromkeys(n for n in names if n))


def check_bind(host: str, token: str | None) -> None:
    """Refuse to serve a non-loopback address without a token or users file (one line, :class:`AppError`)."""
    if not is_loopback(host) and not token:
        raise AppError(
            f"refusing to bind {host} without a token: anyone who can reach it could read and change plans; "
            "pass --users FILE or a token (CONNECTPLAN_TOKEN or --token-file FILE), or bind 127.0.0.1"
        )


#: the shortest access token ``serve`` accepts, and the fewest distinct characters in it
MIN_TOKEN_LENGTH = 16
MIN_TOKEN_DISTINCT = 6


def check_token(token: str | None) -> None:
    """Refuse a guessable token (one line, :class:`AppError`): shorter than :data:`MIN_TOKEN_LENGTH`
    characters or made of fewer than :data:`MIN_TOKEN_DISTINCT` different ones.

    >>> check_token("a")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    connectplan.errors.AppError: the token is 1 characters long; use at least 16 random ones, e.g. ...
    """
    if token is None:
        return
    fix = "use at least 16 random ones, e.g. python3 -c 'import secrets; print(secrets.token_urlsafe())'"
    if len(token) < MIN_TOKEN_LENGTH:
        raise AppError(f"the token is {len(token)} characters long; {fix}")
    if len(set(token)) < MIN_TOKEN_DISTINCT:
        raise AppError(f"the token repeats too few characters ({len(set(token))} different ones); {fix}")


def server_secret(secret_file: str | None, token: str | None, users_file: str | None) -> str | None:
    """The secret CSRF tokens and sessions derive from, the same after a restart and in every worker.

    From ``secret_file`` (created with a random secret, mode 0600, when it does not exist); else derived
    from the token, or from the users file's content; else None (a random one for this run).
    """
    if secret_file:
        from pathlib import Path

        path = Path(secret_file)
        try:
            if not path.exists():
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "w", encoding="ascii") as out:
                    out.write(secrets.token_hex(32) + "\n")
            text = path.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise AppError(f"cannot use the secret file {path}: {getattr(exc, 'strerror', None) or exc}") from None
        if len(text) < 32:
            raise AppError(f"the secret file {path} holds fewer than 32 characters; delete it to make a new one")
        return text
    basis = token.encode() if token else None
    if basis is None and users_file:
        try:
            with open(users_file, "rb") as handle:
                basis = handle.read()
        except OSError:
            return None
    if basis is None:
        return None
    return hmac.new(basis, b"connectplan-server-secret-v1", hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class WebSettings:
    """Everything a worker needs: the store, the bind, the token or users, the pool, the rules and the secret
    (from ``--secret-file``, derived from the token or users file, else random for this run)."""

    url: str | None = None
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    token: str | None = None
    allowed_hosts: tuple[str, ...] = field(default_factory=lambda: allowed_hosts_for(DEFAULT_HOST))
    read_only: bool = False
    secret: str = field(default_factory=lambda: secrets.token_hex(32))
    max_body_bytes: int = MAX_BODY_BYTES
    #: the connection pool of each worker's engine (``None``: :meth:`PoolOptions.for_workers` of ``workers``)
    workers: int = 1
    pool_size: int | None = None
    max_overflow: int | None = None
    pool_timeout: float | None = None
    #: named users (``name:token-hash`` lines, see :mod:`connectplan.web.users`)
    users_file: str | None = None
    #: seconds a login lasts
    session_max_age: int = SESSION_MAX_AGE
    #: proxies whose ``X-Forwarded-*`` headers are trusted (uvicorn's ``forwarded_allow_ips``)
    forwarded_allow_ips: str | None = None
    #: "text" (uvicorn's access log) or "json" (one JSON line per request: ``security.RequestLog``)
    log_format: str = "text"

    @property
    def pool(self) -> PoolOptions:
        """Each worker's pool: the defaults for the number of workers, with what was given on top."""
        from connectplan.workspace import PoolOptions

        default = PoolOptions.for_workers(self.workers)
        return PoolOptions(
            size=default.size if self.pool_size is None else self.pool_size,
            max_overflow=default.max_overflow if self.max_overflow is None else self.max_overflow,
            timeout=default.timeout if self.pool_timeout is None else self.pool_timeout,
        )

    @classmethod
    def for_bind(
        cls,
        *,
        url: str | None = None,
        host: str = DEFAULT_HOST,
        port: int = DEFAULT_PORT,
        token: str | None = None,
        read_only: bool = False,
        extra_hosts: tuple[str, ...] = (),
        **options: Any,
    ) -> WebSettings:
        """Settings for a server bound to ``host``; raises :class:`AppError` for a public bind without a token
        or a guessable token."""
        users_file = options.get("users_file")
        check_bind(host, token or users_file)
        check_token(token or None)
        if users_file:
            from connectplan.web.users import read_users

            read_users(users_file)  # a missing or malformed file: one line, before binding
        secret = server_secret(options.pop("secret_file", None), token, users_file)
        made = cls(
            url=url,
            host=host,
            port=port,
            token=token or None,
            allowed_hosts=allowed_hosts_for(host, extra_hosts),
            read_only=read_only,
            **options,
        )
        return replace(made, secret=secret) if secret else made

    def user_table(self) -> dict[str, str]:
        """The users file's ``name -> token hash`` (empty without one)."""
        from connectplan.web.users import read_users

        return read_users(self.users_file) if self.users_file else {}

    @property
    def session_key(self) -> bytes:
        """The key session cookies are signed with (derived from the server's secret)."""
        return hmac.new(self.secret.encode(), b"connectplan-session-v2", hashlib.sha256).digest()

    @property
    def csrf_token(self) -> str:
        """The token every form and htmx request sends back (derived from the server's secret)."""
        return hmac.new(self.secret.encode(), b"connectplan-csrf-v1", hashlib.sha256).hexdigest()

    def to_env(self) -> str:
        return json.dumps({**asdict(self), "allowed_hosts": list(self.allowed_hosts)})

    @classmethod
    def from_env(cls, environ: os._Environ[str] | dict[str, str] | None = None) -> WebSettings:
        """The settings ``serve`` wrote into ``$CONNECTPLAN_WEB_SETTINGS`` (defaults when unset)."""
        environ = os.environ if environ is None else environ
        raw = environ.get(ENV_VAR)
        if not raw:
            return cls(url=environ.get("CONNECTPLAN_DATABASE_URL") or None)
        doc = json.loads(raw)
        doc["allowed_hosts"] = tuple(doc["allowed_hosts"])
        return replace(cls(), **doc)
