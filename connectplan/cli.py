"""The ``connectplan`` command line: parse, make one call on a workspace, format, map errors to exit codes.

Subcommands live in ``connectplan/commands/`` and are imported only when they run, so
``connectplan --help`` and each command start fast.

Exit codes: 0 success; 1 a checked condition failed (``--fail-on``, lint errors);
2 usage or input error (one line on stderr, nothing stored); a save refused by the save policy
(:mod:`connectplan.save_policy`) is a checked condition: one line on stderr, nothing stored, exit 1.
An unexpected exception (a bug) is one ``internal error`` line too, exit 2; ``--debug`` or
``CONNECTPLAN_DEBUG=1`` shows its traceback. Output that cannot be written (standard output on a
full device or a closed pipe, or closed) is one line and exit 2 as well (:func:`main`).

``--db URL`` is accepted before the subcommand and after it, on every command (:func:`add_db_option`).
"""

from __future__ import annotations

import errno
import importlib
import os
from typing import TYPE_CHECKING, Any

import click

from connectplan import __version__

if TYPE_CHECKING:
    from connectplan.workspace import Workspace

#: name -> (module:attribute, one-line help shown by ``connectplan --help``)
COMMANDS: dict[str, tuple[str, str]] = {
    "resolve": (
        "connectplan.commands.resolve:resolve",
        "Resolve a selection: verdict, findings, ordered steps, flows.",
    ),
    "options": ("connectplan.commands.catalog:options", "List the properties and options of a catalog."),
    "catalog": (
        "connectplan.commands.catalog:catalog",
        "Validate, show, list, import, lint and compare catalog editions.",
    ),
    "explore": ("connectplan.commands.explore:explore", "Show which options a partial selection leaves open, and why."),
    "presets": ("connectplan.commands.presets:presets", "List a catalog's presets with their reasoning and verdict."),
    "render": (
        "connectplan.commands.render:render",
        "Draw money flow, liability, steps or catalog diagrams (svg/png/pdf/dot).",
    ),
    "doc": ("connectplan.commands.doc:doc", "Write a plan's design document (Markdown + SVG, or one HTML file)."),
    "prompt": ("connectplan.commands.prompt:prompt", "Print a prompt asking a coding assistant to implement a plan."),
    "blueprint": (
        "connectplan.commands.blueprint:blueprint",
        "Print the API requests a plan needs, by step (text, json, python or curl).",
    ),
    "plan": ("connectplan.commands.plan:plan", "Save, change, compare, tag, fork, export and import versioned plans."),
    "db": ("connectplan.commands.db:db", "Create or upgrade the store's schema; show its revision."),
    "serve": ("connectplan.commands.serve:serve", "Serve the web configurator (http://127.0.0.1:8000 by default)."),
    "user": ("connectplan.commands.user:user", "Add a named user of the web configurator (serve --users FILE)."),
    "verify": (
        "connectplan.commands.verify:verify",
        "Check that the platform's connected accounts match a plan (Stripe API; drift check).",
    ),
}


class InputError(click.ClickException):
    """Bad input: one line on stderr, exit code 2."""

    exit_code = 2


class CheckFailedError(InputError):
    """A checked condition refused the command (a save the save policy refused): one line on stderr, exit code 1."""

    exit_code = 1


class UnavailableError(InputError):
    """The database or Graphviz cannot serve now (unreachable, lock timeout, no ``dot``): exit code 3."""

    exit_code = 3


