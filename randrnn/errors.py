"""The one domain exception: the library raises it, the CLI turns it into a message and exit 1."""


class RandRNNError(Exception):
    """A user-facing error: bad input, unknown name, missing study. The message is one line."""
