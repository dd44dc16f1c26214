"""One registry shape for every kind of plug-in: chat models, embedding models, document loaders.

Each registry has built-in entries and an entry-point group through which another installed package
adds its own (``[project.entry-points."rag.providers"]`` and so on). Entry points load lazily, so a
broken or heavy plug-in costs nothing until it is used; an unknown name gets an error that lists
what is available.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib.metadata import EntryPoint, entry_points
from typing import Generic, TypeVar

from rag.errors import RagError

T = TypeVar("T")


class UnknownPlugin(RagError):
    """No built-in entry or installed plug-in has this name."""


class Registry(Generic[T]):
    """Named plug-ins of one kind: ``builtins`` first, then the entry points of ``group``."""

    def __init__(
        self, kind: str, group: str, builtins: Mapping[str, T], error: Callable[[str], RagError] = UnknownPlugin
    ) -> None:
        self.kind = kind
        self.group = group
        self._builtins = dict(builtins)
        self._error = error

    def _entry_points(self) -> dict[str, EntryPoint]:
        return {ep.name: ep for ep in entry_points(group=self.group)}

    def names(self) -> list[str]:
        """Every available name, built-in or installed, sorted."""
        return sorted(set(self._builtins) | set(self._entry_points()))

    def get(self, name: str) -> T:
        """The plug-in called ``name``; raises the registry's error listing the available names."""
        if name in self._builtins:
            return self._builtins[name]
        ep = self._entry_points().get(name)
        if ep is None:
            raise self._error(
                f"unknown {self.kind} {name!r}; available: {', '.join(self.names()) or '(none)'} "
                f"(plug-ins register under the entry-point group {self.group!r})"
            )
        try:
            return ep.load()
        except Exception as exc:  # noqa: BLE001 - a broken plug-in is reported, never crashes the caller
            raise self._error(f"the {self.kind} plug-in {name!r} ({ep.value}) failed to load: {exc}") from exc
