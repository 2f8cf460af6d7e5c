"""``connectplan serve``: the web configurator (needs the ``web`` extra).

Only this module imports :mod:`connectplan.web`, and only when the command runs, so ``--help``
and every other command load none of Starlette, Jinja2 or uvicorn.
"""

from __future__ import annotations

import click


@click.command()
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="Address to bind; any non-loopback one needs --token."
)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535), help="TCP port to listen on.")
@click.option(
    "--token",
    envvar="CONNECTPLAN_TOKEN",
    show_envvar=True,
    metavar="TOKEN",
    help="Access token: every request then needs it (one login at /login, or Authorization: Bearer).",
)
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="uvicorn worker processes (each opens its own store connection pool; use PostgreSQL for several).",
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
    token: str | None,
    workers: int,
    read_only: bool,
    allow_hosts: tuple[str, ...],
) -> None:
    """Serve the web configurator: pick options and see reasons, verdict, steps and diagrams live;
    save, compare, tag, fork and upgrade plans.

    Binds 127.0.0.1 by default and then serves local requests only. Binding another address
    needs a token (--token or CONNECTPLAN_TOKEN). Ctrl-C stops it.

    Example: connectplan serve --db postgresql+psycopg://team@db/plans --host 0.0.0.0 --token "$CONNECTPLAN_TOKEN"
    """
    import importlib.util
    import os

    from connectplan.errors import AppError
    from connectplan.web.settings import ENV_VAR, WebSettings

    db_url = (ctx.find_root().obj or {}).get("db_url")
    settings = WebSettings.for_bind(
        url=db_url, host=host, port=port, token=token, read_only=read_only, extra_hosts=allow_hosts
    )
    missing = [m for m in ("starlette", "jinja2", "uvicorn", "multipart") if importlib.util.find_spec(m) is None]
    if missing:
        raise AppError(
            f"the web configurator needs {', '.join(missing)}; install the web extra: pip install 'connectplan[web]'"
        )
    from connectplan.workspace import open_workspace

    with open_workspace(db_url) as ws:  # a store that cannot be opened is one line and exit 2, before binding
        store = getattr(ws, "url", None) or db_url or "the default store"
    import uvicorn

    os.environ[ENV_VAR] = settings.to_env()
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"connectplan: serving {store} at http://{shown}:{port}/ (Ctrl-C to stop)", err=True)
    if token:
        click.echo(f"connectplan: log in once at http://{shown}:{port}/login with the token", err=True)
    uvicorn.run(
        "connectplan.web.app:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        proxy_headers=False,
        server_header=False,
    )
