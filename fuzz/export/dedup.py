"""Near-duplicate detection: MinHash over token shingles of normalized source, LSH banding, clusters.

Generated kernels repeat patterns; two kernels whose normalized token streams share most of
their k-token shingles teach the same thing, so they must land in the same split. MinHash
estimates the Jaccard similarity of shingle sets from fixed-size signatures (memory per record
is constant, so 100k records fit easily); LSH banding finds candidate pairs without comparing
all pairs; a candidate counts as a near-duplicate only when its estimated Jaccard reaches the
threshold. Clusters are the connected components of that relation (union-find).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass

import numpy as np

_MASK = np.uint64(0xFFFFFFFFFFFFFFFF)


@dataclass(frozen=True)
class MinHashConfig:
    """Signature size = bands * rows; the LSH S-curve threshold is about (1/bands)^(1/rows)."""

    shingle: int = 5
    bands: int = 16
    rows: int = 8
    threshold: float = 0.85
    seed: int = 0x5EED
    max_bucket: int = 64

    @property
    def perms(self) -> int:
        return self.bands * self.rows

    @staticmethod
    def for_threshold(threshold: float, perms: int = 128) -> MinHashConfig:
        """Banding whose S-curve rises well below `threshold` (LSH then misses few true pairs)."""
        rows = 8
        while rows > 1 and (rows / perms) ** (1.0 / rows) > threshold - 0.1:
            rows //= 2
        return MinHashConfig(bands=perms // rows, rows=rows, threshold=threshold)


def _splitmix(x: np.ndarray) -> np.ndarray:
    """A 64-bit mixing function (wrapping uint64 arithmetic): a cheap family of hash functions."""
    with np.errstate(over="ignore"):
        x = (x + np.uint64(0x9E3779B97F4A7C15)) & _MASK
        x = ((x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)) & _MASK
        x = ((x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)) & _MASK
        return x ^ (x >> np.uint64(31))


def _salts(cfg: MinHashConfig) -> np.ndarray:
    return _splitmix(np.arange(cfg.perms, dtype=np.uint64) + np.uint64(cfg.seed))


def shingles(tokens: tuple[str, ...] | list[str], k: int) -> set[str]:
    if len(tokens) <= k:
        return {"\x1f".join(tokens)}
    return {"\x1f".join(tokens[i : i + k]) for i in range(len(tokens) - k + 1)}


def signature(tokens: tuple[str, ...] | list[str], cfg: MinHashConfig) -> np.ndarray:
    """MinHash signature (uint32[perms]: the low half of 64-bit minima) of the k-shingle set."""
    sh = shingles(tokens, cfg.shingle)
    base = np.fromiter(
        (int.from_bytes(hashlib.blake2b(s.encode(), digest_size=8).digest(), "little") for s in sh),
        dtype=np.uint64,
        count=len(sh),
    )
    mixed = _splitmix(base[:, None] ^ _salts(cfg)[None, :])
    return (mixed.min(axis=0) & np.uint64(0xFFFFFFFF)).astype(np.uint32)


def estimate_jaccard(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.mean(a == b))


class UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, i: int, j: int) -> None:
        a, b = self.find(i), self.find(j)
        if a != b:
            self.parent[max(a, b)] = min(a, b)


@dataclass
class Clusters:
    """`root[i]`: index of record i's cluster representative (the lowest index in its cluster)."""

    root: list[int]
    near_pairs: int  # unions made (pairs confirmed above the threshold that joined two clusters)

    def sizes(self) -> dict[int, int]:
        out: dict[int, int] = defaultdict(int)
        for r in self.root:
            out[r] += 1
        return dict(out)


def cluster(signatures: list[np.ndarray], cfg: MinHashConfig) -> Clusters:
    """Union records whose signatures share an LSH band and whose estimated Jaccard >= threshold."""
    n = len(signatures)
    uf = UnionFind(n)
    if n == 0:
        return Clusters([], 0)
    sigs = np.stack(signatures)
    confirmed = 0
    for b in range(cfg.bands):
        buckets: dict[bytes, list[int]] = defaultdict(list)
        band = sigs[:, b * cfg.rows : (b + 1) * cfg.rows]
        for i in range(n):
            buckets[band[i].tobytes()].append(i)
        for members in buckets.values():
            for pos, j in enumerate(members[1:], start=1):
                # all pairs in ordinary buckets; a huge bucket only against its first and previous member
                partners = members[:pos] if len(members) <= cfg.max_bucket else [members[0], members[pos - 1]]
                for i in partners:
                    if uf.find(i) == uf.find(j):
                        continue
                    if estimate_jaccard(sigs[i], sigs[j]) >= cfg.threshold:
                        confirmed += 1
                        uf.union(i, j)
    return Clusters([uf.find(i) for i in range(n)], confirmed)
