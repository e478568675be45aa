"""Arrow tables from result rows, and the bounded-memory merge of part files into one sorted file.

Every table of a results folder (runs, steps, events, failures) is keyed by (point, replicate).
A part file holds the rows of some runs in any order; :func:`merge` reads the parts block by block
of points (a block is sized to about :data:`BLOCK_ROWS` rows from each part's row count and point
range), sorts each block stably by (point, replicate) and writes row groups of exactly
:data:`ROW_GROUP` rows. The output depends only on the rows, never on how they were split into
parts, so a finished experiment's files are the same bytes whatever the executor, the number of
workers or the interruptions on the way.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from experiments.storage import untrusted
from experiments.storage.errors import StoreError
from experiments.storage.layout import ID_COLUMNS

ROW_GROUP = 16_384
BLOCK_ROWS = 32_768
KEY = ("point", "replicate")
META_PARAMETERS = b"experiments.parameter_columns"
WRITE_OPTIONS = {"compression": "zstd", "write_page_checksum": True}
SOURCE = "__source"  # which part a row came from, while a block is sorted (never written)


def dedupe_mode(table: str) -> str:
    """How a table's rows are made unique: one row per run (``first``: runs, failures), or the rows of one part
    per run (``source``: steps, events), so that a part listed or copied twice is never read twice."""
    return "first" if table in ("runs", "failures") else "source"


@dataclass(frozen=True)
class Source:
    """One Parquet file holding rows of a table, with the range of points it covers."""

    path: Path
    rows: int
    pmin: int
    pmax: int


def to_table(rows: list[dict[str, Any]], parameters: list[str] | None = None) -> pa.Table:
    """Rows (dicts) to an Arrow table: columns in order of first appearance, types inferred per column
    (a column mixing types that Arrow cannot hold together is stored as text)."""
    names: dict[str, None] = {}
    for row in rows:
        names.update(dict.fromkeys(row))
    arrays = []
    for name in names:
        values = [row.get(name) for row in rows]
        try:
            arrays.append(pa.array(values))
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
            arrays.append(pa.array([None if v is None else str(v) for v in values], pa.string()))
    table = pa.table(arrays, names=list(names)) if names else pa.table({})
    if parameters:
        table = table.replace_schema_metadata({META_PARAMETERS: json.dumps(parameters).encode()})
    return table


def _unify_type(types: list[pa.DataType]) -> pa.DataType:
    kinds = [t for t in types if not pa.types.is_null(t)]
    if not kinds:
        return pa.null()
    if all(t == kinds[0] for t in kinds):
        return kinds[0]
    if all(pa.types.is_integer(t) for t in kinds):
        return pa.int64()
    if all(pa.types.is_integer(t) or pa.types.is_floating(t) for t in kinds):
        return pa.float64()
    return pa.string()


def unify(schemas: list[pa.Schema]) -> pa.Schema:
    """One schema for tables written at different times: id columns first, then the columns of the
    first schema, then any others by name; types widened (null < int < float < text)."""
    order: dict[str, None] = dict.fromkeys(c for c in ID_COLUMNS if any(c in s.names for s in schemas))
    if schemas:
        order.update(dict.fromkeys(schemas[0].names))
    order.update(dict.fromkeys(sorted({n for s in schemas for n in s.names} - set(order))))
    fields = [pa.field(n, _unify_type([s.field(n).type for s in schemas if n in s.names])) for n in order]
    params: dict[str, None] = {}
    for s in schemas:
        meta = (s.metadata or {}).get(META_PARAMETERS)
        if meta:
            params.update(dict.fromkeys(json.loads(meta)))
    metadata = {META_PARAMETERS: json.dumps([p for p in order if p in params]).encode()} if params else None
    return pa.schema(fields, metadata=metadata)


def conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """Cast ``table`` to ``schema`` (missing columns as nulls)."""
    cols = []
    for f in schema:
        if f.name in table.column_names:
            col = table.column(f.name)
            cols.append(col if col.type == f.type else pc.cast(col, f.type))
        else:
            cols.append(pa.nulls(table.num_rows, f.type))
    return pa.table(cols, schema=schema)


def read(path: Path, columns: list[str] | None = None, points: tuple[int, int] | None = None) -> pa.Table:
    """A Parquet file (a regular file only; page checksums verified), optionally only the rows of points in
    [a, b]: row groups outside the range are skipped by their statistics, and no dataset machinery (threads,
    read-ahead buffers) is involved, so memory follows the rows read. A file that is not a results table is
    :class:`StoreError`."""
    with untrusted.open_regular(path) as fh:
        try:
            pf = pq.ParquetFile(fh, page_checksum_verification=True)
            _check_keys(path, pf.schema_arrow)
            groups = range(pf.num_row_groups)
            if points is not None:
                idx = pf.schema_arrow.get_field_index("point")
                groups = [g for g in groups if _overlaps(pf.metadata.row_group(g).column(idx).statistics, points)]
            table = pf.read_row_groups(list(groups), columns=columns, use_threads=False)
        except (pa.ArrowException, OSError) as exc:
            if isinstance(exc, FileNotFoundError):
                raise
            raise StoreError(f"{path}: not a readable results table ({type(exc).__name__}: {exc})") from None
    if points is not None and table.num_rows:
        p = table.column("point")
        table = table.filter(pc.and_(pc.greater_equal(p, points[0]), pc.less_equal(p, points[1])))
    return table


def _check_keys(path: Path, schema: pa.Schema) -> None:
    for k in KEY:
        i = schema.get_field_index(k)
        if i < 0 or not pa.types.is_integer(schema.field(i).type):
            raise StoreError(f"{path}: no integer column {k!r}: not a results table of the runner")


def schema_of(path: Path) -> pa.Schema:
    """The schema of a Parquet file of a results folder (a regular file only); :class:`StoreError` if it is not
    a results table."""
    with untrusted.open_regular(path) as fh:
        try:
            schema = pq.read_schema(fh)
        except (pa.ArrowException, OSError) as exc:
            if isinstance(exc, FileNotFoundError):
                raise
            raise StoreError(f"{path}: not a readable results table ({type(exc).__name__}: {exc})") from None
    _check_keys(path, schema)
    return schema


def _overlaps(stats, points: tuple[int, int]) -> bool:
    if stats is None or not stats.has_min_max:
        return True
    return not (stats.max < points[0] or stats.min > points[1])


def read_schema(path: Path) -> list[str]:
    return schema_of(path).names


def blocks(sources: list[Source], block_rows: int = BLOCK_ROWS) -> list[tuple[int, int]]:
    """Consecutive point ranges [a, b] holding about ``block_rows`` rows each (estimated)."""
    if not sources:
        return []
    lo = min(s.pmin for s in sources)
    hi = max(s.pmax for s in sources)
    density = np.zeros(hi - lo + 2)
    for s in sources:  # spread each part's rows evenly over its range of points
        d = s.rows / (s.pmax - s.pmin + 1)
        density[s.pmin - lo] += d
        density[s.pmax - lo + 1] -= d
    cum = np.cumsum(np.cumsum(density)[:-1])
    out, start = [], 0
    while start <= hi - lo:
        base = cum[start - 1] if start else 0.0
        end = int(np.searchsorted(cum, base + block_rows, side="left"))
        end = min(max(end, start), hi - lo)
        out.append((start + lo, end + lo))
        start = end + 1
    return out


def sorted_blocks(sources: list[Source], schema: pa.Schema, columns: list[str] | None = None,
                  dedupe: bool | str = False, block_rows: int = BLOCK_ROWS) -> Iterator[pa.Table]:
    """The rows of all sources in (point, replicate) order, one block of points at a time. ``dedupe``: ``first``
    (or True) keeps one row per run, ``source`` the rows of the first source holding each run."""
    cols = None if columns is None else [c for c in columns if c in schema.names]
    target = schema if cols is None else pa.schema([schema.field(c) for c in cols], metadata=schema.metadata)
    for a, b in blocks(sources, block_rows):
        parts = []
        for i, s in enumerate(sources):
            if s.pmax < a or s.pmin > b:
                continue
            got = read(s.path, points=(a, b))
            if got.num_rows:
                got = conform(got, schema)
                parts.append(got.append_column(SOURCE, pa.array(np.full(got.num_rows, i, dtype=np.int32))))
        if not parts:
            continue
        block = pa.concat_tables(parts)
        del parts
        block = block.take(pc.sort_indices(block, sort_keys=[(k, "ascending") for k in (*KEY, SOURCE)]))  # stable
        if dedupe == "source":
            block = _first_source_per_run(block)
        elif dedupe:
            block = _first_per_run(block)
        block = block.drop_columns([SOURCE]).replace_schema_metadata(schema.metadata)
        yield block if cols is None else block.select(cols).cast(target)
        del block
        pa.default_memory_pool().release_unused()  # hand freed blocks back: memory stays flat with the table size


def _first_per_run(block: pa.Table) -> pa.Table:
    """Keep the first row of each (point, replicate) in a sorted block (a run is never counted twice)."""
    p = block.column("point").to_numpy()
    r = block.column("replicate").to_numpy()
    keep = np.ones(len(p), dtype=bool)
    keep[1:] = (p[1:] != p[:-1]) | (r[1:] != r[:-1])
    return block if keep.all() else block.filter(pa.array(keep))


def _first_source_per_run(block: pa.Table) -> pa.Table:
    """Keep, for each (point, replicate) of a sorted block, the rows of the first source that holds it."""
    p = block.column("point").to_numpy()
    r = block.column("replicate").to_numpy()
    s = block.column(SOURCE).to_numpy()
    start = np.ones(len(p), dtype=bool)
    start[1:] = (p[1:] != p[:-1]) | (r[1:] != r[:-1])
    first = s[np.flatnonzero(start)][np.cumsum(start) - 1]  # each row's run's first source
    keep = s == first
    return block if keep.all() else block.filter(pa.array(keep))


def merge(sources: list[Source], out: Path, dedupe: bool | str, keep=None) -> int:
    """Write every row of ``sources`` to ``out`` sorted by (point, replicate); return the row count.

    ``keep(block) -> mask`` drops rows (e.g. failures since resolved). Row groups hold exactly
    :data:`ROW_GROUP` rows (the last one fewer), whatever the blocks.
    """
    schema = unify([schema_of(s.path) for s in sorted(sources, key=lambda s: (s.pmin, s.pmax, s.rows))])
    pending: list[pa.Table] = []
    n_pending = total = 0
    with pq.ParquetWriter(out, schema, **WRITE_OPTIONS) as writer:
        for block in sorted_blocks(sources, schema, dedupe=dedupe):
            if keep is not None:
                block = block.filter(pa.array(keep(block)))
            pending.append(block)
            n_pending += block.num_rows
            while n_pending >= ROW_GROUP:
                buf = pa.concat_tables(pending)
                writer.write_table(buf.slice(0, ROW_GROUP), row_group_size=ROW_GROUP)
                rest = buf.slice(ROW_GROUP)
                pending, n_pending = [rest], rest.num_rows
                total += ROW_GROUP
        if n_pending or total == 0:
            buf = pa.concat_tables(pending) if pending else schema.empty_table()
            writer.write_table(buf, row_group_size=ROW_GROUP)
            total += buf.num_rows
    return total
