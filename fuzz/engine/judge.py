"""Tolerance policy and verdicts: does a device's output agree with the oracle's?

Integers and booleans must match exactly. Floats must lie within a tolerance derived from the
computation: the oracle's per-element forward-error bound (its per-operation ULP budget propagated
through the kernel) times a safety factor, plus a floor of a few ULP of the expected value. NaN
matches only NaN and infinities must agree in sign. Elements the oracle marks unstable (their value
hangs on a decision taken within rounding error) are skipped and counted, never silently passed.

"Verified" needs evidence: `decide` requires, per array the launch writes, that enough of its
*written* elements were compared (not unstable). Arrays the kernel only reads are still compared
(a device must leave them alone) but prove nothing about the kernel, so they never count.

The judge owns the verdict: `judge_case` turns every device's outputs and the oracle's result into
the forward verdict (with the cpu~cuda pair checks), `judge_gradients` the backward one; the runner
only produces the outputs. Verdicts and stages are the enums of `fuzz.engine.verdict`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from enum import Enum
from typing import Any

import numpy as np

from fuzz.engine.gradients import GradientCheck, first_mismatch
from fuzz.engine.sweep import SweepTolerance
from fuzz.engine.verdict import Stage, Verdict
from oracle.result import OracleResult

# the verdicts a judged case can get (`compiled` is no judgement: compile_only runs)
VERDICTS = tuple(v for v in Verdict if v is not Verdict.COMPILED)


@dataclass(frozen=True)
class TolerancePolicy:
    """How much a float result may differ from the oracle: safety * bound + floor_ulps * ulp.

    max_unstable_fraction: per written array, the largest share of its written elements that may
    be unstable (skipped) for the case to count as verified; above it the case is inconclusive."""

    safety: float = 2.0
    floor_ulps: float = 2.0
    max_unstable_fraction: float = 0.5

    def describe(self) -> str:
        return f"|obs-exp| <= {self.safety:g}*oracle_error_bound + {self.floor_ulps:g} ulp(exp)"


@dataclass
class ArrayCheck:
    """Comparison of one array parameter: counts, the worst element and the tolerance there.

    written: elements the launch wrote (None: not known, a comparison without the oracle's write
    record); compared: written elements that were compared (written and not unstable)."""

    name: str
    dtype: str
    passed: bool
    elements: int
    checked: int
    unstable: int
    bad: int
    max_abs_err: float = 0.0
    max_ulp: float = 0.0
    worst_index: list[int] | None = None
    observed: Any = None
    expected: Any = None
    tolerance: float = 0.0
    written: int | None = None
    compared: int | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class DeviceCheck:
    """All array comparisons of one device (or device pair) against the oracle."""

    device: str
    passed: bool
    arrays: list[ArrayCheck] = field(default_factory=list)
    tolerance_rule: str = ""

    @property
    def max_abs_err(self) -> float:
        return max((a.max_abs_err for a in self.arrays), default=0.0)

    @property
    def max_ulp(self) -> float:
        return max((a.max_ulp for a in self.arrays), default=0.0)

    def failing(self) -> list[ArrayCheck]:
        return [a for a in self.arrays if not a.passed]

    def to_json(self) -> dict[str, Any]:
        return {
            "device": self.device,
            "passed": self.passed,
            "max_abs_err": self.max_abs_err,
            "max_ulp": self.max_ulp,
            "tolerance_rule": self.tolerance_rule,
            "arrays": [a.to_json() for a in self.arrays],
        }


def _ulp(values: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Spacing of `dtype` at each value (as float64), the smallest subnormal at zero."""
    v = np.abs(values.astype(dtype, copy=False))
    with np.errstate(invalid="ignore", over="ignore"):
        sp = np.spacing(v).astype(np.float64)
    sp[~np.isfinite(sp)] = np.inf
    return sp


