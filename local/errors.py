"""The one kind of failure `python -m local` reports as a single `error:` line (never a
traceback): something the user can act on, such as a project that does not load, a resource the
local cloud cannot run, or a port another program holds. Each module's own error derives from
it, so the command catches them all in one place."""


class LocalError(Exception):
    """A failure the user can act on; its message says what to do."""
