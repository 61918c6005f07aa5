"""Verified dataset export: run directories -> deduplicated, group-split Parquet/JSONL + card + manifest.

`export_dataset` writes a dataset; `verify_dataset` checks one (manifest hashes, card, and a
re-run of sampled records on this machine's devices).
"""

from fuzz.export.exporter import ExportOptions, ExportResult, export_dataset
from fuzz.export.verify import VerifyOptions, VerifyReport, verify_dataset

__all__ = [
    "ExportOptions",
    "ExportResult",
    "VerifyOptions",
    "VerifyReport",
    "export_dataset",
    "verify_dataset",
]
