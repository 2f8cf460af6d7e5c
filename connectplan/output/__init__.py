"""The output layer: every JSON document, text report, Markdown page and design document.

Command modules (and the web pages) call these formatters; they hold no formatting of their own.

- :mod:`connectplan.output.documents`: every JSON document of the engine's, the store's and the app's records.
- :mod:`connectplan.output.resolution`: resolutions, findings, alternatives, JSON and Markdown helpers.
- :mod:`connectplan.output.plans`: plan versions, logs, lists, diffs and catalog lists.
- :mod:`connectplan.output.design_doc`: design documents' content (decision records) as blocks.
- :mod:`connectplan.output.blocks`: the block model and its Markdown and HTML renderers.
- :mod:`connectplan.output.doc_writer`: rendering the diagrams and writing a document's files.
- :mod:`connectplan.output.prompt`: the prompt for a coding assistant.
- :mod:`connectplan.output.sections`: properties grouped by lifecycle section, and open decisions.
- :mod:`connectplan.output.catalogs`, :mod:`~connectplan.output.exploration`,
  :mod:`~connectplan.output.upgrade`: catalogs, explorations and upgrade reports.

Nothing is re-exported here, so importing one formatter never loads the others.
"""