def element_tolerance(
    expected: np.ndarray, bound: np.ndarray, policy: TolerancePolicy, *, ulp: np.ndarray | None = None
) -> np.ndarray:
    """Per-element tolerance of a float array: safety * bound + floor_ulps * ulp(expected), an
    infinite bound counting 0 (its element is unstable). The one formula: compare_array and the
    corpus folder's expected.npz (`__tol`) both use it. `ulp`: the expected values' spacing, if
    the caller has it."""
    spacing = _ulp(expected, expected.dtype) if ulp is None else ulp
    return policy.safety * np.where(np.isfinite(bound), bound, 0.0) + policy.floor_ulps * spacing


def _to_py(x: Any) -> Any:
    if isinstance(x, np.ndarray):
        return [_to_py(v) for v in x.tolist()] if x.ndim else _to_py(x.item())
    if isinstance(x, float) and not np.isfinite(x):
        return repr(x)
    if isinstance(x, np.generic):
        return _to_py(x.item())
    return x


def compare_array(
    name: str,
    observed: np.ndarray,
    expected: np.ndarray,
    error_bound: np.ndarray | None,
    unstable: np.ndarray | None,
    policy: TolerancePolicy,
    elem_ndim: int = 0,
    written: np.ndarray | None = None,
) -> ArrayCheck:
    """Compare one array; `elem_ndim` trailing axes are components of one element (vec/mat);
    `written` (the oracle's write record, same layout as `unstable`) adds the written counts."""
    obs = np.asarray(observed)
    exp = np.asarray(expected)
    if obs.shape != exp.shape:
        return ArrayCheck(
            name, str(exp.dtype), False, int(exp.size), 0, 0, int(exp.size),
            observed=f"shape {obs.shape}", expected=f"shape {exp.shape}",
        )  # fmt: skip
    size = int(exp.size)
    unst = np.zeros(exp.shape, dtype=bool) if unstable is None else np.broadcast_to(unstable, exp.shape)
    if np.issubdtype(exp.dtype, np.floating):
        bound = np.zeros(exp.shape) if error_bound is None else np.broadcast_to(error_bound, exp.shape)
        unst = unst | ~np.isfinite(bound)
        o64 = obs.astype(np.float64)
        e64 = exp.astype(np.float64)
        both_nan = np.isnan(o64) & np.isnan(e64)
        same_inf = np.isinf(o64) & np.isinf(e64) & (np.sign(o64) == np.sign(e64))
        with np.errstate(invalid="ignore", over="ignore"):
            diff = np.abs(o64 - e64)
        diff[both_nan | same_inf] = 0.0
        diff[np.isnan(diff)] = np.inf
        ulp = _ulp(exp, exp.dtype)
        tol = element_tolerance(exp, bound, policy, ulp=ulp)
        # NaN matches only NaN and an infinity only the same infinity, whatever the tolerance
        special = (np.isnan(o64) != np.isnan(e64)) | ((np.isinf(o64) | np.isinf(e64)) & ~same_inf & ~both_nan)
        bad = ((diff > tol) | special) & ~unst
        with np.errstate(divide="ignore", invalid="ignore"):
            ulps = np.where(ulp > 0, diff / ulp, np.inf)
        ulps[unst] = 0.0
        with np.errstate(divide="ignore", invalid="ignore"):
            score = np.where(unst, -1.0, np.where(bad, diff / np.maximum(tol, 1e-300), diff))
        score[np.isnan(score)] = np.inf
    else:
        tol = np.zeros(exp.shape)
        bad = (obs != exp) & ~unst
        diff = np.where(bad, np.abs(obs.astype(np.float64) - exp.astype(np.float64)), 0.0)
        ulps = diff
        score = np.where(unst, -1.0, diff)
    # reduce component axes: an element is bad if any of its components is
    if elem_ndim:
        axes = tuple(range(exp.ndim - elem_ndim, exp.ndim))
        elem_bad = bad.any(axis=axes)
        elem_unst = unst.all(axis=axes)
    else:
        elem_bad, elem_unst = bad, unst
    n_elems = int(elem_bad.size)
    n_bad = int(elem_bad.sum())
    n_unst = int(elem_unst.sum())
    n_written = n_compared = None
    if written is not None:
        wr = np.broadcast_to(written, exp.shape)
        elem_wr = wr.any(axis=axes) if elem_ndim else wr
        n_written = int(elem_wr.sum())
        n_compared = int((elem_wr & ~elem_unst).sum())
    check = ArrayCheck(
        name=name,
        dtype=str(exp.dtype),
        passed=n_bad == 0,
        elements=n_elems,
        checked=n_elems - n_unst,
        unstable=n_unst,
        bad=n_bad,
        max_abs_err=float(np.max(np.where(unst, 0.0, diff), initial=0.0)),
        max_ulp=float(np.max(ulps, initial=0.0)),
        written=n_written,
        compared=n_compared,
    )
    if size:
        flat = int(np.argmax(score))
        idx = np.unravel_index(flat, exp.shape)
        elem_idx = idx[: exp.ndim - elem_ndim] if elem_ndim else idx
        check.worst_index = [int(i) for i in elem_idx]
        check.observed = _to_py(obs[elem_idx])
        check.expected = _to_py(exp[elem_idx])
        check.tolerance = float(tol[idx])
    return check


