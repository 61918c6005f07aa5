"""Top-level generation: configuration, weight parsing, `generate(seed)` and its health check."""

from __future__ import annotations

import functools
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from grammar.case import KernelCase, ParamSpec
from grammar.constructs import constructs_of
from grammar.expr import Rejected
from grammar.families import FAMILIES, REACH_FAMILIES, Family, family_table
from grammar.gen import Gen, Knobs
from grammar.production import Registry
from grammar.rand import Chooser, SeededChooser, pick_weighted
from grammar.render import render

GENERATOR_VERSION = "1.7.3"
MAX_RETRIES = 32

_PENDING: frozenset[str] = frozenset()
# families drawn only when a campaign weights them (`--weights geometry=5`): a zero default weight
# draws nothing, so every other seed keeps its kernel
OPT_IN: frozenset[str] = frozenset()
REACH_WEIGHT = 0.8  # default weight of each reach family: 5 x 0.8 = 4 of the 32 default weight units
# the modern-language families (issue 19): weights that put each construct the census counts
# (scripts/census.py --check-modern) in >= 2 % of 1,500 default kernels with room to spare, and
# the tile family, whose kernels are the most varied, in about 9 %
MODERN_WEIGHTS: Mapping[str, float] = MappingProxyType(
    {
        "tiles": 3.0,
        "random": 2.0,
        "spatial": 2.0,
        "compile_time": 3.0,
        "factories": 1.0,
        "custom_adjoint": 1.0,
        # issue 20: mesh / BVH / hash-grid / volume queries, on by default since 1.7.0
        "geometry": 2.0,
    }
)
DEFAULT_WEIGHTS: Mapping[str, float] = MappingProxyType(
    {
        f: 0.0
        if f in _PENDING | OPT_IN
        else MODERN_WEIGHTS.get(f, REACH_WEIGHT if f in REACH_FAMILIES else 1.0)
        for f in FAMILIES
    }
)


@dataclass(frozen=True)
class GenConfig:
    """Family weights (0 disables a family), size knobs, and the Warp release to target.

    warp_version: draws that use a construct this release lacks (grammar.gates) are rejected and
    redrawn, so a campaign against an older Warp gets no false compile errors or mismatches from
    version gaps. None targets every construct (the newest release). The same seed gives the same
    case for the same target release.
    """

    weights: Mapping[str, float] = field(default_factory=lambda: DEFAULT_WEIGHTS)
    max_stmts: int = 8
    max_depth: int = 4
    max_loop_nesting: int = 2
    warp_version: str | None = None


class GeneratorHealthError(RuntimeError):
    """Too many draws were rejected: a guard is too strict or a production is broken."""


def parse_weights(text: str) -> dict[str, float]:
    """`"loop=3,vector=0"` merged over DEFAULT_WEIGHTS."""
    out = dict(DEFAULT_WEIGHTS)
    known = ", ".join(FAMILIES)
    for item in (t.strip() for t in text.split(",")):
        if not item:
            continue
        if "=" not in item:
            raise ValueError(f"weight {item!r} is not 'family=number'; known families: {known}")
        fam, _, num = (s.strip() for s in item.partition("="))
        if fam not in DEFAULT_WEIGHTS:
            raise ValueError(f"unknown family {fam!r} in weights {text!r}; known families: {known}")
        try:
            w = float(num)
        except ValueError:
            raise ValueError(f"bad weight {num!r} for family {fam!r}; known families: {known}") from None
        if not (w >= 0.0) or w == float("inf"):
            raise ValueError(
                f"bad weight {num!r} for family {fam!r}: must be a finite number >= 0; known families: {known}"
            )
        out[fam] = w
    if sum(out.values()) <= 0:
        raise ValueError(f"weights {text!r} disable every family; known families: {known}")
    return out


@functools.lru_cache(maxsize=1)
def default_registry() -> Registry:
    """The registry of every production (scalar, bit, composite, helper calls).

    Built once per process: the registry is immutable, and probing every production's result
    types costs ~30 ms, as much as generating a case.
    """
    from grammar.registry import build_registry

    return build_registry()


