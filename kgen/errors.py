"""The one exception kgen raises for bad input: the CLI prints it as a single line, exit 2."""


class KgenError(Exception):
    """A user-facing error; its message is a complete one-line explanation."""
