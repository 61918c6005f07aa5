"""Mutation self-test of the oracle + judge: can the checker tell a wrong kernel from a right one?

For each generated kernel we make one semantic mutant (operator swap, comparison flip, constant
change, index shift, a stored value made to hang on a rounding tie, or a custom adjoint made
wrong) on its libcst tree, run the *mutant* on the device and judge it against the oracle's
result for the *original* (an adjoint mutant: with backward code, by the gradient check). A mutant whose
own oracle result equals the original's on every element is equivalent (no checker could kill it)
and is counted apart; the kill rate is over the others, including mutants that differ only where
an oracle result is unstable: those still run, and one that is not killed counts against the rate
(status `unstable_only`). A survivor means the tolerance or the instability rules hid a change.
"""

from __future__ import annotations

import ast
import random
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import libcst as cst
import numpy as np
from libcst.metadata import MetadataWrapper, PositionProvider

from fuzz.engine.result import CaseResult
from fuzz.engine.runner import BatchRunner
from fuzz.engine.settings import WorkerSettings
from fuzz.engine.verdict import Verdict
from grammar.case import MODULE_HEADER, KernelCase

KINDS = ("operator", "comparison", "constant", "index", "unstable", "adjoint")
# `adjoint`: a @wp.func_grad term scaled by ADJOINT_SCALE or dropped, or a @wp.func_replay's value
# scaled. The forward is unchanged (the oracle reads no adjoint), so such a mutant is never
# equivalent by its oracle result: it runs with backward code and only the gradient check can kill it.
ADJOINT = "adjoint"
ADJOINT_SCALE = "1.001"
ADJOINT_SHARE = 0.5  # a kernel with adjoint sites draws the adjoint kind this often
_FLOAT32 = ("wp.float32", "float")  # array dtypes whose stored values the "unstable" kind wraps
MAX_WHILE = 2000  # while-loop iterations the oracle allows a mutant (then: draw another mutation)

# Replacement operators per operator class: same operand types, so the mutant still type-checks.
_BINOPS: dict[type[cst.BaseBinaryOp], tuple[type[cst.BaseBinaryOp], ...]] = {
    cst.Add: (cst.Subtract, cst.Multiply),
    cst.Subtract: (cst.Add, cst.Multiply),
    cst.Multiply: (cst.Add, cst.Subtract, cst.Divide),
    cst.Divide: (cst.Multiply, cst.Subtract),
    cst.FloorDivide: (cst.Divide, cst.Modulo),
    cst.Modulo: (cst.FloorDivide, cst.Subtract),
    cst.Power: (cst.Multiply,),
    cst.BitAnd: (cst.BitOr, cst.BitXor),
    cst.BitOr: (cst.BitAnd, cst.BitXor),
    cst.BitXor: (cst.BitAnd, cst.BitOr),
    cst.LeftShift: (cst.RightShift,),
    cst.RightShift: (cst.LeftShift,),
}
_AUGOPS: dict[type[cst.BaseAugOp], tuple[type[cst.BaseAugOp], ...]] = {
    cst.AddAssign: (cst.SubtractAssign, cst.MultiplyAssign),
    cst.SubtractAssign: (cst.AddAssign,),
    cst.MultiplyAssign: (cst.DivideAssign, cst.AddAssign),
    cst.DivideAssign: (cst.MultiplyAssign,),
    cst.BitAndAssign: (cst.BitOrAssign,),
    cst.BitOrAssign: (cst.BitXorAssign,),
    cst.BitXorAssign: (cst.BitAndAssign,),
}
_CMPOPS: dict[type[cst.BaseCompOp], tuple[type[cst.BaseCompOp], ...]] = {
    cst.LessThan: (cst.LessThanEqual, cst.GreaterThanEqual),
    cst.LessThanEqual: (cst.LessThan, cst.GreaterThan),
    cst.GreaterThan: (cst.GreaterThanEqual, cst.LessThanEqual),
    cst.GreaterThanEqual: (cst.GreaterThan, cst.LessThan),
    cst.Equal: (cst.NotEqual,),
    cst.NotEqual: (cst.Equal,),
}
_ARRAY_ANN = ("array", "array1d", "array2d", "array3d")


