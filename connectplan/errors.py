"""The errors connectplan raises for bad input, in one place.

Every error the application API raises for bad input or an unusable store derives from
:class:`ConnectplanError` (``engine.errors``, so every layer can use it); each layer has its own
base class under it:

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

from engine.errors import ConnectplanError

__all__ = ["USER_ERRORS", "AppError", "ConnectplanError"]


class AppError(ConnectplanError):
    """Bad input at the application level (a file, a reference, a name, an option). Exit code 2."""

    exit_code = 2


#: The exception classes the API raises for bad input (their common root); ``except USER_ERRORS:`` catches them all.
USER_ERRORS: tuple[type[Exception], ...] = (ConnectplanError,)
