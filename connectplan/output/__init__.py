"""The output layer: every JSON document, text report, Markdown page and design document.

Command modules (and the web pages) call these formatters; they hold no formatting of their own.

- :mod:`connectplan.output.resolution`: resolutions, findings, alternatives, JSON and Markdown helpers.
- :mod:`connectplan.output.plans`: plan versions, logs, lists, diffs and catalog lists.
- :mod:`connectplan.output.design_doc`: design documents (Markdown + SVG, one HTML page) and prompts.

Nothing is re-exported here, so importing one formatter never loads the others.
"""