@dataclass(frozen=True)
class Mutation:
    """One edit: its kind, source line, and the code before/after (the smallest changed node)."""

    kind: str
    line: int
    before: str
    after: str

    def describe(self) -> str:
        return f"{self.kind} line {self.line}: `{self.before}` -> `{self.after}`"


@dataclass
class _Site:
    kind: str
    node: cst.CSTNode
    line: int
    options: list[cst.CSTNode]


def _code(node: cst.CSTNode) -> str:
    return cst.Module(body=[]).code_for_node(node)


def _float32_arrays(fn: cst.FunctionDef) -> set[str]:
    """Array parameters whose dtype is float32."""
    out: set[str] = set()
    for p in fn.params.params:
        ann = p.annotation.annotation if p.annotation else None
        if (
            isinstance(ann, cst.Call)
            and isinstance(ann.func, cst.Attribute)
            and ann.func.attr.value in _ARRAY_ANN
        ):
            for a in ann.args:
                if a.keyword and a.keyword.value == "dtype" and _code(a.value) in _FLOAT32:
                    out.add(p.name.value)
        elif (  # the subscript form, wp.array[wp.float32]
            isinstance(ann, cst.Subscript)
            and isinstance(ann.value, cst.Attribute)
            and ann.value.attr.value in _ARRAY_ANN
            and len(ann.slice) == 1
            and isinstance(ann.slice[0].slice, cst.Index)
            and _code(ann.slice[0].slice.value) in _FLOAT32
        ):
            out.add(p.name.value)
    return out


def _tied(value: cst.BaseExpression) -> cst.BaseExpression:
    """`v` -> a value that differs from v whichever way a comparison tied within rounding goes
    (sqrt(w)^2 against w): the mutant's oracle marks it unstable, yet it is wrong on every lane."""
    v = f"({_code(value)})"
    w = f"({v} * {v} + 1.0)"
    return cst.parse_expression(
        f"wp.where(wp.sqrt({w}) * wp.sqrt({w}) >= {w}, {v} * 2.0 + 1.0, {v} * 2.0 + 2.0)"
    )


def _array_params(fn: cst.FunctionDef) -> dict[str, int]:
    """Kernel/func parameters annotated as Warp arrays -> ndim."""
    out: dict[str, int] = {}
    for p in fn.params.params:
        ann = p.annotation.annotation if p.annotation else None
        if isinstance(ann, cst.Subscript) and isinstance(ann.value, cst.Attribute):  # wp.array2d[T]
            if ann.value.attr.value in _ARRAY_ANN:
                sub = ann.value.attr.value
                out[p.name.value] = 1 if sub in ("array", "array1d") else int(sub[5])
            continue
        if not isinstance(ann, cst.Call) or not isinstance(ann.func, cst.Attribute):
            continue
        name = ann.func.attr.value
        if name not in _ARRAY_ANN:
            continue
        nd = 1 if name in ("array", "array1d") else int(name[5])
        for a in ann.args:
            if a.keyword and a.keyword.value == "ndim" and isinstance(a.value, cst.Integer):
                nd = int(a.value.value)
        out[p.name.value] = nd
    return out


def _custom_adjoint(fn: cst.FunctionDef) -> str | None:
    """The decorator kind, func_grad or func_replay, of a custom adjoint definition; else None."""
    for d in fn.decorators:
        dec = d.decorator
        head = dec.func if isinstance(dec, cst.Call) else dec
        if isinstance(head, cst.Attribute) and head.attr.value in ("func_grad", "func_replay"):
            return head.attr.value
    return None


def _has_backward(source: str) -> bool:
    """Whether some kernel of the module keeps backward code (not `@wp.kernel(enable_backward=False)`)."""
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.FunctionDef):
            continue
        for d in node.decorator_list:
            head = d.func if isinstance(d, ast.Call) else d
            if not (isinstance(head, ast.Attribute) and head.attr == "kernel"):
                continue
            off = isinstance(d, ast.Call) and any(
                k.arg == "enable_backward" and isinstance(k.value, ast.Constant) and k.value.value is False
                for k in d.keywords
            )
            if not off:
                return True
    return False


