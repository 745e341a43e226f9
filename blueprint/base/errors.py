"""Errors the ``clearance`` command turns into exit codes, kept in a module that loads nothing else.

The command imports them before it starts a run; importing them from ``blueprint.engine.policy`` would
load pandas first and delay the start of the read (``blueprint.intake.reader.BackgroundRead``).
"""


class PolicyError(ValueError):
    """A policy or settings file that cannot be used, with every problem named."""


class UsageError(ValueError):
    """A mistake in what the command was asked to do (an input, a folder, a value), found before
    anything was written. The message is one line that names the file or option and what to do."""


class Interrupted(KeyboardInterrupt):
    """The command was interrupted (Ctrl-C, or SIGTERM from a service manager or ``kill``).

    A subclass of ``KeyboardInterrupt`` so that every clean-up written for Ctrl-C also runs for a
    termination request.
    """

    def __init__(self, signal_name: str = "SIGINT"):
        super().__init__(signal_name)
        self.signal_name = signal_name