def check_device(
    device: str,
    observed: dict[str, np.ndarray],
    expected: dict[str, np.ndarray],
    error_bound: dict[str, np.ndarray],
    unstable: dict[str, np.ndarray],
    elem_ndims: dict[str, int],
    policy: TolerancePolicy,
    written: dict[str, np.ndarray] | None = None,
) -> DeviceCheck:
    """Compare every array the oracle reports; an array missing on either side fails. With
    `written` (OracleResult.written) every ArrayCheck carries its written/compared counts."""
    arrays = []
    for name in sorted(set(expected) | set(observed)):
        if name not in observed or name not in expected:
            side = "device" if name not in observed else "oracle"
            arrays.append(ArrayCheck(name, "?", False, 0, 0, 0, 1, observed=f"missing on {side}"))
            continue
        arrays.append(
            compare_array(
                name,
                observed[name],
                expected[name],
                error_bound.get(name),
                unstable.get(name),
                policy,
                elem_ndims.get(name, 0),
                None if written is None else written.get(name),
            )
        )
    return DeviceCheck(device, all(a.passed for a in arrays), arrays, policy.describe())


def unstable_fraction(checks: list[DeviceCheck]) -> float:
    """Share of written elements skipped as unstable (over every check's written arrays; arrays
    without a write record count all their elements): a check that skipped most verified little."""
    total = unst = 0
    for c in checks:
        for a in c.arrays:
            if a.written is None or a.compared is None:
                total, unst = total + a.elements, unst + a.unstable
            else:
                total, unst = total + a.written, unst + a.written - a.compared
    return unst / total if total else 0.0


class Evidence(Enum):
    """Why a comparison with no mismatch does or does not verify a case."""

    COMPARED = "compared"  # every written array had enough compared written elements
    NOTHING_WRITTEN = "nothing_written"  # the launch wrote no element at all
    TOO_UNSTABLE = "too_unstable"  # some written array had too few compared elements
    UNKNOWN = "unknown"  # a check without the oracle's write record


@dataclass(frozen=True)
class Decision:
    """The judge's verdict for one case, with where it arose and what to tell the user."""

    verdict: Verdict
    stage: Stage = Stage.NONE
    device: str = ""
    message: str = ""
    evidence: Evidence | None = None


def evidence(check: DeviceCheck, policy: TolerancePolicy) -> tuple[Evidence, str]:
    """Did this check compare enough *written* elements? Per written array: at least one, and at
    least (1 - max_unstable_fraction) of them. Read-only arrays never count."""
    if any(a.written is None or a.compared is None for a in check.arrays):
        return Evidence.UNKNOWN, f"{check.device}: no record of which elements the launch wrote"
    out = [a for a in check.arrays if a.written]
    if not out:
        return Evidence.NOTHING_WRITTEN, "the launch writes no element of any array: nothing to compare"
    need = 1.0 - policy.max_unstable_fraction
    for a in out:
        assert a.written is not None and a.compared is not None
        if a.compared == 0 or a.compared < need * a.written:
            return Evidence.TOO_UNSTABLE, (
                f"{a.name}: {a.compared} of {a.written} written elements compared "
                f"({a.written - a.compared} unstable under rounding)"
            )
    return Evidence.COMPARED, ""


