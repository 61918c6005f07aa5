"""Known differences: documented Warp behaviours and known gaps, so a finding they explain is
labelled instead of reported as new.

Each entry says how to recognise it (stage, the signature constructs that mark it, and either
the gradient check's confirmed known gap or its screened limitation), which releases it affects,
where upstream documents it, and its label. A gradient finding gets a gap entry's label only when
the gradient check's known-gap re-check confirmed it (`GradientCheck.known_gaps`: the mismatch
vanished against a reference without the term Warp drops), never from its constructs alone; a
construct match without that confirmation is reported as `candidates`, not as the label.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from corpus.patterns import matches
from fuzz.engine.result import CaseResult
from fuzz.engine.signature import all_constructs, signature_of


class KnownKind(StrEnum):
    """A gap computes something other than the documented meaning; a limitation is documented
    as unsupported (the gradient check screens it: `unsupported`, never a mismatch)."""

    GAP = "gap"
    LIMITATION = "limitation"


def _release(v: str) -> tuple[int, ...]:
    return tuple(int(p) for p in v.split(".")[:3] if p.isdigit())


def release_key(v: str) -> tuple[int, ...]:
    """A release as a sortable tuple ("1.12.0" -> (1, 12, 0))."""
    return _release(v)


@dataclass(frozen=True)
class KnownEntry:
    """One known difference. gap: a `fuzz.engine.gradients.DEFAULT_GAPS` name; limitation: a
    `fuzz.engine.gradients.Limitation` value. fixed_in: first release without it (None: still open
    on every release checked, `checked_on`)."""

    label: str
    kind: KnownKind
    title: str
    stage: str
    constructs: tuple[str, ...]
    reference: str
    checked_on: tuple[str, ...]
    fixed_in: str | None = None
    gap: str = ""
    limitation: str = ""
    # matching a reduced kernel (`match_reduced`): the verdict, the first affected release, and a
    # shape its constructs cannot say (a `corpus.patterns.PATTERNS` name)
    verdict: str = ""
    introduced_in: str | None = None
    pattern: str = ""
    message: str = ""  # text the failure's message must hold (a compile error's own words)
    # a PATTERNS name that must hold too, without making the match one by shape (a float value for
    # the NaN min/max entry: a weaker sign than a pattern, so a shape entry still outranks it)
    guard: str = ""
    # further (stage, verdict) pairs one root cause shows as (a wrong loop count is a mismatch
    # where it ends, a timeout where it does not, a crash where it corrupts memory)
    also: tuple[tuple[str, str], ...] = ()

    def affects(self, warp_version: str) -> bool:
        v = _release(warp_version)
        if self.introduced_in and v < _release(self.introduced_in):
            return False
        return self.fixed_in is None or v < _release(self.fixed_in)

    def releases(self) -> str:
        seen = ", ".join(self.checked_on)
        since = f"{self.introduced_in} to " if self.introduced_in else ""
        if self.fixed_in:
            return (
                f"{since}before {self.fixed_in}; fixed in {self.fixed_in}"
                if since
                else f"fixed in {self.fixed_in}"
            )
        return f"open (seen on {seen})"

    def matches_reduced(self, stage: str, verdict: str, constructs: set[str], source: str, kernel_name: str,
                        warp_version: str, confirmed: set[str], message: str = "") -> bool:  # fmt: skip
        """Whether this entry explains a reduced kernel's failure. A gradient gap needs the
        gradient check's known-gap re-check (`confirmed` labels); a limitation is screened as
        unsupported, never a failure; any other entry needs its stage, verdict, a marking
        construct (when it lists any), its pattern (when it names one) and an affected release."""
        own = self.stage == stage and (not self.verdict or self.verdict == verdict)
        if not own and (stage, verdict) not in self.also:
            return False
        # a reduced kernel holds only what its failure needs: a gap confirmed on the original
        # (`wp.frac` and `%` in one kernel) is not this kernel's cause once its construct is gone
        limitation = self.kind is KnownKind.LIMITATION
        if not limitation and self.constructs and not constructs & set(self.constructs):
            return False
        if self.gap or limitation:
            return self.label in confirmed
        if self.pattern and not matches(self.pattern, source, kernel_name):
            return False
        if self.guard and not matches(self.guard, source, kernel_name):
            return False
        if self.message and self.message not in message:
            return False
        return not warp_version or self.affects(warp_version)

    def to_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "kind": str(self.kind),
            "title": self.title,
            "stage": self.stage,
            "constructs": list(self.constructs),
            "releases": self.releases(),
            "reference": self.reference,
            "fixed_in": self.fixed_in,
            "introduced_in": self.introduced_in,
            "checked_on": list(self.checked_on),
        }


@dataclass(frozen=True)
class KnownTable:
    """The table, looked up by label, by a gradient check's record, or by a whole result."""

    entries: tuple[KnownEntry, ...]

    def get(self, label: str) -> KnownEntry:
        for e in self.entries:
            if e.label == label:
                return e
        raise KeyError(f"no known difference labelled {label!r}; labels: {[e.label for e in self.entries]}")

    def for_check(self, check: dict[str, Any]) -> list[KnownEntry]:
        """Entries one `GradientCheck.to_json()` record confirms: its known gaps for a mismatch,
        its screened limitation for `unsupported`."""
        status = check.get("status")
        if status == "mismatch":
            gaps = set(check.get("known_gaps") or [])
            return [e for e in self.entries if e.gap and e.gap in gaps]
        if status == "unsupported":
            lim = check.get("limitation") or ""
            return [e for e in self.entries if e.limitation and e.limitation == lim]
        return []

    def candidates(
        self, constructs: tuple[str, ...] | list[str], stage: str = "gradient"
    ) -> list[KnownEntry]:
        """Entries whose marking constructs appear (a hint to check, not a label)."""
        have = set(constructs)
        return [e for e in self.entries if e.stage == stage and have & set(e.constructs)]

    def match_reduced(
        self, result: CaseResult, warp_version: str = "", labels: tuple[str, ...] = ()
    ) -> list[KnownEntry]:
        """Entries that explain a reduced failure, matched against its kernel: gradient gaps
        confirmed by its check's re-check (or named by `labels`: its meta.json `known.label`,
        set from such a re-check when it was saved), forward entries by stage, verdict,
        constructs, pattern and release (see `KnownEntry.matches_reduced`). Entries matched by a
        construct name alone are dropped when one matched by its shape, its message or a re-check
        does."""
        sig = signature_of(result)
        case = result.case or {}
        source = str(case.get("source", ""))
        kname = str(case.get("kernel_name", result.kernel_name))
        # every construct of the reduced kernel: it holds only what the failure needs, and the
        # differing path's slice can miss a condition's operator (`if i or bump(acc, i)` writes
        # acc through the `or`, which the slice of acc does not list)
        have = set(sig.constructs) | set(all_constructs(source, kname))
        confirmed = {e.label for e in self.label_result(result)} | set(labels)
        hits = [
            e for e in self.entries
            if e.matches_reduced(sig.stage, result.verdict, have, source, kname, warp_version, confirmed,
                                 result.message)  # fmt: skip
        ]  # fmt: skip
        # an entry matched by its shape (pattern or message) or confirmed by the gradient
        # re-check says more than one matched by a construct name alone: a reduced kernel that
        # still holds a `clamp` the reduction could not remove is not also a NaN-min/max finding
        strong = [e for e in hits if e.pattern or e.message or e.gap or e.kind is KnownKind.LIMITATION]
        return strong or hits

    def label_result(self, result: CaseResult, warp_version: str = "") -> list[KnownEntry]:
        """Entries that explain a gradient finding: every failing device's check must confirm
        the same entries (a gap seen on CPU does not explain a different CUDA difference)."""
        if result.verdict != "gradient_mismatch":
            return []
        checks = [c for c in result.gradient_check or [] if c.get("status") == "mismatch"]
        if not checks:
            return []
        labels = [{e.label for e in self.for_check(c)} for c in checks]
        common = set.intersection(*labels)
        hits = [e for e in self.entries if e.label in common]
        return [e for e in hits if not warp_version or e.affects(warp_version)]

    def label_by_message(self, result: CaseResult, warp_version: str = "") -> list[KnownEntry]:
        """Entries that explain a failure not reduced yet by its own words: an entry with a
        `message` (a compile error's text) that `KnownEntry.matches_reduced` accepts on the whole
        kernel (stage, verdict, pattern somewhere in it, affected release). Only message entries:
        a construct or pattern alone in an unreduced kernel does not say it caused the failure;
        an error's own words do."""
        sig = signature_of(result)
        case = result.case or {}
        source = str(case.get("source", ""))
        kname = str(case.get("kernel_name", result.kernel_name))
        have = set(sig.constructs) | set(all_constructs(source, kname))
        msg = result.message or ""
        return [
            e for e in self.entries
            if e.message and not e.gap and e.kind is not KnownKind.LIMITATION
            and e.matches_reduced(sig.stage, result.verdict, have, source, kname, warp_version, set(), msg)
        ]  # fmt: skip

    def meta_for(self, result: CaseResult, warp_version: str = "") -> dict[str, Any] | None:
        """The corpus meta.json `known` block for a finding the table explains, else None
        (status in corpus/seeds' vocabulary: a gap is a Warp bug, a limitation documented)."""
        hits = self.label_result(result, warp_version)
        if not hits:
            return None
        return {
            "status": "warp-bug" if any(e.kind is KnownKind.GAP for e in hits) else "documented",
            "label": "+".join(e.label for e in hits),
            "issue": None,
            "note": "; ".join(f"{e.title} ({e.reference}; {e.releases()})" for e in hits)
            + ". Confirmed by the gradient check's known-gap re-check: the difference vanishes "
            "against a reference without the term Warp drops.",
            "entries": [e.to_json() for e in hits],
        }


