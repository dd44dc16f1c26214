"""Ingest: load documents, split them into offset-keeping chunks, embed and store them."""
