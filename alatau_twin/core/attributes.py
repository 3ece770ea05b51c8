"""Column-oriented attribute tables for layers (core: no Qt, no VTK, no pandas).

A table is a dict of equal-length numpy arrays, one row per feature. It is small and
fast enough for 100k rows, converts cheaply to a Qt model or a DataFrame at the edges,
and keeps `import alatau_twin` free of pandas/geopandas.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import numpy as np


class AttributeTable:
    """Named columns of equal length; the ``id`` column, when present, is the stable key."""

    def __init__(self, columns: Mapping[str, Iterable[Any]] | None = None) -> None:
        self._cols: dict[str, np.ndarray] = {}
        self._n: int | None = None
        self._index: dict[Any, int] | None = None
        for name, values in (columns or {}).items():
            self[name] = values

    def __len__(self) -> int:
        return self._n or 0

    def __contains__(self, name: object) -> bool:
        return name in self._cols

    def __getitem__(self, name: str) -> np.ndarray:
        return self._cols[name]

    def __setitem__(self, name: str, values: Iterable[Any]) -> None:
        arr = _as_column(values)
        if self._n is not None and len(arr) != self._n and self._cols:
            raise ValueError(f"column {name!r} has {len(arr)} rows, table has {self._n}")
        self._n = len(arr)
        self._cols[name] = arr
        if name == "id":
            self._index = None

    @property
    def columns(self) -> list[str]:
        return list(self._cols)

    def get(self, name: str, default: Any = None) -> Any:
        return self._cols.get(name, default)

    def row(self, i: int) -> dict[str, Any]:
        """One feature's attributes as plain Python values (for the inspector)."""
        return {k: _py(v[i]) for k, v in self._cols.items()}

    def rows(self) -> Iterator[dict[str, Any]]:
        for i in range(len(self)):
            yield self.row(i)

    def index_of(self, feature_id: Any) -> int:
        """Row of a feature id; raises KeyError naming the id when absent."""
        if self._index is None:
            ids = self._cols.get("id")
            if ids is None:
                raise KeyError("table has no 'id' column")
            self._index = {_py(v): i for i, v in enumerate(ids)}
        try:
            return self._index[feature_id]
        except KeyError:
            raise KeyError(f"no feature with id {feature_id!r}") from None

    def take(self, rows: np.ndarray) -> AttributeTable:
        """A new table with the given rows (bool mask or integer indices)."""
        return AttributeTable({k: v[rows] for k, v in self._cols.items()})

    def value_counts(self, name: str) -> dict[Any, int]:
        values, counts = np.unique(self._cols[name].astype(str), return_counts=True)
        return {str(v): int(c) for v, c in zip(values, counts, strict=True)}

    def to_dict(self) -> dict[str, list[Any]]:
        return {k: [_py(x) for x in v] for k, v in self._cols.items()}


def _as_column(values: Iterable[Any]) -> np.ndarray:
    arr = np.asarray(values)
    if arr.dtype.kind == "U":
        # Object arrays of str compare and sort like numpy strings but accept any length.
        arr = arr.astype(object)
    if arr.ndim != 1:
        raise ValueError("attribute columns must be one-dimensional")
    return arr


def _py(v: Any) -> Any:
    """numpy scalar -> Python scalar, so rows serialise to JSON and show in Qt."""
    if isinstance(v, np.generic):
        return v.item()
    return v
