"""User-facing errors: each says what went wrong and how to fix it."""


class RagError(Exception):
    """An error with a message meant for the person running the tool."""


class ConfigError(RagError):
    """Invalid configuration (rag.toml, environment or flags)."""


class ModelError(RagError):
    """A model could not be found, verified, loaded or reached."""


class IndexError_(RagError):
    """The index is missing, corrupt or was built with another embedding model."""


class InputError(RagError):
    """A question or document the pipeline cannot accept."""