_DIFF = "docs/user_guide/differentiability.rst"
_LIMITS = f"Warp {_DIFF}, Limitations and Workarounds"

KNOWN = KnownTable(
    (
        KnownEntry(
            "frac-missing-adjoint",
            KnownKind.GAP,
            "wp.frac has an empty adjoint: d frac(x)/dx = 1 between integers is dropped (Warp gives 0)",
            "gradient",
            ("frac",),
            "warp/native/builtin.h adj_frac (MISSINGADJOINT: 'gradient is 1 between integers'); "
            "corpus/seeds/frac-missing-adjoint",
            ("1.19.0",),
            gap="frac-derivative",
        ),
        KnownEntry(
            "mod-divisor-adjoint",
            KnownKind.GAP,
            "float a % b: adj_mod propagates only to a; d fmod(a, b)/db = -trunc(a/b) is dropped",
            "gradient",
            ("Mod",),
            "warp/native/builtin.h adj_mod (float: 'adj_a += adj_ret')",
            ("1.19.0",),
            gap="mod-divisor",
        ),
        KnownEntry(
            "component-overwrite",
            KnownKind.LIMITATION,
            "re-assigning a component of a local vector/matrix/quaternion (v[1] = e, v.x = e, m[1][1] = e; "
            "in-place *= /=) with wp.config.enable_vector_component_overwrites off: the overwritten "
            "component's adjoint still flows",
            "gradient",
            ("assign_inplace",),
            f"{_LIMITS}: Vector, Matrix, and Quaternion Component Assignment; "
            "wp.config.enable_vector_component_overwrites",
            ("1.19.0",),
            limitation="component-overwrite",
        ),
        KnownEntry(
            "inplace-mul-div",
            KnownKind.LIMITATION,
            "in-place multiplication or division of an array element (a[i] *= e, a[i] /= e)",
            "gradient",
            ("Mult", "Div"),
            f"{_LIMITS}: In-Place Math Operations",
            ("1.19.0",),
            limitation="inplace-mul-div",
        ),
        KnownEntry(
            "dynamic-loop",
            KnownKind.LIMITATION,
            "dynamic loops (while, or range not unrolled) are not replayed in the backward pass",
            "gradient",
            ("While", "For"),
            f"{_LIMITS}: Dynamic Loops",
            ("1.19.0",),
            limitation="dynamic-loop",
        ),
        KnownEntry(
            "array-overwrite",
            KnownKind.LIMITATION,
            "an array the kernel reads is overwritten in the same launch: the backward pass reads the new values",
            "gradient",
            (),
            f"Warp {_DIFF}: Array Overwrites (wp.config.verify_autograd_array_access)",
            ("1.19.0",),
            limitation="array-overwrite",
        ),
        KnownEntry(
            "order-dependent-atomic",
            KnownKind.LIMITATION,
            "float atomic_min/max/cas/exch: result and adjoint depend on thread order",
            "gradient",
            ("atomic_min", "atomic_max", "atomic_cas", "atomic_exch"),
            "thread-order dependence (DESIGN.md, Wave 2 notes)",
            ("1.19.0",),
            limitation="order-dependent-atomic",
        ),
        KnownEntry(
            "grad-forward-only",
            KnownKind.LIMITATION,
            "wp.grad(f)(x) in a kernel or wp.func (outside @wp.func_grad) does not take part in the backward pass",
            "gradient",
            ("grad",),
            f"Warp {_DIFF}: Gradient Functions, Usage Contexts and Limitations",
            ("1.19.0",),
            limitation="grad-forward-only",
        ),
        KnownEntry(
            "geometry",
            KnownKind.LIMITATION,
            "a kernel querying a mesh, hash grid, BVH or volume: its gradient is not checked (finite "
            "differences move query points across faces, cells and boxes; the objects' own points are "
            "not kernel arrays), so such a kernel is screened, never reported",
            "gradient",
            ("mesh_query_point", "mesh_query_ray", "hash_grid_query", "bvh_query_aabb", "volume_sample_f"),
            "this fuzzer's gradient screen (fuzz/engine/gradients.py, Limitation.GEOMETRY), not a Warp "
            "limitation: Warp differentiates mesh queries with respect to query points",
            ("1.19.0",),
            limitation="geometry",
        ),
        KnownEntry(
            "atomic-result",
            KnownKind.LIMITATION,
            "the value returned by an atomic (wp.atomic_add(...) used in an expression, any dtype) is "
            "not reproduced by the backward pass's replay: gradients through it are wrong without a "
            "@wp.func_replay",
            "gradient",
            (),
            f"Warp {_DIFF}: Custom Replay Function ('the index returned by the adjoint of "
            "wp.atomic_add() is always zero')",
            ("1.19.0",),
            limitation="atomic-result",
        ),
        KnownEntry(
            "negation-loses-zero-sign",
            KnownKind.GAP,
            "unary minus of a float computed at run time is neg(x) = T(0) - x: -(+0.0) is +0.0, "
            "not -0.0 (atan2(-a, -2.0) at a = 0 is +pi instead of -pi; 1/-a is +inf)",
            "judge",
            ("USub",),
            "warp/native/builtin.h neg(); corpus/seeds/negation-loses-zero-sign (no upstream issue found)",
            ("1.19.0",),
            verdict="mismatch",
            pattern="negated-value",
        ),
        KnownEntry(
            "struct-field-component-adjoint",
            KnownKind.GAP,
            "writing one component of a vector field of a local struct (s.v[2] = a[i], s.v[2] += a[i], "
            "t.s.v[0] += e): the backward pass drops that component's adjoint (d out/d a is 0 where it "
            "is 1); a local vector's w[2] += a[i] and a scalar field's s.f += a[i] are right",
            "gradient",
            (),
            "docs/grammar.md (Found: two adjoints Warp 1.19.0 drops; the repro there); differentiability.rst "
            "documents a single component assignment of a local vector as differentiable (no upstream issue found)",
            ("1.19.0",),
            verdict="gradient_mismatch",
            pattern="struct-field-component-store",
        ),
        KnownEntry(
            "loop-break-adjoint",
            KnownKind.GAP,
            "a loop whose body breaks (for k in range(3): ...; if c: break): Warp does not unroll it, and "
            "its adjoint runs over the whole range in reverse and stops at the first break it meets, so "
            "the iterations the forward pass ran lose their adjoint (wp.atomic_add(acc, i, a[i]); break "
            "in the first iteration: d acc/d a is 0 where it is 1)",
            "gradient",
            (),
            "found here (tests/test_known_patterns.py measures it); related: NVIDIA/warp#1552 (continue "
            "in dynamic loops); warp/_src/codegen.py contains_break",
            ("1.19.0",),
            verdict="gradient_mismatch",
            pattern="break-in-loop",
        ),
        KnownEntry(
            "slerp-zero-rotation-adjoint",
            KnownKind.GAP,
            "wp.quat_slerp(q0, q1, t) where q1 is q0's orientation (zero relative rotation): "
            "quat_to_axis_angle normalizes a zero vector, and the adjoint drops d/dq1 (Warp 0, the "
            "smooth function's derivative is not 0); matched by construct, so any quat_slerp gradient "
            "finding carries this label until a value-level check tells them apart",
            "gradient",
            ("quat_slerp",),
            "warp/native/quat.h adj_quat_slerp / quat_to_axis_angle; tests/test_known_patterns.py "
            "measures it (no upstream issue found)",
            ("1.19.0",),
            verdict="gradient_mismatch",
        ),
        # fixed Warp bugs the regression seeds (corpus/seeds/*) pin; windows found by `bisect`
        KnownEntry(
            "overwritten-store-adjoint",
            KnownKind.GAP,
            "an array element stored twice (out[i] = a[i]; out[i] = c): the backward pass still "
            "propagates out's adjoint into a through the overwritten store",
            "gradient",
            (),
            "corpus/seeds/overwritten-store-adjoint (bisect: fails 1.10.0-1.12.1, passes from 1.13.0)",
            ("1.10.0", "1.10.1", "1.12.0", "1.12.1", "1.13.0"),
            fixed_in="1.13.0",
            verdict="gradient_mismatch",
            pattern="overwritten-store",
        ),
        KnownEntry(
            "float64-literal-via-float32",
            KnownKind.GAP,
            "a float64 literal (wp.float64(0.1), in a vec3d constructor) is rounded through float32",
            "judge",
            ("float64",),
            "corpus/seeds/float64-literal-via-float32 (bisect: fails 1.10.0-1.12.0, passes from 1.12.1)",
            ("1.10.0", "1.10.1", "1.12.0", "1.12.1"),
            fixed_in="1.12.1",
            verdict="mismatch",
        ),
        KnownEntry(
            "int64-literal-emitted-as-int32",
            KnownKind.GAP,
            "an int64/uint64 literal beyond 32 bits is emitted as an int32 constant, then widened",
            "judge",
            ("int64", "uint64"),
            "corpus/seeds/int64-literal-emitted-as-int32 (bisect: fails 1.10.0-1.12.0, passes from 1.12.1)",
            ("1.10.0", "1.10.1", "1.12.0", "1.12.1"),
            fixed_in="1.12.1",
            verdict="mismatch",
            pattern="wide-int-literal",
        ),
        KnownEntry(
            "ternary-int-condition",
            KnownKind.GAP,
            "`x if c else y` with an integer condition picks the wrong branch",
            "judge",
            ("IfExp",),
            "corpus/seeds/ternary-int-condition (bisect: fails 1.10.0-1.11.0, passes from 1.11.1)",
            ("1.10.0", "1.10.1", "1.11.0", "1.11.1"),
            fixed_in="1.11.1",
            verdict="mismatch",
            pattern="int-condition-ifexp",
        ),
        # found by campaigns on old releases, bisected over the cached venvs
        KnownEntry(
            "ifexp-shared-element-adjoint",
            KnownKind.GAP,
            "a ternary whose branch reads an array element the kernel also reads elsewhere "
            "(a[i] + (a[i] if c else 0.0)): the backward pass drops adjoints through the ternary",
            "gradient",
            ("IfExp",),
            "NVIDIA/warp#1736 'ternary operator on the same array poisons gradients' (closed); bisect of "
            "1.12.0 campaign seed 500186: fails 1.12.0-1.16.0, passes from 1.17.0",
            ("1.12.0", "1.13.0", "1.14.0", "1.15.0", "1.16.0", "1.17.0", "1.18.0", "1.19.0"),
            fixed_in="1.17.0",
            verdict="gradient_mismatch",
            pattern="ifexp-shared-element",
        ),
        KnownEntry(
            "component-augassign-reference",
            KnownKind.GAP,
            "`op=` on a component of an array element or struct field (a[i][1] += e, s.v[0] += e) "
            "fails in code generation: 'Reference' object has no attribute '_wp_scalar_type_'",
            "compile:cpu",
            (),
            "docs/versions.md, Found on old releases (bisect of 1.12.0 campaign findings: fails 1.10.1-1.14.0, "
            "compiles and runs from 1.15.0)",
            ("1.10.1", "1.12.0", "1.13.0", "1.14.0", "1.15.0", "1.16.0", "1.17.0", "1.18.0", "1.19.0"),
            fixed_in="1.15.0",
            verdict="compile_error",
            pattern="component-augassign",
            message="'Reference' object has no attribute '_wp_scalar_type_'",
        ),
        KnownEntry(
            "augassign-call-order",
            KnownKind.GAP,
            "`a[f(acc)] op= g(acc)` with calls that change memory in both the index and the value: "
            "evaluated in another order than Python's (target index first, then the value)",
            "judge",
            (),
            "docs/versions.md, Found on old releases (bisect of 1.12.0 campaign findings: fails 1.10.1-1.17.0, "
            "passes from 1.18.0)",
            ("1.10.1", "1.12.0", "1.13.0", "1.14.0", "1.15.0", "1.16.0", "1.17.0", "1.18.0", "1.19.0"),
            fixed_in="1.18.0",
            verdict="mismatch",
            pattern="augassign-call-index",
        ),
        KnownEntry(
            "augassign-index-evaluated-twice",
            KnownKind.GAP,
            "`a[f(acc)] op= e` (a call that changes memory in the index only) evaluates the index twice, "
            "once to load and once to store: `out[bump(acc, i, 3) % 4] *= 0.5` bumps acc twice",
            "judge",
            (),
            "1.10.1 campaign seed 1500002, reduced; bisect: fails 1.10.1-1.12.0, passes from 1.13.0",
            ("1.10.1", "1.11.0", "1.12.0", "1.13.0", "1.19.0"),
            fixed_in="1.13.0",
            verdict="mismatch",
            pattern="augassign-call-index-twice",
        ),
        KnownEntry(
            "augassign-random-call",
            KnownKind.GAP,
            "`v += wp.randi(state, 0, 2)` (a random draw in an augmented assignment's value) gives another "
            "number than `v = v + wp.randi(state, 0, 2)`: the state is advanced once more before the draw",
            "judge",
            (),
            "1.10.1 campaign seeds 1500088 (sample_unit_square), 1500218 (randi), reduced; bisect: fails "
            "1.10.1-1.11.1, passes from 1.12.0; the two forms checked side by side on 1.10.1 and 1.12.0",
            ("1.10.1", "1.11.0", "1.11.1", "1.12.0", "1.13.0", "1.19.0"),
            fixed_in="1.12.0",
            verdict="mismatch",
            pattern="augassign-random-call",
        ),
        KnownEntry(
            "ifexp-constant-branch",
            KnownKind.GAP,
            "`float(0 if a2[i] <= 2.0 else a1[8])`: a ternary with a literal branch and an array-element "
            "branch yields an unrelated value (1575370752.0 for 0)",
            "judge",
            ("IfExp",),
            "1.10.1 campaign seed 1500225, reduced; bisect: fails 1.10.1-1.11.0, passes from 1.11.1 (the "
            "release that fixed ternary-int-condition; not shown to be the same fix)",
            ("1.10.1", "1.11.0", "1.11.1", "1.12.0", "1.13.0", "1.19.0"),
            fixed_in="1.11.1",
            verdict="mismatch",
            pattern="ifexp-constant-branch",
        ),
        KnownEntry(
            "tile-indexed-negative-index",
            KnownKind.GAP,
            "an index below zero in tile_load_indexed / tile_store_indexed / tile_atomic_add_indexed "
            "(the generator's -1 padding sentinel): from 1.16.0 it reads zero and skips the store; "
            "before, only indices past the end are skipped, so -1 reads or writes out of bounds "
            "(garbage values, or a corrupted heap and an abort)",
            "judge",
            ("tile_load_indexed", "tile_store_indexed", "tile_atomic_add_indexed"),
            "warp/native/tile.h compute_index: `index_along_axis < 0` checked from 1.16.0 (read in the "
            "1.12.0-1.18.0 wheels); Warp's tile_load_indexed doc: a -1 index acts as a padding sentinel",
            ("1.12.0", "1.13.0", "1.14.0", "1.15.0", "1.16.0", "1.19.0"),
            fixed_in="1.16.0",
            verdict="mismatch",
            also=(("worker", "crash"),),
        ),
        KnownEntry(
            "for-var-while-counter",
            KnownKind.GAP,
            "a `for` loop's variable reused after it as a `while` counter (`for k in range(4): ...; "
            "k = 0; while k < n: k += 1`): the `while` test keeps reading the loop's variable, so it "
            "runs the wrong number of times, forever (1.13-1.15) or corrupts memory (1.12)",
            "judge",
            (),
            "NVIDIA/warp#1534; bisect of the 1.12.0 campaign's crash (seed 500051, reduced): crash on "
            "1.12.0, no end on 1.13.0-1.15.0, verified from 1.16.0; the issue's kernel gives 0 instead "
            "of 31 on 1.12.0-1.15.0",
            ("1.10.1", "1.12.0", "1.13.0", "1.14.0", "1.15.0", "1.16.0", "1.17.0", "1.18.0", "1.19.0"),
            fixed_in="1.16.0",
            verdict="mismatch",
            pattern="for-var-while-counter",
            also=(("worker", "crash"), ("worker", "timeout")),
        ),
        KnownEntry(
            "cuda-mesh-bvh-query-shared-stack",
            KnownKind.GAP,
            "a mesh query (mesh_query_aabb/_sphere) and a BVH query (bvh_query_aabb/_ray/...) in one "
            "kernel do not build for CUDA: each kind declares its own static __shared__ traversal "
            "stack of 32 x block_dim ints, 64 KiB together at the default block of 256 threads, above "
            "the 48 KiB static limit (ptxas: 'uses too much shared data'); the kernel runs on CPU. A "
            "regression: 1.10.1-1.14.0 build it, 1.15.0-1.19.0 do not (corpus seed's repro.py, AOT NVRTC sm_90)",
            "compile:cuda",
            (),
            "docs/versions.md, Found on 1.19.0 (H200 campaign seeds 900390, 900690, reduced); warp/native/"
            "bvh.h bvh_query and mesh.h mesh_query_shared_stack; related NVIDIA/warp#1258, #1845",
            ("1.10.1", "1.12.0", "1.13.0", "1.14.0", "1.15.0", "1.16.0", "1.17.0", "1.18.0", "1.19.0"),
            verdict="compile_error",
            introduced_in="1.15.0",
            pattern="mesh-and-bvh-query",
        ),
        # semantics that changed: generated on every release (grammar/gates.py `semantic` gates)
        KnownEntry(
            "eager-and-or",
            KnownKind.GAP,
            "`a and b` / `a or b` evaluate both operands (a side-effecting right operand runs anyway)",
            "judge",
            ("And", "Or"),
            "grammar/gates.py probe short_circuit_boolops (short-circuit from 1.13.0)",
            ("1.19.0",),
            fixed_in="1.13.0",
            verdict="mismatch",
        ),
        KnownEntry(
            "int-floordiv-truncates",
            KnownKind.GAP,
            "integer `//` truncates toward zero (-7 // 2 == -3) instead of flooring like Python",
            "judge",
            ("FloorDiv",),
            "grammar/gates.py probe int_floordiv_floors (floors from 1.18.0)",
            ("1.19.0",),
            fixed_in="1.18.0",
            verdict="mismatch",
        ),
        KnownEntry(
            "quat-twist-angle-acos",
            KnownKind.GAP,
            "wp.quat_twist_angle as 2 * acos(w) of the twist quaternion: for small angles w rounds "
            "toward 1 in float32 and the angle loses most of its digits (0.027474 for 0.027482)",
            "judge",
            ("quat_twist_angle",),
            "NVIDIA/warp#1631 (Stabilize quat_twist_angle near zero); 1.12.0 campaign seed 500340, reduced; "
            "bisect: fails 1.12.0-1.15.0, passes from 1.16.0",
            ("1.12.0", "1.13.0", "1.14.0", "1.15.0", "1.16.0", "1.17.0", "1.18.0", "1.19.0"),
            fixed_in="1.16.0",
            verdict="mismatch",
        ),
        KnownEntry(
            "nan-blind-min-max",
            KnownKind.GAP,
            "float wp.min/max/clamp as `a < b ? a : b`: a NaN first operand yields the second one, "
            "not C fmin/fmax's non-NaN operand",
            "judge",
            ("min", "max", "clamp"),
            "Warp CHANGELOG 1.14.0, Fixed: NaN-as-missing min/max/clamp (GH-1376)",
            ("1.19.0",),
            fixed_in="1.14.0",
            verdict="mismatch",
            guard="float-min-max",
        ),
        KnownEntry(
            "fast-math-discontinuity",
            KnownKind.GAP,
            "fast_math=True changes a result by a whole step where a float meets a discontinuity "
            "(a comparison, // or %, floor/frac/step, an int conversion): CUDA's --use_fast_math "
            "divides and takes square roots and intrinsics approximately and flushes subnormals to "
            "zero (-1e-40 < 0 is false), so a value at the jump lands on its other side. Documented "
            "fast-math behaviour, not a Warp bug; a finding without such a point is not this",
            "judge",
            (),  # the guard names the constructs, with a float operand (float_discontinuity)
            "CUDA C++ Programming Guide, Mathematical Functions (intrinsics and -use_fast_math: "
            "-ftz=true -prec-div=false -prec-sqrt=false); 1.19.0 CPU+CUDA sweep on an H200, seeds "
            "2100035, 2100111, 2100166, 2100235 (docs/settings-sweep.md)",
            ("1.19.0",),
            verdict="setting_mismatch",
            message="fast_math=True on cuda",
            guard="float-discontinuity",
        ),
    )
)
