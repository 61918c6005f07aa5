"""The settings sweep: Warp settings a case is also built and run under, and what each may change.

Warp compiles one kernel along different paths depending on its settings (constant-range loops
below `max_unroll` are unrolled, debug mode adds bounds checks and drops optimisation, the -O
level, fast math and the CUDA output format change the machine code). A verified case whose
outputs change under a setting that must not change them is a Warp bug, and the setting is the
first clue for whoever fixes it: `run --settings-sweep` builds every batch once more per swept
point and the judge (`judge.judge_setting`) blames the point (verdict `setting_mismatch`).

`TABLE` is the documented table (docs/settings-sweep.md): per setting its points, how it is
applied (a Warp module option, or a `wp.config` flag set while the point's module is compiled and
launched, then restored), the devices it concerns, its default per device (a point equal to the
baseline's value on every device it concerns is skipped, it would compare the baseline with
itself) and its tolerance. A point is written "name=value" (`max_unroll=0`); a bare name means
all the entry's points. Releases lacking a setting are probed (`unavailable`), never assumed.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from fuzz.engine.verdict import device_kind


class SweepError(ValueError):
    """A sweep specification names no setting of the table, or a value the setting does not take."""


class Applied(StrEnum):
    """How a setting reaches Warp."""

    MODULE_OPTION = "module option"  # wp.set_module_options on the point's module
    CONFIG_FLAG = "wp.config flag"  # set while the point's module is compiled and launched


@dataclass(frozen=True)
class SweepTolerance:
    """How far a float output under a point may lie from the baseline's (integers and booleans:
    bit exact under every setting). The tolerance is that of the judge's cpu~cuda pair check
    scaled: safety_scale * policy.safety * oracle_error_bound + floor_scale * policy.floor_ulps *
    ulp(baseline) + abs_floor + scale_floor * max|baseline| (the largest finite magnitude of that
    output array: a norm-wise term, for errors that are absolute at the scale of the values the
    kernel works with rather than relative to each element); with `skip_nonfinite`, elements
    whose baseline value is NaN or infinite are not compared (fast math assumes finite values).
    oracle: the point's outputs must also agree with the oracle under the judge's own policy
    (settings that must not change results; fast math may)."""

    name: str
    safety_scale: float = 2.0
    floor_scale: float = 2.0
    abs_floor: float = 0.0
    scale_floor: float = 0.0
    skip_nonfinite: bool = False
    oracle: bool = True

    def describe(self) -> str:
        extra = f" + {self.abs_floor:g}" if self.abs_floor else ""
        extra += f" + {self.scale_floor:g}*max|baseline|" if self.scale_floor else ""
        skip = "; NaN/inf baseline elements not compared" if self.skip_nonfinite else ""
        orc = "; and the oracle's own tolerance" if self.oracle else ""
        return (
            f"{self.name}: |point-baseline| <= {self.safety_scale:g}*safety*oracle_error_bound + "
            f"{self.floor_scale:g}*floor_ulps ulp(baseline){extra}{skip}{orc}"
        )


# settings that must not change results: the pair policy of `judge.judge_case` (safety and floor
# doubled: both sides may sit at their oracle tolerance)
SAME = SweepTolerance("same")
# fast math (CUDA's --use_fast_math): approximate division, sqrt, sin/cos/exp/log intrinsics
# (documented errors of a few ulp inside their ranges, more outside), denormals flushed to zero.
# Budget: 16 times the pair tolerance's error-bound term, 2**10 ulp of the baseline (about 1.2e-4
# relative for float32), an absolute floor of FLT_MIN for flushed denormals, and 2**-13 (1.2e-4)
# of the output array's largest magnitude: __sinf/__cosf errors are absolute (2**-21.41 on
# [-pi, pi], more outside), so near a zero of the result they are unbounded relative to the
# element (an H200 sweep flagged -3.4096e-05 against -3.4124e-05 in sin(x) * cos(y)); non-finite
# values not compared.
FAST_MATH = SweepTolerance(
    "fast-math",
    safety_scale=32.0,
    floor_scale=512.0,
    abs_floor=1.1754943508222875e-38,
    scale_floor=2.0**-13,
    skip_nonfinite=True,
    oracle=False,
)

ALL_DEVICES = ("cpu", "cuda")


@dataclass(frozen=True)
class Setting:
    """One entry of the table (see the module docstring).

    option: the Warp module option or `wp.config` attribute; points: the values a bare name sweeps;
    accepts: whether a value given as `name=value` is one this setting takes; defaults: the
    baseline's value per device kind when the baseline sets none (a callable of the warp module,
    since some defaults are `wp.config` values); tolerance: for each value. backward: the point's
    module is built with the baseline's backward code (a setting that changes adjoint code);
    otherwise forward code only, since only forward outputs are compared and the backward code
    would double the point's compile time."""

    name: str
    option: str
    applied: Applied
    points: tuple[Any, ...]
    accepts: Callable[[Any], bool]
    devices: tuple[str, ...]
    releases: str
    defaults: Callable[[Any], Mapping[str, Any]]
    tolerance: Callable[[Any], SweepTolerance]
    why: str
    aliases: tuple[str, ...] = ()
    backward: bool = False


