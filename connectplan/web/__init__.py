"""The web configurator behind ``connectplan serve`` (needs the ``web`` extra: Starlette, Jinja2, uvicorn).

Only :mod:`connectplan.commands.serve` imports this package, so the CLI's other commands load
none of the web dependencies. See ``docs/web.md``.
"""

__all__: list[str] = []
