"""The OpenAI-compatible HTTP API served beside the web chat (``rag serve``)."""