def _same(_value: Any) -> SweepTolerance:
    return SAME


def _fast_math_tolerance(value: Any) -> SweepTolerance:
    return FAST_MATH if value else SAME


TABLE: tuple[Setting, ...] = (
    Setting(
        "max_unroll", "max_unroll", Applied.MODULE_OPTION, (0, 64),
        lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 0, ALL_DEVICES, "all",
        lambda wp: {"cpu": wp.config.max_unroll, "cuda": wp.config.max_unroll}, _same,
        "constant-range loops compiled as loops (0) and unrolled (64) instead of Warp's 16",
    ),
    Setting(
        "mode", "mode", Applied.MODULE_OPTION, ("debug",),
        lambda v: v in ("debug", "release"), ALL_DEVICES, "all",
        lambda wp: {"cpu": wp.config.mode, "cuda": wp.config.mode}, _same,
        "debug build: bounds checks, no optimisation",
    ),
    Setting(
        "fast_math", "fast_math", Applied.MODULE_OPTION, (True,),
        lambda v: isinstance(v, bool), ("cuda",), "all",
        lambda wp: {"cuda": False}, _fast_math_tolerance,
        "CUDA fast-math intrinsics (Warp's CPU build ignores the option)",
    ),
    Setting(
        "opt_level", "optimization_level", Applied.MODULE_OPTION, (0, 1, 2, 3),
        lambda v: isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 3, ALL_DEVICES, "1.11.0+",
        lambda wp: {"cpu": 2, "cuda": 3}, _same,
        "clang / NVRTC -O level (Warp's defaults: -O2 CPU, -O3 CUDA)",
        aliases=("optimization_level",),
    ),
    Setting(
        "cuda_output", "cuda_output", Applied.MODULE_OPTION, ("ptx", "cubin"),
        lambda v: v in ("ptx", "cubin"), ("cuda",), "all",
        lambda wp: {"cuda": None}, _same,
        "CUDA code loaded as PTX (JIT by the driver) or as a cubin",
    ),
    Setting(
        "lineinfo", "lineinfo", Applied.MODULE_OPTION, (True,),
        lambda v: isinstance(v, bool), ALL_DEVICES, "all",
        lambda wp: {"cpu": wp.config.lineinfo, "cuda": wp.config.lineinfo}, _same,
        "line-number information (#line directives in the emitted code)",
    ),
    Setting(
        "enable_vector_component_overwrites", "enable_vector_component_overwrites", Applied.CONFIG_FLAG, (True,),
        lambda v: isinstance(v, bool), ALL_DEVICES, "all with the wp.config flag",
        lambda wp: {d: wp.config.enable_vector_component_overwrites for d in ALL_DEVICES}, _same,
        "component assignments of vectors/matrices overwrite in place (changes the adjoint code)",
        backward=True,
    ),
    Setting(
        "enable_cpu_blocks", "enable_cpu_blocks", Applied.CONFIG_FLAG, (True,),
        lambda v: isinstance(v, bool), ("cpu",), "1.19.0+",
        lambda wp: {"cpu": wp.config.enable_cpu_blocks}, _same,
        "tiled CPU launches run block_dim threads per block",
    ),
)  # fmt: skip

_POINT = re.compile(r"^(?P<name>[A-Za-z_]\w*)=(?P<value>\S+)$")


