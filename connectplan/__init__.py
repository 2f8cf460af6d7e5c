"""connectplan: plan, version, explain and draw Stripe Connect integrations.

The command-line app wires the pure ``engine`` to the ``db`` store and the ``visualize``
builders. Keep this module import-light: the CLI's start-up time depends on it.
"""

__version__ = "0.1.0"