def _scaled(value: cst.BaseExpression) -> cst.BaseExpression:
    return cst.parse_expression(f"({_code(value)}) * {ADJOINT_SCALE}")


def _float_variants(x: float) -> list[float]:
    """Non-negative replacements (a literal's sign lives in a unary minus around it)."""
    vals = [x + 1.0, x * 2.0, x * 0.5] if x != 0.0 else [0.5, 1.0]
    return [v for v in vals if v != x and v >= 0.0]


class _SiteCollector(cst.CSTVisitor):
    """Mutation sites inside function bodies (never in annotations, decorators or structs)."""

    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self) -> None:
        self.sites: list[_Site] = []
        self._arrays: list[dict[str, int]] = []
        self._float32: list[set[str]] = []
        self._shape_depth = 0

    def _line(self, node: cst.CSTNode) -> int:
        return int(self.get_metadata(PositionProvider, node).start.line)

    def _add(self, kind: str, node: cst.CSTNode, options: list[cst.CSTNode]) -> None:
        if self._arrays and options:
            self.sites.append(_Site(kind, node, self._line(node), options))

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        custom = _custom_adjoint(node)
        if custom is not None:
            self._arrays.append({})  # `_add` records sites inside function bodies only
            self._adjoint_sites(node, custom)
            self._arrays.pop()
            return False
        self._arrays.append(_array_params(node))
        self._float32.append(_float32_arrays(node))
        node.body.visit(self)
        self._arrays.pop()
        self._float32.pop()
        return False

    def _adjoint_sites(self, node: cst.FunctionDef, kind: str) -> None:
        """func_grad: each `wp.adjoint[x] += e` scaled (`(e) * 1.0001`) or, with more than one,
        dropped; func_replay: each returned value scaled."""
        stmts = [s for line in node.body.body if isinstance(line, cst.SimpleStatementLine) for s in line.body]
        if kind == "func_grad":
            terms = [
                s for s in stmts if isinstance(s, cst.AugAssign) and _code(s.target).startswith("wp.adjoint[")
            ]
            for t in terms:
                opts: list[cst.CSTNode] = [t.with_changes(value=_scaled(t.value))]
                if len(terms) > 1:
                    opts.append(cst.Pass())
                self._add(ADJOINT, t, opts)
        else:
            for r in stmts:
                if isinstance(r, cst.Return) and r.value is not None:
                    self._add(ADJOINT, r, [r.with_changes(value=_scaled(r.value))])

    def visit_Assign(self, node: cst.Assign) -> None:
        """`a[...] = v` into a float32 array -> `a[...] = <v made to hang on a rounding tie>`."""
        if len(node.targets) != 1 or not self._float32:
            return
        t = node.targets[0].target
        if not (
            isinstance(t, cst.Subscript)
            and isinstance(t.value, cst.Name)
            and t.value.value in self._float32[-1]
        ):
            return
        if "atomic" in _code(node.value):  # the value is evaluated several times: no side effects
            return
        self._add("unstable", node, [node.with_changes(value=_tied(node.value))])

    def visit_BinaryOperation(self, node: cst.BinaryOperation) -> None:
        alts = _BINOPS.get(type(node.operator), ())
        self._add("operator", node, [node.with_changes(operator=a()) for a in alts])

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        alts = _AUGOPS.get(type(node.operator), ())
        self._add("operator", node, [node.with_changes(operator=a()) for a in alts])

    def visit_BooleanOperation(self, node: cst.BooleanOperation) -> None:
        alt: cst.BaseBooleanOp = cst.Or() if isinstance(node.operator, cst.And) else cst.And()
        self._add("operator", node, [node.with_changes(operator=alt)])

    def visit_Comparison(self, node: cst.Comparison) -> None:
        opts: list[cst.CSTNode] = []
        for k, target in enumerate(node.comparisons):
            for a in _CMPOPS.get(type(target.operator), ()):
                comps = list(node.comparisons)
                comps[k] = target.with_changes(operator=a())
                opts.append(node.with_changes(comparisons=comps))
        self._add("comparison", node, opts)

    def visit_Integer(self, node: cst.Integer) -> None:
        if self._shape_depth:
            return
        v = int(node.value, 0)
        self._add("constant", node, [cst.Integer(str(x)) for x in (v + 1, v - 1) if x >= 0])

    def visit_Float(self, node: cst.Float) -> None:
        self._add("constant", node, [cst.Float(repr(x)) for x in _float_variants(float(node.value))])

    def visit_Subscript(self, node: cst.Subscript) -> None:
        base = node.value
        if isinstance(base, cst.Attribute) and base.attr.value == "shape":
            self._shape_depth += 1
            return
        if not (self._arrays and isinstance(base, cst.Name) and base.value in self._arrays[-1]):
            return
        opts: list[cst.CSTNode] = []
        for ax, el in enumerate(node.slice):
            if not isinstance(el.slice, cst.Index):
                continue
            shifted = cst.parse_expression(f"(({_code(el.slice.value)}) + 1) % {base.value}.shape[{ax}]")
            new_slice = list(node.slice)
            new_slice[ax] = el.with_changes(slice=cst.Index(shifted))
            opts.append(node.with_changes(slice=new_slice))
        self._add("index", node, opts)

    def leave_Subscript(self, original_node: cst.Subscript) -> None:
        base = original_node.value
        if isinstance(base, cst.Attribute) and base.attr.value == "shape":
            self._shape_depth -= 1