def decide(checks: list[DeviceCheck], policy: TolerancePolicy) -> Decision:
    """Verdict over all checks of a case: the first failing check is a mismatch; otherwise every
    device-vs-oracle check must have compared its written elements (see `evidence`), else the case
    is inconclusive. Device-pair checks (`cpu~cuda`) can fail a case but are not evidence."""
    failing = [c for c in checks if not c.passed]
    if failing:
        c = failing[0]
        a = c.failing()[0]
        what = "≠".join(c.device.split("~")) if "~" in c.device else f"{c.device}≠oracle"
        return Decision(
            Verdict.MISMATCH,
            Stage.JUDGE,
            "+".join(x.device for x in failing),
            f"{what}: {a.name}{a.worst_index} observed {a.observed} expected {a.expected} "
            f"(|err| {a.max_abs_err:.3g}, tolerance {a.tolerance:.3g}; {a.bad}/{a.elements} elements differ)",
        )
    direct = [c for c in checks if "~" not in c.device]
    if not direct:
        return Decision(
            Verdict.INCONCLUSIVE, Stage.JUDGE, "", "no device was compared with the oracle", Evidence.UNKNOWN
        )
    for c in direct:
        ev, why = evidence(c, policy)
        if ev is not Evidence.COMPARED:
            return Decision(Verdict.INCONCLUSIVE, Stage.JUDGE, c.device, f"{why}; nothing verified", ev)
    return Decision(Verdict.VERIFIED, evidence=Evidence.COMPARED)


@dataclass
class Judgement:
    """Everything the judge concludes about one case's forward outputs: the decision and the
    per-device (and device-pair) checks it rests on."""

    decision: Decision
    checks: list[DeviceCheck]
    unstable_fraction: float

    @property
    def verdict(self) -> Verdict:
        return Verdict(self.decision.verdict)


def judge_case(
    observed: Mapping[str, Mapping[str, np.ndarray]],
    oracle_result: OracleResult,
    elem_ndims: Mapping[str, int],
    policy: TolerancePolicy,
) -> Judgement:
    """The forward verdict of one case from every device's outputs (`observed`, by device in
    launch order) and the oracle's result.

    Each device is compared with the oracle under `policy`; with CPU and CUDA outputs, each CUDA
    device is also compared with the CPU, allowing both sides their oracle tolerance (the policy's
    safety and floor doubled). `decide` turns the checks into the verdict."""
    elem = dict(elem_ndims)
    orc = oracle_result
    checks = [
        check_device(dev, dict(out), orc.arrays, orc.error_bound, orc.unstable, elem, policy, orc.written)
        for dev, out in observed.items()
    ]
    cuda_devs = [d for d in observed if d.startswith("cuda")]
    if "cpu" in observed and cuda_devs:
        pair_policy = TolerancePolicy(safety=2 * policy.safety, floor_ulps=2 * policy.floor_ulps)
        for cd in cuda_devs:
            checks.append(
                check_device(
                    f"cpu~{cd}",
                    dict(observed[cd]),
                    dict(observed["cpu"]),
                    orc.error_bound,
                    orc.unstable,
                    elem,
                    pair_policy,
                    orc.written,
                )
            )
    return Judgement(decide(checks, policy), checks, unstable_fraction(checks))


@dataclass
class SettingJudgement:
    """What the judge concludes about one case under one swept point: None when the point agrees
    with the baseline (and the oracle), else the setting_mismatch decision; the checks it rests
    on (device texts "<device>@<point>" against the baseline, "<device>@<point>~oracle")."""

    decision: Decision | None
    checks: list[DeviceCheck]


