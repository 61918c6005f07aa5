"""Pass 1's per-case work (normalize, hash, MinHash), batched so it can run in worker processes.

Normalizing is most of an export's cost (a few ms per case, all in Python), and each case is
independent, so `--jobs N` spreads chunks of cases over N processes; results come back in order,
so dedup (first in run order wins) is the same whatever N is.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from itertools import islice
from typing import Any

import numpy as np

from fuzz.export.dedup import MinHashConfig, signature
from fuzz.export.normalize import NormalizeError, normalize, pair_id


@dataclass(frozen=True)
class DigestIn:
    source: str
    kernel_name: str
    warp_version: str | None
    codegen_options: dict[str, Any] | None


@dataclass(frozen=True)
class Digest:
    """What pass 1 needs of one case; `error` set (and the rest empty) when the source does not parse."""

    source_sha: str = ""
    pair: str = ""
    builtins: tuple[str, ...] = ()
    signature: np.ndarray | None = None
    error: str = ""


def digest_one(item: DigestIn, cfg: MinHashConfig) -> Digest:
    try:
        norm = normalize(item.source, item.kernel_name)
    except NormalizeError as e:
        return Digest(error=str(e))
    return Digest(
        norm.source_sha,
        pair_id(norm.text, item.warp_version, item.codegen_options),
        norm.builtins,
        signature(norm.tokens, cfg),
    )


def digest_chunk(items: list[DigestIn], cfg: MinHashConfig) -> list[Digest]:
    return [digest_one(i, cfg) for i in items]


def _chunks(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


def digest_stream(
    items: Iterable[tuple[Any, DigestIn]], cfg: MinHashConfig, jobs: int = 1, chunk: int = 256
) -> Iterator[tuple[Any, Digest]]:
    """(tag, Digest) for each (tag, DigestIn), in input order; `jobs` > 1 uses worker processes."""
    if jobs <= 1:
        for tag, item in items:
            yield tag, digest_one(item, cfg)
        return
    import multiprocessing as mp

    with ProcessPoolExecutor(max_workers=jobs, mp_context=mp.get_context("spawn")) as pool:
        pending: list[tuple[list[Any], Any]] = []
        for part in _chunks(items, chunk):
            tags = [t for t, _ in part]
            pending.append((tags, pool.submit(digest_chunk, [i for _, i in part], cfg)))
            # bounded look-ahead: at most 2 chunks per worker in flight, so memory stays flat
            while len(pending) > 2 * jobs:
                t, fut = pending.pop(0)
                yield from zip(t, fut.result(), strict=True)
        for t, fut in pending:
            yield from zip(t, fut.result(), strict=True)