def mutation_candidates(source: str, rng: random.Random) -> Iterator[tuple[Mutation, str]]:
    """Every (mutation, mutated source) of `source`, in a random order drawn from `rng`: a kind
    first (so rare kinds are not drowned by constants), then a site, then a replacement."""
    wrapper = MetadataWrapper(cst.parse_module(source))
    col = _SiteCollector()
    wrapper.visit(col)
    module = wrapper.module
    if not _has_backward(source):  # adjoint mutants of kernels without backward code are equivalent
        col.sites = [s for s in col.sites if s.kind != ADJOINT]
    pairs = [(s, o) for s in col.sites for o in s.options]
    by_kind: dict[str, list[tuple[_Site, cst.CSTNode]]] = {}
    for s, o in pairs:
        by_kind.setdefault(s.kind, []).append((s, o))
    for lst in by_kind.values():
        rng.shuffle(lst)
    while by_kind:
        kind = rng.choice(sorted(by_kind))
        if ADJOINT in by_kind and kind != ADJOINT and rng.random() < ADJOINT_SHARE:
            kind = ADJOINT  # kernels without custom adjoints draw exactly as before
        site, opt = by_kind[kind].pop()
        if not by_kind[kind]:
            del by_kind[kind]
        new = module.deep_replace(site.node, opt)
        assert isinstance(new, cst.Module)
        yield Mutation(site.kind, site.line, _code(site.node), _code(opt)), new.code


# ------------------------------------------------------------------ equivalence


def oracle_difference(orig: Any, mut: Any) -> tuple[int, int, float, float]:
    """(elements differing on stable elements, differing where only the mutant's result is
    unstable, max |diff|, max |diff| / (bound_orig + bound_mut) over the stable differing elements).

    Stable means: not unstable in the original's oracle result nor in the mutant's. A difference
    where the *original* is unstable is no test (the judge skips those elements by design); one
    where only the mutant is unstable is (the judge compares it with the original's value). NaN equals
    NaN and 0.0 equals -0.0 (the judge cannot tell them apart either). A ratio <= 1 means the two
    results agree within the oracle's own rounding bounds: a mutant equivalent in exact arithmetic
    (a reordered sum), which no rounding-aware checker can kill."""
    stable_diff = unstable_diff = 0
    worst = ratio = 0.0
    for name, a in orig.arrays.items():
        b = mut.arrays.get(name)
        if b is None or b.shape != a.shape:
            stable_diff += int(a.size)
            ratio = np.inf
            continue
        with np.errstate(all="ignore"):
            a64, b64 = a.astype(np.float64), b.astype(np.float64)
            same = (a64 == b64) | (np.isnan(a64) & np.isnan(b64))
            if not np.issubdtype(a.dtype, np.floating):
                same = a == b
            unst = orig.unstable[name] | mut.unstable[name]
            diff = ~same & ~unst
            stable_diff += int(diff.sum())
            unstable_diff += int((~same & mut.unstable[name] & ~orig.unstable[name]).sum())
            d = np.abs(a64 - b64)[diff]
            d = np.where(np.isnan(d), np.inf, d)
            if d.size:
                worst = max(worst, float(d.max()))
                bound = (orig.error_bound[name] + mut.error_bound[name])[diff]
                r = np.where(d == 0, 0.0, np.where(bound > 0, d / np.where(bound > 0, bound, 1.0), np.inf))
                ratio = max(ratio, float(r.max()))
    return stable_diff, unstable_diff, worst, ratio