def judge_setting(
    point: str,
    tolerance: SweepTolerance,
    baseline: Mapping[str, Mapping[str, np.ndarray]],
    swept: Mapping[str, Mapping[str, np.ndarray]],
    oracle_result: OracleResult,
    elem_ndims: Mapping[str, int],
    policy: TolerancePolicy,
) -> SettingJudgement:
    """Does a baseline-verified case's output under the swept `point` (`swept`, by device) agree
    with the baseline's on the same device, within the point's tolerance (`sweep.SweepTolerance`:
    integers and booleans bit exact, floats the pair policy of `judge_case` or the fast-math
    budget)? A point that must not change results must also still agree with the oracle under
    `policy`. Unstable elements are skipped as everywhere. The first difference is blamed on the
    point: "max_unroll=0 on cpu: out[3] 1.0 != baseline 2.0" (then a line of detail)."""
    orc = oracle_result
    elem = dict(elem_ndims)
    pol = TolerancePolicy(
        safety=tolerance.safety_scale * policy.safety,
        floor_ulps=tolerance.floor_scale * policy.floor_ulps,
        max_unstable_fraction=policy.max_unstable_fraction,
    )
    checks: list[DeviceCheck] = []
    decision: Decision | None = None
    for dev, out in swept.items():
        base = baseline[dev]
        bound = dict(orc.error_bound)
        unstable = dict(orc.unstable)
        for name, b in base.items():
            arr = np.asarray(b)
            if arr.dtype.kind != "f":
                continue
            if tolerance.abs_floor or tolerance.scale_floor:
                eb = orc.error_bound.get(name)
                eb = np.zeros(arr.shape) if eb is None else np.broadcast_to(eb, arr.shape)
                finite = np.abs(arr[np.isfinite(arr)])
                scale = float(finite.max()) if finite.size else 0.0
                bound[name] = eb + (tolerance.abs_floor + tolerance.scale_floor * scale) / pol.safety
            if tolerance.skip_nonfinite:
                un = orc.unstable.get(name)
                un = np.zeros(arr.shape, bool) if un is None else np.broadcast_to(un, arr.shape)
                unstable[name] = un | ~np.isfinite(arr)
        with np.errstate(over="ignore"):  # ulp counts of huge differences overflow to inf: fine
            vs_base = check_device(
                f"{dev}@{point}", dict(out), dict(base), bound, unstable, elem, pol, orc.written
            )
        vs_base.tolerance_rule = tolerance.describe()
        checks.append(vs_base)
        vs_oracle = None
        if tolerance.oracle:
            vs_oracle = check_device(
                f"{dev}@{point}~oracle",
                dict(out),
                orc.arrays,
                orc.error_bound,
                orc.unstable,
                elem,
                policy,
                orc.written,
            )
            checks.append(vs_oracle)
        if decision is not None:
            continue
        for check, against in ((vs_base, "baseline"), (vs_oracle, "oracle")):
            if check is None or check.passed:
                continue
            a = check.failing()[0]
            decision = Decision(
                Verdict.SETTING_MISMATCH,
                Stage.JUDGE,
                dev,
                f"{point} on {dev}: {a.name}{a.worst_index} {a.observed} != {against} {a.expected}\n"
                f"(|err| {a.max_abs_err:.3g}, tolerance {a.tolerance:.3g}; {a.bad}/{a.elements} elements "
                f"differ; {check.tolerance_rule})",
            )
            break
    return SettingJudgement(decision, checks)


def judge_gradients(checks: Sequence[GradientCheck]) -> Decision:
    """The backward verdict of a forward-verified case: the first device whose gradient check is
    a mismatch makes it a gradient mismatch; otherwise it stays verified."""
    bad = first_mismatch(list(checks))
    if bad is None:
        return Decision(Verdict.VERIFIED, evidence=Evidence.COMPARED)
    return Decision(
        Verdict.GRADIENT_MISMATCH, Stage.GRADIENT, bad.device, f"{bad.device} backward: {bad.message}"
    )
