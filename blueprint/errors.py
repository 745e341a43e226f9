"""Errors the ``clearance`` command turns into exit codes, kept in a module that loads nothing else.

The command imports them before it starts a run; importing them from ``blueprint.policy`` would
load pandas first and delay the start of the read (``blueprint.reader.BackgroundRead``).
"""


class PolicyError(ValueError):
    """A policy or settings file that cannot be used, with every problem named."""