# ------------------------------------------------------------------ records


@dataclass
class MutantOutcome:
    """One mutant and what the checker said about it.

    status: "killed", "survived", "equivalent" (same oracle result on every element),
    "unstable_only" (differs only on elements an oracle result marks unstable, and the run did not
    kill it: counted as not killed), or "invalid" (the mutant did not compile or launch, or the
    oracle refused the original: not a test of the checker)."""

    seed: int
    kernel_name: str
    family: str
    mutation: Mutation
    status: str
    verdict: str = ""
    message: str = ""
    oracle_diff_elements: int = 0
    oracle_max_diff: float = 0.0
    oracle_diff_over_bound: float = 0.0  # <= 1: the results agree within the oracle's bounds
    max_abs_err: float = 0.0
    tolerance: float = 0.0
    source: str = ""  # the original kernel (the generator changes; seeds alone do not replay)
    mutant_source: str = ""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class SelftestReport:
    outcomes: list[MutantOutcome] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)  # kernels without a usable mutant, by why
    equivalent_draws: int = 0  # equivalent mutations redrawn (see live_tries)
    stage_seconds: dict[str, float] = field(default_factory=dict)

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def judged(self) -> int:
        """Mutants the rate is over: killed, survived, and the unstable-only ones not killed."""
        return self.count("killed") + self.count("survived") + self.count("unstable_only")

    @property
    def kill_rate(self) -> float:
        return self.count("killed") / self.judged if self.judged else 0.0

    def survivors(self) -> list[MutantOutcome]:
        """Every judged mutant that was not killed (unstable-only ones included)."""
        return [o for o in self.outcomes if o.status in ("survived", "unstable_only")]

    def by_kind(self) -> dict[str, tuple[int, int]]:
        """kind -> (killed, judged)."""
        out: dict[str, tuple[int, int]] = {}
        for o in self.outcomes:
            if o.status in ("killed", "survived", "unstable_only"):
                k, n = out.get(o.mutation.kind, (0, 0))
                out[o.mutation.kind] = (k + (o.status == "killed"), n + 1)
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "mutants": len(self.outcomes),
            "statuses": dict(Counter(o.status for o in self.outcomes)),
            "kill_rate": self.kill_rate,
            "by_kind": {k: {"killed": a, "judged": b} for k, (a, b) in self.by_kind().items()},
            "skipped_kernels": dict(self.skipped),
            "equivalent_draws_redrawn": self.equivalent_draws,
            "survivors": [o.to_json() for o in self.survivors()],
            "outcomes": [o.to_json() for o in self.outcomes],
            "stage_seconds": self.stage_seconds,
        }


# ------------------------------------------------------------------ running


@dataclass
class PlannedMutant:
    original: KernelCase
    mutant: KernelCase
    mutation: Mutation
    diff: tuple[int, int, float, float]


def plan_mutant(
    case: KernelCase,
    orig: Any,
    evaluate: Callable[[str], Any],
    rng: random.Random,
    live_tries: int = 1,
    max_tries: int = 40,
) -> tuple[Mutation, str, tuple[int, int, float, float], int] | str:
    """Draw mutations of `case` until one is interpretable by the oracle without UB and differs
    from the original `orig` on a stable element (at most `live_tries` valid draws; the last
    valid one is kept even when equivalent). Returns (mutation, source, oracle difference,
    equivalent draws discarded) or the reason there is none. `evaluate(source)` runs the oracle
    on the case's inputs."""
    import oracle

    last = "no mutation site"
    kept: tuple[Mutation, str, tuple[int, int, float, float], int] | None = None
    valid = 0
    for k, (mut, src) in enumerate(mutation_candidates(case.source, rng)):
        if k >= max_tries or valid >= live_tries:
            break
        try:
            res = evaluate(src)
        except oracle.UndefinedBehavior:
            last = "mutants have UB"
            continue
        except oracle.Unsupported:
            last = "mutants unsupported by the oracle"
            continue
        diff = oracle_difference(orig, res)
        kept = (mut, src, diff, valid)
        valid += 1
        if _live(mut, diff):
            break
    if kept is None:
        return f"no valid mutant in {max_tries} tries ({last})" if last != "no mutation site" else last
    return kept


