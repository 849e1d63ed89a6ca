"""Columnar input for DP queries: a pyarrow table, a mapping of arrays, a CSV or Parquet file.

Values are only ever converted, never printed: errors name the column and the problem, not
the value (pyarrow's own messages, which quote offending values, are not passed on).
"""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from guardrail.errors import InputError
from guardrail.model.privacy import KeyValue

__all__ = ["Frame", "arrow_numpy", "read_table_file"]


def arrow_numpy(arr: Any, fill: float | int | None = None) -> np.ndarray:
    """A primitive (int/float) pyarrow array as numpy, nulls replaced by ``fill``.

    Reads the value buffer directly: pyarrow's own ``to_numpy`` imports pandas, which costs
    half a second of start-up.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if arr.null_count:
        if fill is None:
            raise ValueError("array has nulls")
        arr = pc.fill_null(arr, pa.scalar(fill, type=arr.type))
    if pa.types.is_boolean(arr.type):
        arr = pc.cast(arr, pa.int8())
    dtype = np.dtype(arr.type.to_pandas_dtype())
    buf = arr.buffers()[1]
    if buf is None:
        return np.zeros(len(arr), dtype=dtype)
    return np.frombuffer(buf, dtype=dtype, count=len(arr), offset=arr.offset * dtype.itemsize)


class Frame:
    """Read-only access to named columns of equal length."""

    def __init__(self, data: Any) -> None:
        import pyarrow as pa

        if isinstance(data, Frame):
            self._cols: dict[str, Any] = dict(data._cols)
            self.n_rows: int = data.n_rows
            return
        if isinstance(data, pa.Table):
            self._cols = {name: data.column(name) for name in data.column_names}
            self.n_rows = data.num_rows
            return
        if isinstance(data, Mapping):
            cols: dict[str, Any] = {}
            lengths = set()
            for name, col in data.items():
                if isinstance(col, (pa.Array, pa.ChunkedArray, np.ndarray)):
                    cols[str(name)] = col
                else:
                    cols[str(name)] = np.asarray(col) if _numeric_list(col) else pa.array(col)
                lengths.add(len(cols[str(name)]))
            if len(lengths) > 1:
                raise InputError(
                    "the columns have different lengths", hint="pass columns of one table"
                )
            self._cols = cols
            self.n_rows = lengths.pop() if lengths else 0
            return
        raise InputError(
            f"cannot read a {type(data).__name__} as a table",
            hint="pass a pyarrow Table or a mapping of column name to array",
        )

    @property
    def names(self) -> list[str]:
        return list(self._cols)

    def _get(self, name: str) -> Any:
        try:
            return self._cols[name]
        except KeyError:
            known = ", ".join(sorted(self._cols)[:20])
            raise InputError(f"no column named '{name}'", hint=f"the table has: {known}") from None

    def arrow(self, name: str) -> Any:
        """The column as one pyarrow Array."""
        import pyarrow as pa

        col = self._get(name)
        if isinstance(col, pa.ChunkedArray):
            return col.combine_chunks()
        if isinstance(col, pa.Array):
            return col
        return pa.array(col)

    def numpy_ints(self, name: str) -> np.ndarray | None:
        """The column as an int64 numpy array if it is integer-typed without nulls."""
        import pyarrow as pa
        import pyarrow.compute as pc

        col = self._get(name)
        if isinstance(col, np.ndarray):
            return col.astype(np.int64, copy=False) if col.dtype.kind in "iu" else None
        if isinstance(col, (pa.Array, pa.ChunkedArray)) and pa.types.is_integer(col.type):
            if col.null_count:
                return None
            arr = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
            return arrow_numpy(pc.cast(arr, pa.int64()))
        return None

    def floats(self, name: str) -> np.ndarray:
        """The column as float64 (NaN for nulls). Non-numeric values are an InputError."""
        import pyarrow as pa
        import pyarrow.compute as pc

        col = self._get(name)
        if isinstance(col, np.ndarray) and col.dtype.kind in "iufb":
            return col.astype(np.float64, copy=False)
        arr = self.arrow(name)
        t = arr.type
        try:
            if (
                pa.types.is_boolean(t)
                or pa.types.is_integer(t)
                or pa.types.is_decimal(t)
                or pa.types.is_floating(t)
            ):
                arr = pc.cast(arr, pa.float64())
            elif pa.types.is_string(t) or pa.types.is_large_string(t):
                arr = pc.cast(pc.utf8_trim_whitespace(arr), pa.float64())
            elif pa.types.is_null(t):
                arr = pa.nulls(len(arr), pa.float64())
            else:
                raise TypeError
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, TypeError):
            raise InputError(
                f"column '{name}' holds values that are not numbers",
                hint="aggregate a numeric column, or clean the column in the source",
            ) from None
        out = arrow_numpy(arr, fill=math.nan)
        if not np.isfinite(out[~np.isnan(out)]).all():
            raise InputError(
                f"column '{name}' holds infinite values", hint="replace them in the source"
            )
        return out

    def __repr__(self) -> str:
        return f"Frame(columns={self.names!r}, rows=<{self.n_rows} redacted>)"


def _numeric_list(col: Any) -> bool:
    try:
        return all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in col)
    except TypeError:
        return False


def key_value(value: Any) -> KeyValue:
    """A partition key as a JSON scalar."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, (_dt.datetime, _dt.date, _dt.time)):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


def read_table_file(path: str | Path, *, columns: list[str] | None = None) -> Frame:
    """Read a CSV (``.csv``, ``.tsv``, optionally gzipped) or Parquet file into a Frame."""
    import pyarrow as pa

    path = Path(path)
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    kind = suffixes[-1] if suffixes else ""
    shown = str(path)
    if not path.is_file():
        raise InputError(f"file not found: {shown}", hint="check the path")
    try:
        if kind == ".parquet":
            import pyarrow.parquet as pq

            table = pq.read_table(path, columns=columns)
        elif kind in (".csv", ".tsv"):
            import pyarrow.csv as pcsv

            table = pcsv.read_csv(
                path,
                parse_options=pcsv.ParseOptions(delimiter="\t" if kind == ".tsv" else ","),
                convert_options=pcsv.ConvertOptions(include_columns=columns),
            )
        else:
            raise InputError(
                f"{shown} is not a CSV or Parquet file",
                hint="use a .csv, .tsv or .parquet file, or a database URL",
            )
    except InputError:
        raise
    except (pa.ArrowInvalid, pa.ArrowKeyError, KeyError) as exc:
        missing = [c for c in columns or [] if c in str(exc)]
        if missing:
            raise InputError(
                f"{shown} has no column named '{missing[0]}'", hint="check the spec's column names"
            ) from None
        raise InputError(
            f"{shown} is not a readable {kind.lstrip('.')} file ({type(exc).__name__})",
            hint="check the file is complete and well-formed",
        ) from None
    except OSError as exc:
        raise InputError(f"cannot read {shown} ({type(exc).__name__})") from None
    return Frame(table)