def setting(name: str) -> Setting:
    """The table entry called `name` (or one of its aliases); SweepError lists the table."""
    for s in TABLE:
        if name == s.name or name in s.aliases:
            return s
    raise SweepError(f"unknown setting {name!r}; the sweep table has: {table_summary()}")


def table_summary() -> str:
    """The table as one line: each name with its points (for errors and --help)."""
    return "; ".join(f"{s.name} ({', '.join(_text(p) for p in s.points)})" for s in TABLE)


def _text(value: Any) -> str:
    return str(value) if not isinstance(value, str) else value


def _parse_value(s: Setting, text: str) -> Any:
    """`text` as the setting's value: the spelling of one of its points, else an int or bool."""
    for p in s.points:
        if _text(p) == text:
            return p
    low = text.lower()
    value: Any = text
    if low in ("true", "false"):
        value = low == "true"
    elif re.fullmatch(r"-?\d+", text):
        value = int(text)
    if not s.accepts(value):
        raise SweepError(
            f"{s.name}={text}: not a value {s.name} takes (its points: {', '.join(_text(p) for p in s.points)})"
        )
    return value


@dataclass(frozen=True)
class SweepPoint:
    """One swept setting value, e.g. max_unroll=0."""

    setting: Setting
    value: Any

    @property
    def text(self) -> str:
        return f"{self.setting.name}={_text(self.value)}"

    @property
    def tolerance(self) -> SweepTolerance:
        return self.setting.tolerance(self.value)

    def module_options(self) -> dict[str, Any]:
        """What the point adds to the baseline's module options."""
        return {self.setting.option: self.value} if self.setting.applied is Applied.MODULE_OPTION else {}

    def build_options(self, baseline: Mapping[str, Any]) -> dict[str, Any]:
        """The module options of the point's module: the baseline's plus the point's. Forward code
        only unless the setting changes adjoint code (only forward outputs are compared: half the
        compile). An opt_level point drops the baseline's CPU compiler flags (Warp's own flags
        again), which may carry the campaign's CPU -O level and would override the point's
        (`warpcompat.with_point_options`)."""
        from fuzz.engine import warpcompat

        opts = warpcompat.with_point_options(dict(baseline), self.module_options())
        if not self.setting.backward:
            opts["enable_backward"] = False
        return opts

    def config_flags(self) -> dict[str, Any]:
        """The `wp.config` flags the point sets while its module is compiled and launched."""
        return {self.setting.option: self.value} if self.setting.applied is Applied.CONFIG_FLAG else {}


def parse_point(text: str) -> SweepPoint:
    """ "name=value" as a point; SweepError for an unknown name or value."""
    m = _POINT.match(text.strip())
    if m is None:
        raise SweepError(f"{text!r}: a point is written name=value (e.g. max_unroll=0)")
    s = setting(m.group("name"))
    return SweepPoint(s, _parse_value(s, m.group("value")))


def expand(spec: str | Sequence[str]) -> tuple[str, ...]:
    """The points of a `--settings-sweep` value ("max_unroll,mode=debug"): a bare name gives all
    its points, "name=value" one; duplicates dropped, order kept. SweepError names what is wrong."""
    items = [x.strip() for x in (spec.split(",") if isinstance(spec, str) else spec)]
    out: list[str] = []
    for item in items:
        if not item:
            continue
        if "=" in item:
            points = [parse_point(item)]
        else:
            s = setting(item)
            points = [SweepPoint(s, v) for v in s.points]
        for p in points:
            if p.text not in out:
                out.append(p.text)
    if not out:
        raise SweepError(f"no setting named; the sweep table has: {table_summary()}")
    return tuple(out)


# ---------------------------------------------------------------- on the installed Warp


def unavailable(s: Setting) -> str | None:
    """Why the installed Warp release lacks `s` (None when it has it): a module option missing
    from a fresh module's default options, or a `wp.config` attribute missing."""
    import warp as wp

    from fuzz.engine import warpcompat

    if s.applied is Applied.CONFIG_FLAG:
        if hasattr(wp.config, s.option):
            return None
        return f"warp {wp.__version__} has no wp.config.{s.option} ({s.releases})"
    probe = wp.get_module("warpfuzz_sweep_probe")
    has = s.option in getattr(probe, "options", {})
    warpcompat.forget_module("warpfuzz_sweep_probe")
    return None if has else f"warp {wp.__version__} has no {s.option!r} module option ({s.releases})"