def _live(mutation: Mutation, diff: tuple[int, int, float, float]) -> bool:
    """Whether the mutant can be killed: its oracle result differs, or it changes an adjoint."""
    return diff[0] > 0 or diff[1] > 0 or mutation.kind == ADJOINT


def run_selftest(
    n_mutants: int,
    seed: int,
    settings: WorkerSettings,
    work_dir: str,
    batch: int = 25,
    gen: Callable[[int], KernelCase] | None = None,
    live_tries: int = 1,
    log: Callable[[str], None] | None = None,
) -> SelftestReport:
    """Mutate kernels from seeds seed, seed+1, ... until `n_mutants` valid mutants exist (one per
    kernel; up to `live_tries` draws per kernel to find a non-equivalent one), run them in
    batches (devices run the mutant, the oracle reads the original) and classify each (see MutantOutcome)."""
    import time

    import grammar
    import oracle

    gen = gen or (lambda s: grammar.generate(s))
    report = SelftestReport()
    t0 = time.perf_counter()
    planned: list[PlannedMutant] = []
    s = seed
    max_seed = seed + 20 * n_mutants + 100
    while len(planned) < n_mutants and s < max_seed:
        case = gen(s)
        s += 1
        inputs = grammar.make_inputs(case)

        def evaluate(src: str, case: KernelCase = case, inputs: dict[str, Any] = inputs) -> Any:
            # a mutated loop condition can make a while loop endless: give up early on those
            return oracle.evaluate(
                MODULE_HEADER + src, case.kernel_name, inputs, case.dim, max_while_iterations=MAX_WHILE
            )

        try:
            orig = evaluate(case.source)
        except (oracle.Unsupported, oracle.UndefinedBehavior) as e:
            report.skipped[f"original: {type(e).__name__}"] += 1
            continue
        got = plan_mutant(case, orig, evaluate, random.Random(case.seed * 7919 + 17), live_tries)
        if isinstance(got, str):
            report.skipped[got] += 1
            continue
        mutation, src, diff, discarded = got
        report.equivalent_draws += discarded
        mutant = KernelCase(
            case.kernel_name, src, case.family, case.seed, case.generator_version, case.params, case.dim,
            case.constructs,
        )  # fmt: skip
        planned.append(PlannedMutant(case, mutant, mutation, diff))
        if log and len(planned) % 50 == 0:
            log(f"{len(planned)}/{n_mutants} mutants planned (seed {s - 1})")
    report.stage_seconds["plan"] = time.perf_counter() - t0
    if len(planned) < n_mutants and log:
        log(f"only {len(planned)} mutants from seeds {seed}..{s - 1}")

    to_run = [p for p in planned if _live(p.mutation, p.diff)]
    for p in planned:
        if not _live(p.mutation, p.diff):
            report.outcomes.append(_outcome(p, "equivalent"))
    # the devices run the mutant while the oracle reads the original (same name, same parameters,
    # so the same inputs): a verified mutant is a fault the check missed. Adjoint mutants need
    # backward code and the gradient check, whatever the forward mutants run with.
    backward = replace(settings, enable_backward=True, gradients=True)
    groups = [
        (settings, [p for p in to_run if p.mutation.kind != ADJOINT]),
        (backward, [p for p in to_run if p.mutation.kind == ADJOINT]),
    ]
    done = 0
    for group_settings, group in groups:
        runner = BatchRunner(group_settings, work_dir, tag="st")
        for i in range(0, len(group), batch):
            chunk = group[i : i + batch]
            results, secs = runner.run([p.mutant for p in chunk], oracle_cases=[p.original for p in chunk])
            for k, v in secs.items():
                report.stage_seconds[k] = report.stage_seconds.get(k, 0.0) + v
            for p, r in zip(chunk, results, strict=True):
                report.outcomes.append(classify_run(p, r))
            done += len(chunk)
            if log:
                log(f"{done}/{len(to_run)} non-equivalent mutants run")
    report.outcomes.sort(key=lambda o: o.seed)
    report.stage_seconds["total"] = time.perf_counter() - t0
    return report


