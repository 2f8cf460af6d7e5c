"""The errors connectplan raises for bad input, in one place.

Each layer has its own base class, and every error the application API raises for bad input
or an unusable store is an instance of one of :data:`USER_ERRORS`:

- :class:`engine.EngineError`: a catalog or selection is invalid (``CatalogError`` with every
  problem, ``SelectionError``, ``ExpressionSyntaxError``);
- :class:`db.errors.StoreError`: the store cannot be used (``SchemaError``), an unknown plan,
  version, tag or edition (``NotFoundError``), a lost save race or a taken name
  (``ConflictError``), an edition stored with other content (``EditionConflictError``);
- :class:`AppError`: a bad file, reference, option combination or output path;
- :class:`visualize.render.RenderError`: a diagram cannot be rendered (unknown format, no
  Graphviz ``dot`` binary, Graphviz failed).

``str(exc)`` is one line that names the problem and the fix. The CLI prints it and exits 2.
"""

from __future__ import annotations

from db.errors import StoreError
from engine.errors import EngineError
from visualize.render import RenderError

__all__ = ["USER_ERRORS", "AppError"]


class AppError(Exception):
    """Bad input at the application level (a file, a reference, a name, an option). Exit code 2."""

    exit_code = 2


#: Every exception class the API raises for bad input; catch this tuple to handle them all.
USER_ERRORS: tuple[type[Exception], ...] = (EngineError, StoreError, AppError, RenderError)
