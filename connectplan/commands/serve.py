"""``connectplan serve``: the web configurator (needs the ``web`` extra).

Only this module imports :mod:`connectplan.web`, and only when the command runs, so ``--help``
and every other command load none of Starlette, Jinja2 or uvicorn.
"""

from __future__ import annotations

import click


@click.command()
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to bind; any non-loopback one needs --users or a token (CONNECTPLAN_TOKEN or --token-file).",
)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535), help="TCP port to listen on.")
@click.option(
    "--token-file",
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="Read the shared access token (at least 16 characters) from FILE; or set CONNECTPLAN_TOKEN. Every "
    "request then needs a login at /login or Authorization: Bearer. Never on the command line, where ps shows it.",
)
@click.option(
    "--token",
    "token_on_argv",
    hidden=True,
    metavar="TOKEN",
    help="Refused: a token on the command line is visible to every user (ps); see --token-file.",
)
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="uvicorn worker processes (each opens its own store connection pool; use PostgreSQL for several).",
)
@click.option(
    "--pool-size",
    type=click.IntRange(1, 1000),
    metavar="N",
    help="Database connections each worker keeps open [default: 5, fewer with many workers].",
)
@click.option(
    "--max-overflow",
    type=click.IntRange(0, 1000),
    metavar="N",
    help="Extra connections each worker may open under load [default: 10, fewer with many workers; "
    "all workers together stay within 80].",
)
@click.option(
    "--pool-timeout",
    type=click.FloatRange(0.1, 600),
    metavar="SECONDS",
    help="How long a request waits for a free connection before it gets a 503 [default: 10].",
)
@click.option(
    "--users",
    "users_file",
    envvar="CONNECTPLAN_USERS_FILE",
    show_envvar=True,
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="Named users: one NAME:TOKEN-HASH line each (connectplan user add NAME); saves are attributed to them.",
)
@click.option(
    "--secret-file",
    envvar="CONNECTPLAN_SECRET_FILE",
    show_envvar=True,
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="The server secret that signs sessions and CSRF tokens (created when missing); keeps logins and open "
    "pages valid across restarts and hosts [default: derived from the token or users file].",
)
@click.option(
    "--session-max-age",
    default=7 * 24 * 3600,
    show_default=True,
    type=click.IntRange(60, 365 * 24 * 3600),
    metavar="SECONDS",
    help="How long a login lasts.",
)
@click.option(
    "--forwarded-allow-ips",
    metavar="IPS",
    help="Trust X-Forwarded-For/-Proto from these proxy addresses (comma-separated); the real client address "
    "then decides who is local.",
)
@click.option(
    "--log-format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Request log: uvicorn's access log, or one JSON line per request (request id, user, route, status, "
    "duration; never a query string).",
)
@click.option("--read-only", is_flag=True, help="Serve everything but refuse every write (save, tag, fork, upgrade).")
@click.option(
    "--allow-host",
    "allow_hosts",
    multiple=True,
    metavar="NAME",
    help="Also answer to this Host name (e.g. the DNS name users type); repeatable.",
)
@click.pass_context
def serve(
    ctx: click.Context,
    host: str,
    port: int,
    token_file: str | None,
    token_on_argv: str | None,
    workers: int,
    pool_size: int | None,
    max_overflow: int | None,
    pool_timeout: float | None,
    users_file: str | None,
    secret_file: str | None,
    session_max_age: int,
    forwarded_allow_ips: str | None,
    log_format: str,
    read_only: bool,
    allow_hosts: tuple[str, ...],
) -> None:
    """Serve the web configurator: pick options and see reasons, verdict, steps and diagrams live;
    save, compare, tag, fork and upgrade plans.

    Binds 127.0.0.1 by default and then serves local requests only. Binding another address
    needs named users (--users FILE, see `connectplan user add`) or a token (CONNECTPLAN_TOKEN or
    --token-file FILE, at least 16 characters; never on the command line). /healthz is liveness,
    /readyz readiness. Ctrl-C stops it.

    Example: connectplan serve --db postgresql+psycopg://team@db/plans --workers 4 --users users --secret-file secret
    """
    import importlib.util
    import os

    from connectplan.errors import AppError
    from connectplan.web.settings import ENV_VAR, WebSettings

    if token_on_argv is not None:  # every user of the machine can read a process's arguments
        raise AppError(
            "a token on the command line is visible to every user (ps); set CONNECTPLAN_TOKEN or pass --token-file FILE"
        )
    token = read_token(token_file) if token_file else os.environ.get("CONNECTPLAN_TOKEN") or None
    db_url = (ctx.find_root().obj or {}).get("db_url")
    settings = WebSettings.for_bind(
        url=db_url,
        host=host,
        port=port,
        token=token,
        read_only=read_only,
        extra_hosts=allow_hosts,
        workers=workers,
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_timeout=pool_timeout,
        users_file=users_file,
        secret_file=secret_file,
        session_max_age=session_max_age,
        forwarded_allow_ips=forwarded_allow_ips,
        log_format=log_format,
    )
    check_port(host, port)
    missing = [m for m in ("starlette", "jinja2", "uvicorn", "multipart") if importlib.util.find_spec(m) is None]
    if missing:
        raise AppError(
            f"the web configurator needs {', '.join(missing)}; install the web extra: pip install 'connectplan[web]'"
        )
    from connectplan.workspace import open_workspace

    # a store that cannot be opened is one line and exit 2, before binding
    with open_workspace(db_url, pool=settings.pool) as ws:
        store = getattr(ws, "url", None) or db_url or "the default store"
    import uvicorn

    os.environ.pop("CONNECTPLAN_TOKEN", None)  # the workers get it through the settings, then drop those too
    os.environ[ENV_VAR] = settings.to_env()
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"connectplan: serving {store} at http://{shown}:{port}/ (Ctrl-C to stop)", err=True)
    if token or users_file:
        click.echo(f"connectplan: log in at http://{shown}:{port}/login", err=True)
    uvicorn.run(
        "connectplan.web.app:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        proxy_headers=bool(forwarded_allow_ips),
        forwarded_allow_ips=forwarded_allow_ips,
        server_header=False,
        access_log=log_format == "text",
    )


def read_token(path: str) -> str:
    """The shared token kept in ``path`` (its first line, surrounding blanks dropped)."""
    from connectplan.errors import AppError

    try:
        with open(path, encoding="utf-8") as f:
            token = f.readline().strip()
    except (OSError, UnicodeDecodeError) as exc:
        why = getattr(exc, "strerror", None) or type(exc).__name__
        raise AppError(f"cannot read the token file {path}: {why.lower()}; name a readable file") from None
    if not token:
        raise AppError(f"the token file {path} is empty; write the token on its first line")
    return token


def check_port(host: str, port: int) -> None:
    """Refuse, in one line (exit 2), an address that cannot be bound: an unknown host or a busy port."""
    import errno
    import socket

    from connectplan.errors import AppError

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (socket.gaierror, UnicodeError) as exc:
        raise AppError(f"cannot serve on {host!r}: not an address or a name this machine resolves ({exc})") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
        try:
            sock.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise AppError(f"port {port} on {host} is in use; stop the other server or pass --port") from None
            raise AppError(f"cannot serve on {host}:{port}: {exc.strerror or exc}") from None
