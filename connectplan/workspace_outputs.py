"""The workspace's output actions: diagrams, renders, design documents, prompts, verification and blueprints.

:class:`OutputActions` is a mixin of :class:`~connectplan.workspace.Workspace`, never used on its
own (use the workspace: :func:`connectplan.open_workspace`): each action resolves its subject, a plan
version or a what-if selection (:meth:`OutputActions.subject`), through the workspace's plan and
resolve actions and hands it to a formatter; none of them writes to the store.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from connectplan.engine.blueprint import Blueprint, build_blueprint
from connectplan.errors import AppError
from connectplan.workspace_types import Subject

if TYPE_CHECKING:
    from collections.abc import Iterable
    from pathlib import Path

    import graphviz

    from connectplan.db.records import VersionRecord
    from connectplan.engine import Catalog, Resolution
    from connectplan.engine.selection import SelectionInput
    from connectplan.records import LogEntry
    from connectplan.verify import VerifyReport
    from connectplan.workspace_types import CatalogArg, PlanView

__all__ = ["DIAGRAM_KINDS", "OutputActions", "plan_info"]

#: Diagram kinds :meth:`Workspace.render` draws.
DIAGRAM_KINDS = ("money-flow", "liability", "steps", "catalog")


class OutputActions:
    """The actions of :class:`~connectplan.workspace.Workspace` that draw, write or build from a plan."""

    if TYPE_CHECKING:  # the workspace actions these build on (defined by Workspace)

        def catalog(self, ref: CatalogArg = None) -> Catalog: ...

        def resolve(
            self,
            *,
            catalog: CatalogArg = None,
            preset: str | None = None,
            set: SelectionInput = None,
            alternatives: bool = True,
        ) -> Resolution: ...

        def plan(self, ref: str) -> PlanView: ...

        def log(self, name: str) -> list[LogEntry]: ...

    # -- diagrams, documents, prompts ------------------------------------------

    def subject(
        self,
        ref: str | None = None,
        *,
        catalog: CatalogArg = None,
        preset: str | None = None,
        set: SelectionInput = None,
        with_previous: bool = False,
    ) -> Subject:
        """A plan version (``ref``) or a what-if selection (``preset``/``set``/``catalog``) to draw or write about."""
        if ref and (preset or set or catalog):
            raise AppError("give either a plan REF or a selection (--preset/--set/--catalog), not both")
        if ref:
            view = self.plan(ref)
            previous = None
            if with_previous and view.record.parent is not None:
                previous = self.plan(f"{view.record.plan}@{view.record.parent}")
            return Subject(view.resolution, view.record, previous)
        if preset or set:
            return Subject(self.resolve(catalog=catalog, preset=preset, set=set))
        raise AppError(
            "name a plan version (REF, e.g. acme-marketplace@2) or a selection "
            "(--preset NAME and/or --set PROPERTY=OPTION, optionally --catalog NAME@EDITION)"
        )

    def diagram(
        self,
        kind: str,
        ref: str | None = None,
        *,
        catalog: CatalogArg = None,
        preset: str | None = None,
        set: SelectionInput = None,
        against: str | None = None,
        include: Iterable[str] = (),
        property: str | None = None,
    ) -> graphviz.Digraph:
        """The diagram ``kind`` of a plan version or selection, as a ``graphviz.Digraph`` (nothing rendered).

        For ``catalog``, ``property`` draws that property's figure instead of the overview.
        """
        from connectplan.visualize import catalog_diagram, change_diagram, parse_include, resolution_diagram

        if kind not in DIAGRAM_KINDS:
            raise AppError(f"unknown diagram kind {kind!r}; use one of: {', '.join(DIAGRAM_KINDS)}")
        try:
            included = parse_include(tuple(include))
        except ValueError as exc:
            raise AppError(str(exc)) from None
        if included and kind != "money-flow":
            raise AppError("--include applies to money-flow diagrams only")
        options = {"include": included} if kind == "money-flow" else {}
        if property is not None and kind != "catalog":
            raise AppError("--property applies to catalog diagrams only")
        if kind == "catalog":
            if against:
                raise AppError(
                    "--against draws money-flow, liability or steps changes; "
                    "compare catalogs with `connectplan catalog diff`"
                )
            if ref or preset or set:
                subject = self.subject(ref, catalog=catalog, preset=preset, set=set)
                drawn, res = subject.resolution.catalog, subject.resolution
            else:
                drawn, res = self.catalog(catalog), None
            try:
                return catalog_diagram(drawn, res, prop=property)
            except ValueError as exc:
                raise AppError(str(exc)) from None
        subject = self.subject(ref, catalog=catalog, preset=preset, set=set)
        if against:
            base = self.plan(against)
            return change_diagram(
                kind,
                base.resolution,
                subject.resolution,
                old_subject=base.record.ref,
                new_subject=subject.label or "what-if",
                **options,
            )
        return resolution_diagram(kind, subject.resolution, subject=subject.label, **options)

    def render(
        self,
        kind: str,
        ref: str | None = None,
        *,
        catalog: CatalogArg = None,
        preset: str | None = None,
        set: SelectionInput = None,
        format: str = "svg",
        against: str | None = None,
        include: Iterable[str] = (),
        path: str | Path | None = None,
        property: str | None = None,
    ) -> bytes | Path:
        """Draw a diagram; the rendered bytes, or the written :class:`~pathlib.Path` when ``path`` is given.

        ``format`` is svg, png, pdf or dot (the DOT text needs no Graphviz binary).
        """
        from connectplan.outfile import write_output
        from connectplan.visualize.render import check_format, render, render_bytes

        fmt = check_format(format)
        dot = self.diagram(
            kind, ref, catalog=catalog, preset=preset, set=set, against=against, include=include, property=property
        )
        if path is not None:
            target = path  # as given: Path() would drop a trailing '/', which write_output refuses

            def write(_path: Path, data: bytes) -> None:
                write_output(target, data)  # atomic; FIFOs and devices streamed to

            return render(dot, path, fmt, write=write)
        return render_bytes(dot, fmt)

    def doc(
        self,
        ref: str | None = None,
        *,
        output: str | Path,
        format: str | None = None,
        catalog: CatalogArg = None,
        preset: str | None = None,
        set: SelectionInput = None,
        since: str | None = None,
        force: bool = False,
    ) -> list[Path]:
        """Write the design document of a plan version or selection into ``output``; the files written.

        ``output`` is a directory, a ``NAME.md`` or ``NAME.html`` file (the suffix picks the format
        when ``format`` is None) or ``-``; files an earlier run did not write are kept unless
        ``force``. The document's decision log is the plan's history up to the version; ``since``
        (a plan version REF) adds what changed since that version, with the change diagrams.
        """
        from dataclasses import replace as with_fields

        from connectplan.output.design_doc import decision_log
        from connectplan.output.doc_writer import write_design_doc

        subject = self.subject(ref, catalog=catalog, preset=preset, set=set, with_previous=True)
        previous = (plan_info(subject.previous.record), subject.previous.resolution) if subject.previous else None
        info = None
        if subject.record:
            history = decision_log(subject.record, self.log(subject.record.plan))
            info = with_fields(plan_info(subject.record), history=history)
        base = None
        if since:
            view = self.plan(since)
            base = (plan_info(view.record), view.resolution)
        return write_design_doc(
            subject.resolution, output, fmt=format, info=info, previous=previous, since=base, force=force
        )

    def prompt(
        self,
        ref: str | None = None,
        *,
        catalog: CatalogArg = None,
        preset: str | None = None,
        set: SelectionInput = None,
    ) -> str:
        """A prompt asking a coding assistant to implement a plan version or selection exactly."""
        from connectplan.output.prompt import prompt_text

        subject = self.subject(ref, catalog=catalog, preset=preset, set=set)
        return prompt_text(subject.resolution, plan_info(subject.record) if subject.record else None)

    def verify(
        self, ref: str, *, client: Any, limit: int | None = None, account: str | None = None, progress: Any = None
    ) -> VerifyReport:
        """Compare the platform's connected accounts with plan version ``ref`` through ``client``, a
        configured ``stripe.StripeClient``; see :func:`connectplan.verify.verify_accounts`."""
        from connectplan.verify import verify_accounts

        view = self.plan(ref)
        record = view.record
        full_ref = f"{record.plan}@{record.version}"
        return verify_accounts(view.resolution, client, ref=full_ref, limit=limit, account=account, progress=progress)

    def blueprint(self, ref: str | None = None, **selection: Any) -> Blueprint:
        """The API requests by step of a plan version, or of a selection (``catalog``, ``preset``, ``set``)."""
        return build_blueprint((subject := self.subject(ref, **selection)).resolution, subject.label)


def plan_info(record: VersionRecord) -> Any:
    """The design-document metadata of a stored plan version."""
    from connectplan.output.design_doc import PlanInfo

    return PlanInfo(
        name=record.plan,
        version=record.version,
        created_at=record.created_at,
        message=record.message,
        tags=tuple(record.tags),
        author=record.author,
    )