#: The CLI's exit code for each error kind (``engine.errors.KINDS``); see the README's table.
EXIT_CODES = {"invalid_input": 2, "not_found": 2, "conflict": 2, "refused": 1, "unavailable": 3}


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use (see click's lazy-loading recipe)."""

    def __init__(self, *args: Any, lazy: dict[str, tuple[str, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = dict(lazy or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy and cmd_name not in self.commands:
            target, _ = self.lazy[cmd_name]
            module_name, attr = target.split(":")
            self.add_command(getattr(importlib.import_module(module_name), attr), cmd_name)
        return super().get_command(ctx, cmd_name)

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        add_db_option(cmd)
        super().add_command(cmd, name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, self.lazy[name][1]) for name in self.lazy]
        rows += [(n, c.get_short_help_str(80)) for n, c in self.commands.items() if n not in self.lazy]
        rows.sort()
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.UsageError as exc:  # one line instead of usage + hint + error
            raise InputError(usage_line(exc)) from None
        except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except Exception as exc:  # map our own error families to one line + exit 2
            converted = to_input_error(exc)
            if converted is not None:
                raise converted from None
            if isinstance(exc, OSError) and is_stdout_failure(exc):  # a full device, a broken pipe: said once
                raise InputError(stdout_failure_line(exc)) from None
            if ctx.parent is not None or _debug(ctx):
                raise  # the root group reports it (or, when debugging, Python prints the traceback)
            raise InputError(internal_error_line(exc)) from None


DB_HELP = "Database URL of the plan store (default: sqlite:///connectplan.db in the working directory)."


def _remember_db_url(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    """Keep a ``--db`` given after a (sub)command where the root's ``--db`` goes: the last one given wins."""
    if value is None:
        return
    root = ctx.find_root()
    state = root.obj if isinstance(root.obj, dict) else {}
    root.obj = state
    state["db_url"] = value


def add_db_option(cmd: click.Command) -> None:
    """Accept ``--db URL`` on ``cmd`` and on every command under it, as well as before the subcommand.

    ``connectplan serve --db URL`` and ``connectplan --db URL serve`` mean the same; the option is
    stored in the root context (see :func:`workspace`), so every command reads it from one place.
    """
    if not any(p.name == "db_url" for p in cmd.params):
        cmd.params.append(
            click.Option(["--db", "db_url"], metavar="URL", expose_value=False, callback=_remember_db_url, help=DB_HELP)
        )
    if isinstance(cmd, click.Group) and not isinstance(cmd, LazyGroup):  # a LazyGroup adds it as it loads
        for sub in cmd.commands.values():
            add_db_option(sub)


def usage_line(exc: click.UsageError) -> str:
    """A usage error as one line: the problem, then the command's usage and where help is."""
    message = _one_line(exc.format_message()).rstrip(".")
    if exc.ctx is None:
        return message
    usage = " ".join(exc.ctx.get_usage().split()).removeprefix("Usage: ")
    return f"{message}. Usage: {usage} (see {exc.ctx.command_path} --help)"


def _debug(ctx: click.Context) -> bool:
    state = ctx.find_root().obj
    return os.environ.get("CONNECTPLAN_DEBUG", "") not in ("", "0") or bool(
        isinstance(state, dict) and state.get("debug")
    )


def internal_error_line(exc: BaseException) -> str:
    """The one line printed for an unexpected exception (a bug) when no traceback was asked for."""
    detail = _one_line(str(exc))[:300]
    return (
        f"internal error: {type(exc).__name__}{': ' + detail if detail else ''} "
        "(a bug; rerun with --debug or CONNECTPLAN_DEBUG=1 for the traceback and report it)"
    )


def to_input_error(exc: BaseException) -> InputError | None:
    """An :class:`InputError` for the project's own errors (:data:`connectplan.errors.USER_ERRORS`).

    Its exit code is its kind's (:data:`EXIT_CODES`): 2 for bad input, an unknown name or a
    conflict, 1 for a save the save policy refused, 3 when the database or Graphviz is unavailable.
    """
    from connectplan.errors import USER_ERRORS

    if isinstance(exc, USER_ERRORS):
        code = EXIT_CODES.get(getattr(exc, "kind", "invalid_input"), 2)
        cls = {1: CheckFailedError, 3: UnavailableError}.get(code, InputError)
        return cls(_one_line(cli_words(exc)))
    return None


def cli_words(exc: BaseException) -> str:
    """An error in the CLI's words: its own text, or for an input the CLI names by a flag, that flag."""
    if getattr(exc, "code", None) == "malformed_choice":
        return f"malformed --set {getattr(exc, 'value', '')!r}; use PROPERTY=OPTION, e.g. --set dashboard=express"
    return str(exc)


def workspace(ctx: click.Context) -> Workspace:
    """The command's workspace on the ``--db`` store: opened on first use, closed when the command ends.

    At most one per command (sqlite-utils' ``_register_db_for_cleanup``); ``--help`` opens none.
    """
    root = ctx.find_root()
    state = root.obj if isinstance(root.obj, dict) else {}
    root.obj = state
    ws = state.get("workspace")
    if ws is None:
        from connectplan.workspace import open_workspace

        ws = state["workspace"] = open_workspace(state.get("db_url"))
        root.call_on_close(ws.close)
    return ws


def _one_line(text: str) -> str:
    """One line, with control characters shown escaped (an error may quote user text)."""
    from connectplan.output.resolution import escape_controls

    return escape_controls(" ".join(text.split()) if "\n" in text or "\r" in text else text)


@click.group(cls=LazyGroup, lazy=COMMANDS, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="connectplan")
@click.option(
    "--db",
    "db_url",
    metavar="URL",
    envvar="CONNECTPLAN_DATABASE_URL",
    show_envvar=True,
    help=DB_HELP + " Also accepted after the command.",
)
@click.option(
    "--debug",
    is_flag=True,
    help="Print the Python traceback of an unexpected error (also: CONNECTPLAN_DEBUG=1).",
)
@click.pass_context
def cli(ctx: click.Context, db_url: str | None, debug: bool) -> None:
    """Plan, version, explain and draw Stripe Connect integrations.

    Example: connectplan resolve --preset saas --set liability=platform
    """
    state = ctx.obj if isinstance(ctx.obj, dict) else {}
    ctx.obj = {**state, "db_url": db_url, "debug": debug}


#: errors of a write that lost the output: no space, no quota, too large, an I/O error, a closed pipe
_OUTPUT_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO, errno.EPIPE, errno.EBADF})


def is_stdout_failure(exc: BaseException) -> bool:
    """True for an error writing standard output (the project's own files report themselves as OutputError)."""
    return isinstance(exc, OSError) and exc.errno in _OUTPUT_ERRNOS and exc.filename is None


def stdout_failure_line(exc: OSError) -> str:
    """The one line for output that could not be written; standard output is silenced so nothing follows it."""
    _silence_stdout()
    reason = {
        errno.ENOSPC: "no space left on the device",
        errno.EDQUOT: "disk quota exceeded",
        errno.EPIPE: "the reader closed the pipe",
    }.get(exc.errno or 0, exc.strerror or str(exc))
    return f"cannot write to standard output: {reason}; the output is incomplete (free space, or redirect it elsewhere)"


def _silence_stdout() -> None:
    """Point file descriptor 1 at /dev/null, so the buffered rest is dropped instead of failing again at exit."""
    import sys

    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
        os.close(null)
    except (OSError, ValueError, AttributeError):
        pass


def _prepare_streams() -> str | None:
    """Make the standard streams safe to print to; the problem when standard output is closed.

    Text the terminal's encoding cannot show (``PYTHONIOENCODING=latin-1``, a C locale) is
    written escaped (``\\u2026``) instead of failing; so are undecodable file names.
    """
    import sys

    if sys.stdout is None:
        return "standard output is closed; redirect it instead (e.g. > /dev/null)"
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(errors="backslashreplace")  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            pass
    return None


def main() -> None:
    """The ``connectplan`` entry point: the CLI, with every failure to write its output as one line."""
    import sys

    closed = _prepare_streams()
    if closed is not None:
        if sys.stderr is not None:
            print(f"Error: {closed}", file=sys.stderr)
        sys.exit(2)
    try:
        cli.main(prog_name="connectplan")
    except SystemExit as exc:
        code = exc.code
    except OSError as exc:  # --help into a full device: click prints help before any command runs
        if not is_stdout_failure(exc):
            raise
        code = _report_stdout_failure(exc)
    else:
        code = 0
    try:  # now, so a full device is one line here and not a traceback while Python exits
        sys.stdout.flush()
    except OSError as exc:
        if not is_stdout_failure(exc):
            raise
        code = _report_stdout_failure(exc)
    sys.exit(code)


def _report_stdout_failure(exc: OSError) -> int:
    import sys

    print(f"Error: {_one_line(stdout_failure_line(exc))}", file=sys.stderr)
    return 2
