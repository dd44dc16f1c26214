"""``python -m ui [--host H] [--port P] [--llm SPEC] [--config FILE]``: the same as ``rag serve``."""

import sys

from rag.cli import app

app(["serve", *sys.argv[1:]])
