"""Sharded writers: Parquet (fixed schema, Hugging Face layout) or JSONL, at most N rows a shard.

Rows stream in and are flushed a shard at a time (at N rows or about 32 MiB of text, whichever
comes first), so memory stays bounded whatever the run size.
Shards are written under temporary names and renamed to `<split>-00000-of-00003.<ext>` once the
total is known. A split with no rows still gets one empty shard, so every path the card names
exists and loaders see the schema.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any

FORMATS = ("parquet", "jsonl")


def _check_type() -> Any:
    import pyarrow as pa

    return pa.struct(
        [
            ("device", pa.string()),
            ("passed", pa.bool_()),
            ("max_ulp", pa.float64()),
            ("max_abs_err", pa.float64()),
            ("tolerance", pa.string()),
            ("worst_tolerance", pa.float64()),
            ("trials", pa.int64()),
            ("elements", pa.int64()),
            ("checked", pa.int64()),
            ("unstable", pa.int64()),
            (
                "written_arrays",
                pa.list_(
                    pa.struct([("name", pa.string()), ("written", pa.int64()), ("compared", pa.int64())])
                ),
            ),
        ]
    )


def _gradient_type() -> Any:
    import pyarrow as pa

    return pa.struct(
        [
            ("device", pa.string()),
            ("status", pa.string()),
            ("max_rel_err", pa.float64()),
            ("tolerance", pa.float64()),
            ("checked", pa.int64()),
            ("message", pa.string()),
        ]
    )


def _codegen_type() -> Any:
    import pyarrow as pa

    return pa.struct([("enable_backward", pa.bool_()), ("cuda_arch", pa.int64())])


def _origin_type() -> Any:
    """Where a harvested (family `real`) kernel came from; null for generated rows."""
    import pyarrow as pa

    s = pa.string()
    return pa.struct(
        [
            ("file", s), ("line", pa.int64()), ("kernel", s), ("licence", s), ("licence_source", s),
            ("file_sha256", s), ("source_sha256", s),
        ]
    )  # fmt: skip


def record_schema() -> Any:
    """Arrow schema of a verified record (the card's `features` are derived from it)."""
    import pyarrow as pa

    s = pa.string()
    return pa.schema(
        [
            ("pair_id", s),
            ("kernel_name", s),
            ("family", s),
            ("seed", pa.int64()),
            ("generator_version", s),
            ("python", s),
            ("cpp_forward", s),
            ("cpp_backward", s),
            ("cuda_forward", s),
            ("cuda_backward", s),
            ("warp_version", s),
            ("codegen_options", _codegen_type()),
            ("input_spec", s),
            ("constructs", pa.list_(s)),
            ("checks", pa.list_(_check_type())),
            ("gradient_check", s),
            ("gradient_checks", pa.list_(_gradient_type())),
            ("builtins", pa.list_(s)),
            ("source_sha", s),
            ("unstable_fraction", pa.float64()),
            ("oracle_ops", pa.int64()),
            ("devices", pa.list_(s)),
            ("run", s),
            ("split", s),
            ("split_group", s),
            ("near_dup_cluster_size", pa.int64()),
            ("origin", _origin_type()),
        ]
    )


def reject_schema() -> Any:
    import pyarrow as pa

    s = pa.string()
    return pa.schema(
        [
            ("kernel_name", s),
            ("family", s),
            ("seed", pa.int64()),
            ("generator_version", s),
            ("verdict", s),
            ("stage", s),
            ("device", s),
            ("reason", s),
            ("message", s),
            ("python", s),
            ("cpp_forward", s),
            ("cpp_backward", s),
            ("cuda_forward", s),
            ("cuda_backward", s),
            ("warp_version", s),
            ("codegen_options", _codegen_type()),
            ("input_spec", s),
            ("checks", pa.list_(_check_type())),
            ("gradient_check", s),
            ("run", s),
        ]
    )


@dataclass
class ShardFile:
    """One written shard: path relative to the dataset root, its split and row count."""

    path: str
    split: str
    rows: int


@dataclass
class ShardWriter:
    """Writes the rows of one split as shards under `root/subdir`."""

    root: str
    subdir: str
    split: str
    fmt: str
    max_rows: int
    schema_fn: Any = None
    max_bytes: int = 32 << 20
    _buf: list[dict[str, Any]] = field(default_factory=list)
    _buf_bytes: int = 0
    _tmp: list[tuple[str, int]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.fmt not in FORMATS:
            raise ValueError(f"format {self.fmt!r}: use one of {', '.join(FORMATS)}")
        if self.max_rows < 1:
            raise ValueError("shard size must be at least 1 row")
        os.makedirs(os.path.join(self.root, self.subdir), exist_ok=True)

    def write(self, row: dict[str, Any]) -> None:
        """Buffer a row; flush at `max_rows` rows or about `max_bytes` of text (C++ is large)."""
        self._buf.append(row)
        self._buf_bytes += sum(len(v) for v in row.values() if isinstance(v, str))
        if len(self._buf) >= self.max_rows or self._buf_bytes >= self.max_bytes:
            self._flush()

    def _flush(self) -> None:
        tmp = os.path.join(self.root, self.subdir, f".{self.split}-{len(self._tmp):05d}.tmp")
        if self.fmt == "parquet":
            import pyarrow as pa
            import pyarrow.parquet as pq

            table = pa.Table.from_pylist(self._buf, schema=self.schema_fn())
            pq.write_table(table, tmp, compression="zstd")
        else:
            with open(tmp, "w", encoding="utf-8") as f:
                for row in self._buf:
                    f.write(json.dumps(row, sort_keys=False, ensure_ascii=False, allow_nan=False) + "\n")
        self._tmp.append((tmp, len(self._buf)))
        self._buf = []
        self._buf_bytes = 0

    def close(self) -> list[ShardFile]:
        if self._buf or not self._tmp:
            self._flush()
        n = len(self._tmp)
        out = []
        for i, (tmp, rows) in enumerate(self._tmp):
            rel = f"{self.subdir}/{self.split}-{i:05d}-of-{n:05d}.{self.fmt}"
            os.replace(tmp, os.path.join(self.root, rel))
            out.append(ShardFile(rel, self.split, rows))
        return out


def read_rows(path: str) -> list[dict[str, Any]]:
    """All rows of one shard (Parquet or JSONL) as dicts."""
    if path.endswith(".parquet"):
        import pyarrow.parquet as pq

        return list(pq.read_table(path).to_pylist())
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]
