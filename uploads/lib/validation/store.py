"""What the engine compares a file with: the data set already in the test store (§6)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Protocol, runtime_checkable

Key = tuple[str, ...]


@runtime_checkable
class RecordStore(Protocol):
    """The few reads the engine needs; the console implements it over its PostgreSQL table.

    ``fingerprint`` returns the stored fingerprint of a key (see ``tally.fingerprint``) or None
    when the key is not stored. It is called once per keyed record, in file order.
    """

    def fingerprint(self, key: Key) -> str | None: ...

    def keys(self) -> Iterable[Key]: ...

    def __len__(self) -> int: ...


class InMemoryStore:
    """A dict-backed store for the CLI (``--against``), tests and benchmarks."""

    parallel_safe = True  # plain data: a validation worker process may get a copy

    def __init__(self, items: Iterable[tuple[Key, str]] = ()):
        self._data: dict[Key, str] = dict(items)

    def fingerprint(self, key: Key) -> str | None:
        return self._data.get(key)

    def keys(self) -> Iterator[Key]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def put(self, key: Key, fingerprint: str) -> None:
        self._data[key] = fingerprint

    def delete(self, key: Key) -> None:
        self._data.pop(key, None)

    def replace_all(self, items: Iterable[tuple[Key, str]]) -> None:
        self._data = dict(items)