def pick_family(rng: Chooser, config: GenConfig, seed: int | None = None) -> str:
    """A family by weight. Given the seed, whether the case is a reach kernel is decided from
    the seed alone (a hash, no draw from `rng`), and the other families are drawn exactly as
    before the reach families existed: seeds that are not reach kernels keep their kernels."""
    lacking = _lacking(config.warp_version)
    needs = _family_needs()
    weights = [0.0 if needs.get(f) in lacking else float(config.weights.get(f, 0.0)) for f in FAMILIES]
    if not any(w > 0 for w in weights):
        gated = sorted(f for f in FAMILIES if needs.get(f) in lacking and config.weights.get(f, 0.0) > 0)
        raise GeneratorHealthError(
            f"warp {config.warp_version} lacks what the weighted families need ({', '.join(gated)}: "
            f"gates {', '.join(sorted({needs[f] for f in gated}))}); weight another family"
        )
    base = [(f, w) for f, w in zip(FAMILIES, weights, strict=True) if f not in REACH_FAMILIES]
    reach = [(f, w) for f, w in zip(FAMILIES, weights, strict=True) if f in REACH_FAMILIES]
    tb, tr = sum(w for _, w in base), sum(w for _, w in reach)
    if seed is None or tb <= 0 or tr <= 0:
        return rng.weighted(FAMILIES, weights)
    u = zlib.crc32(f"reach:{seed}".encode()) / 2**32
    share = tr / (tb + tr)
    if u < share:
        return pick_weighted([f for f, _ in reach], [w for _, w in reach], u / share)
    return rng.weighted([f for f, _ in base], [w for _, w in base])


def generate(seed: int, config: GenConfig | None = None, family: str | None = None) -> KernelCase:
    """A valid kernel for `seed` (same seed and GENERATOR_VERSION give a byte-identical case)."""
    return generate_counted(seed, config, family)[0]


def generate_counted(
    seed: int, config: GenConfig | None = None, family: str | None = None, registry: Registry | None = None
) -> tuple[KernelCase, int]:
    """`generate` that also reports how many draws were rejected before one succeeded."""
    if seed < 0:
        raise ValueError(f"seed must be >= 0, got {seed}")
    config = config or GenConfig()
    registry = registry or default_registry()
    rng = SeededChooser(seed)
    if family is None:
        family = pick_family(rng, config, seed)
    return build_case(rng, seed, family, config, registry)


def build_case(
    rng: Chooser, seed: int, family: str, config: GenConfig, registry: Registry
) -> tuple[KernelCase, int]:
    fams = {f.name: f for f in family_table()}
    if family not in fams:
        raise ValueError(f"unknown family {family!r}; known families: {', '.join(FAMILIES)}")
    fam = fams[family]
    knobs = Knobs(config.max_stmts, config.max_depth, config.max_loop_nesting)
    for attempt in range(MAX_RETRIES):
        try:
            case = _build(
                rng,
                seed,
                fam,
                knobs,
                registry,
                _subscripts_ok(config.warp_version),
                _lacking(config.warp_version),
            )
        except Rejected:
            continue
        if config.warp_version is not None and _lacks_features(case.source, config.warp_version):
            continue
        return case, attempt
    raise GeneratorHealthError(
        f"seed {seed}, family {family}: {MAX_RETRIES} draws rejected in a row; a guard is too strict"
    )


def _lacks_features(source: str, warp_version: str) -> bool:
    from grammar.gates import missing_features

    return bool(missing_features(source, warp_version))


@functools.lru_cache(maxsize=1)
def _family_needs() -> Mapping[str, str]:
    """Each family's required gate (`Family.requires`): read once per process, not per kernel."""
    return MappingProxyType({f.name: f.requires for f in family_table()})


@functools.lru_cache(maxsize=8)
def _lacking(warp_version: str | None) -> frozenset[str]:
    from grammar.gates import disabled_features

    return frozenset() if warp_version is None else disabled_features(warp_version)


def _subscripts_ok(warp_version: str | None) -> bool:
    from grammar.gates import enabled_features

    return warp_version is None or "array_subscript_annotations" in enabled_features(warp_version)


def _build(
    rng: Chooser,
    seed: int,
    fam: Family,
    knobs: Knobs,
    registry: Registry,
    subscript_arrays: bool = True,
    lacking: frozenset[str] = frozenset(),
) -> KernelCase:
    kname = f"k_{seed}"
    gen = Gen(
        rng,
        registry,
        fam.tags,
        knobs,
        kname,
        wave2=fam.wave2,
        subscript_arrays=subscript_arrays,
        lacking=lacking,
    )
    body = fam.layout(gen)
    source = (fam.render or render)(gen, body)
    params = tuple(_with_thresholds(p.spec, gen.thresholds) for p in gen.params)
    return KernelCase(
        kernel_name=kname,
        source=source,
        family=fam.name,
        seed=seed,
        generator_version=GENERATOR_VERSION,
        params=params,
        dim=gen.dim,
        constructs=constructs_of(source, kname),
        block_dim=fam.block_dim(gen) if fam.block_dim is not None else None,
    )


def _with_thresholds(spec: ParamSpec, thresholds: list[float]) -> ParamSpec:
    if spec.role == "out" or spec.low is None or spec.high is None:
        return spec
    lo, hi = spec.low, spec.high
    ts = tuple(t for t in thresholds if lo <= t <= hi and (not spec.integral or float(t).is_integer()))
    if not ts:
        return spec
    from dataclasses import replace

    return replace(spec, thresholds=ts)