@dataclass(frozen=True)
class ActivePoint:
    """A point that this run sweeps: the devices it is launched on (the run's devices it concerns
    where it differs from the baseline) and whether CUDA is compiled ahead of time for it."""

    point: SweepPoint
    devices: tuple[str, ...]
    cuda_aot: bool

    @property
    def text(self) -> str:
        return self.point.text


def select(
    points: Sequence[str],
    devices: Sequence[str],
    cuda_arch: int | None,
    baseline_options: Mapping[str, Any],
    cpu_opt_level: int | None = None,
) -> tuple[list[ActivePoint], list[str]]:
    """The points of `points` this run sweeps on the installed Warp, and a note for each one
    skipped: a setting the release lacks, one concerning none of the run's devices, or a value
    equal to the baseline's on every device it concerns. cpu_opt_level: the CPU's -O level when
    the baseline sets one for the CPU (the campaign's --cpu-opt-level, through the
    `optimization_level` option or the CPU compiler flags), which the CPU part of an opt_level
    point is compared with."""
    import warp as wp

    active: list[ActivePoint] = []
    notes: list[str] = []
    missing: dict[str, str | None] = {}
    has_cuda = any(device_kind(d) == "cuda" for d in devices)
    for text in points:
        p = parse_point(text)
        s = p.setting
        if s.name not in missing:
            missing[s.name] = unavailable(s)
        why = missing[s.name]
        if why is not None:
            notes.append(f"settings sweep: {p.text} skipped: {why}")
            continue
        defaults = s.defaults(wp)

        def differs(
            kind: str, s: Setting = s, p: SweepPoint = p, defaults: Mapping[str, Any] = defaults
        ) -> bool:
            base = baseline_options.get(s.option) if s.applied is Applied.MODULE_OPTION else None
            if s.option == "optimization_level" and kind == "cpu" and cpu_opt_level is not None:
                base = cpu_opt_level
            if base is None:
                base = defaults.get(kind)
            return bool(p.value != base)

        devs = tuple(d for d in devices if device_kind(d) in s.devices and differs(device_kind(d)))
        aot = bool(cuda_arch) and not has_cuda and "cuda" in s.devices and differs("cuda")
        if not devs and not aot:
            concerned = [d for d in devices if device_kind(d) in s.devices]
            why = (
                "same as the baseline" if concerned or (cuda_arch and "cuda" in s.devices)
                else f"concerns {'/'.join(s.devices)} only; this run has {','.join(devices)}"
            )  # fmt: skip
            notes.append(f"settings sweep: {p.text} skipped: {why}")
            continue
        active.append(ActivePoint(p, devs, aot))
    return active, notes


def not_sweepable(
    points: Sequence[str], devices: Sequence[str], cuda_arch: int | None, cpu_opt_level: int | None
) -> str:
    """Why some of `points` cannot be swept here (empty: all can): replay and bisect skip a
    setting_mismatch folder with this note instead of calling it fixed on a release that lacks
    its setting or a machine without the device it concerns."""
    active, notes = select(points, devices, cuda_arch, {}, cpu_opt_level)
    return "; ".join(notes) if len(active) < len(points) else ""


@contextlib.contextmanager
def config_flags(point: SweepPoint) -> Iterator[None]:
    """The point's `wp.config` flags, set for the block and restored after it."""
    flags = point.config_flags()
    if not flags:
        yield
        return
    import warp as wp

    old = {k: getattr(wp.config, k) for k in flags}
    try:
        for k, v in flags.items():
            setattr(wp.config, k, v)
        yield
    finally:
        for k, v in old.items():
            setattr(wp.config, k, v)


_BLAME = re.compile(r"^(?P<point>[A-Za-z_]\w*=\S+) on ")


def blamed_point(message: str) -> str | None:
    """The point a `setting_mismatch` result's message blames (its first words, as
    `judge.judge_setting` and the runner write them), None when it names none."""
    m = _BLAME.match(message or "")
    return m.group("point") if m else None