def _outcome(p: PlannedMutant, status: str) -> MutantOutcome:
    return MutantOutcome(
        p.original.seed, p.original.kernel_name, p.original.family, p.mutation, status,
        oracle_diff_elements=p.diff[0], oracle_max_diff=p.diff[2], oracle_diff_over_bound=p.diff[3],
        source=p.original.source, mutant_source=p.mutant.source,
    )  # fmt: skip


def classify_run(p: PlannedMutant, r: CaseResult) -> MutantOutcome:
    o = _outcome(p, "killed")
    o.verdict, o.message = r.verdict, r.message
    if r.verdict == Verdict.MISMATCH or (
        p.mutation.kind == ADJOINT and r.verdict == Verdict.GRADIENT_MISMATCH
    ):
        o.status = "killed"
    elif r.verdict in (Verdict.VERIFIED, Verdict.INCONCLUSIVE):
        o.status = "survived" if p.diff[0] > 0 or p.mutation.kind == ADJOINT else "unstable_only"
    else:
        o.status = "invalid"  # compile/launch failure of the mutant, or an internal error
    worst = 0.0
    for c in r.checks:
        for a in c.get("arrays", []):
            if a["max_abs_err"] >= worst:
                worst = a["max_abs_err"]
                o.max_abs_err, o.tolerance = float(a["max_abs_err"]), float(a["tolerance"])
    if p.mutation.kind == ADJOINT:  # what the gradient check measured is what decided
        for g in r.gradient_check[:1]:
            o.max_abs_err, o.tolerance = float(g.get("error", 0.0)), float(g.get("tolerance", 0.0))
            o.message = f"gradient {g.get('status')}: {g.get('message', '')}"
    return o


def format_report(rep: SelftestReport) -> str:
    lines = [
        f"mutants: {len(rep.outcomes)}  "
        + "  ".join(f"{k}: {v}" for k, v in sorted(Counter(o.status for o in rep.outcomes).items())),
        f"kill rate: {rep.count('killed')}/{rep.judged} = {100 * rep.kill_rate:.1f} % "
        "(over non-equivalent mutants; unstable-only mutants that were not killed count as survivors)",
        "by kind: " + ", ".join(f"{k} {a}/{b}" for k, (a, b) in sorted(rep.by_kind().items())),
    ]
    if rep.equivalent_draws:
        lines.append(f"equivalent mutations redrawn: {rep.equivalent_draws}")
    if rep.skipped:
        lines.append("kernels without a mutant: " + ", ".join(f"{k}: {v}" for k, v in rep.skipped.items()))
    surv = rep.survivors()
    if surv:
        lines.append("survivors:")
        for o in surv:
            if o.mutation.kind == ADJOINT:
                lines.append(
                    f"  seed {o.seed} ({o.family}) {o.mutation.describe()}: verdict {o.verdict}, "
                    f"gradient error {o.max_abs_err:.3g} vs tolerance {o.tolerance:.3g} [{o.message}]"
                )
                continue
            lines.append(
                f"  seed {o.seed} ({o.family}) {o.mutation.describe()}: verdict {o.verdict}, "
                f"oracle(mutant) differs on {o.oracle_diff_elements} elements by up to {o.oracle_max_diff:.3g}; "
                f"device max err {o.max_abs_err:.3g} vs tolerance {o.tolerance:.3g}; "
                + (
                    "within the oracle's rounding bounds (equivalent in exact arithmetic)"
                    if o.oracle_diff_over_bound <= 1
                    else f"{o.oracle_diff_over_bound:.3g}x the summed oracle bounds"
                )
                + (f" [{o.message}]" if o.message else "")
            )
    inval = [o for o in rep.outcomes if o.status == "invalid"]
    for o in inval[:10]:
        lines.append(f"  invalid: seed {o.seed} {o.mutation.describe()}: {o.verdict} {o.message[:200]}")
    return "\n".join(lines)
