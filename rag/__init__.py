"""Offline document question answering with checkable citations."""

__version__ = "0.1.0"
