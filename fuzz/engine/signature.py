"""Failure signatures: what makes two failing cases "the same bug" (and lets a reduction keep it).

A signature is (stage, device pair, verdict, kind, constructs):
- stage: where the verdict arose ("compile:cpu", "judge", "worker", ...);
- device pair: "cpu~oracle", "cpu~cuda", or the single device of a compile/launch failure;
- kind: for a mismatch, the dtype and nature of each differing array ("float32:value",
  "int32:nan"); for an error, the exception type plus its reason with seed-specific text
  (kernel names `k_<seed>`, generated variable names, numbers, paths) normalised away;
- constructs: the builtins and operators on the path that differs: the backward slice of the
  differing arrays for a mismatch, the statement named by the error for a compile error or UB,
  the whole kernel otherwise.

Seed-specific text never enters a signature, so duplicates group. A reducer keeps a candidate
when stage, device pair, verdict and kind are equal and its constructs are a subset of the
original's (`same_failure`): a reduction can only remove constructs, never slip to another bug.
"""

from __future__ import annotations

import ast
import hashlib
import re
from dataclasses import dataclass
from typing import Any

from fuzz.engine.result import CaseResult
from oracle.closures import factory_kernels
from oracle.types import wp_attr

BARE_CALLS = frozenset({"int", "float", "range", "len"})
# first-line header Warp puts before a codegen error; the reason follows the last "\n;"
_WARP_PARSE = re.compile(r'Error while parsing function "(?P<fn>[^"]+)" at (?P<file>.*?):(?P<line>\d+):')
_ORACLE_LINE = re.compile(r"\bline (?P<line>\d+):")
MODULE_HEADER_LINES = 2  # grammar.case.MODULE_HEADER is "import warp as wp\n\n"


def failure_bucket(stage: str, devices: str, verdict: str, kind: str) -> str:
    """The grouping string of a failure without its constructs or shape (Signature and
    corpus.rootcause.RootKey share it)."""
    return "|".join((stage, devices, verdict, kind))


def key_digest(key: str) -> str:
    """Short stable hash of a grouping key, for folder names and tables."""
    return hashlib.sha1(key.encode()).hexdigest()[:10]


@dataclass(frozen=True)
class Signature:
    """Identity of a failure; `key()` is the grouping string, `bucket()` the same without constructs."""

    stage: str
    devices: str
    verdict: str
    kind: str
    constructs: tuple[str, ...] = ()
    # what a reduction must keep but grouping ignores: for a gradient mismatch, the input array
    # whose gradient is wrong and the sign of Warp's error ("input=a1", "sign=-")
    cause: tuple[str, ...] = ()

    def bucket(self) -> str:
        return failure_bucket(self.stage, self.devices, self.verdict, self.kind)

    def key(self) -> str:
        return self.bucket() + "|" + ",".join(self.constructs)

    def digest(self) -> str:
        """Short stable hash of `key()`, for folder names and tables."""
        return key_digest(self.key())

    def to_json(self) -> dict[str, Any]:
        return {
            "stage": self.stage,
            "devices": self.devices,
            "verdict": self.verdict,
            "kind": self.kind,
            "constructs": list(self.constructs),
            "cause": list(self.cause),
            "key": self.key(),
            "digest": self.digest(),
        }

    @staticmethod
    def from_json(d: dict[str, Any]) -> Signature:
        return Signature(
            d["stage"],
            d["devices"],
            d["verdict"],
            d["kind"],
            tuple(d.get("constructs", ())),
            tuple(d.get("cause", ())),
        )


def same_failure(original: Signature, candidate: Signature) -> bool:
    """The reduction criterion: same failure kind, constructs only removed, never added, and
    every part of the original's cause kept (a gradient mismatch stays at the same input with the
    same sign of error; the candidate must name it too)."""
    if original.bucket() != candidate.bucket() or not set(candidate.constructs) <= set(original.constructs):
        return False
    return set(original.cause) <= set(candidate.cause)


def with_cause(target: Signature, reproduced: Signature) -> Signature:
    """A target recorded before causes were (an older meta.json): take the cause its first
    reproduction shows, so the reduction keeps it from then on."""
    if target.cause or not reproduced.cause:
        return target
    return Signature(
        target.stage, target.devices, target.verdict, target.kind, target.constructs, reproduced.cause
    )


# ---------------------------------------------------------------- message normalisation


def normalize_text(text: str) -> str:
    """Remove seed-specific text: kernel/helper names, generated variable names, numbers, paths."""
    t = re.sub(r"(/[^\s:\"']+)+\.(py|cpp|cu|h|o|so)\b", "FILE", text)
    t = re.sub(r"\bk_\d+\w*", "K", t)
    t = re.sub(r"\bwf_\w+", "MOD", t)
    t = re.sub(r"0x[0-9a-fA-F]+", "ADDR", t)
    t = re.sub(r"\b(?!(?:float|int|uint|bfloat|vec|mat|quat|sm)\d)([A-Za-z]+)\d+\b", r"\1#", t)  # v12 -> v#
    t = re.sub(r"(?<![\w#])[-+]?\d+(\.\d+)?([eE][-+]?\d+)?", "N", t)
    return re.sub(r"\s+", " ", t).strip()


def error_kind(message: str) -> str:
    """Exception type plus the normalised reason of an error message."""
    if not message:
        return ""
    first, _, rest = message.partition("\n")
    etype = first.split(":", 1)[0] if ":" in first and " " not in first.split(":", 1)[0] else ""
    reason = first
    if "\n;" in message:  # Warp codegen error: the reason follows the source line
        reason = message.rsplit("\n;", 1)[1].splitlines()[0]
    elif etype:
        reason = first.split(":", 1)[1]
    reason = normalize_text(reason)[:160]
    return f"{etype}: {reason}" if etype else reason


# ---------------------------------------------------------------- constructs on the path


def _root_name(node: ast.AST) -> str | None:
    while isinstance(node, ast.Subscript | ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _array_args(fn: ast.FunctionDef | None) -> frozenset[str]:
    """Parameters annotated `wp.array(...)`: subscripts on anything else are composites."""
    if fn is None:
        return frozenset()
    return frozenset(
        a.arg
        for a in fn.args.args
        if isinstance(a.annotation, ast.Call | ast.Subscript)  # wp.array(dtype=T) or wp.array[T]
        and isinstance(
            head := a.annotation.func if isinstance(a.annotation, ast.Call) else a.annotation.value,
            ast.Attribute,
        )
        and head.attr.startswith("array")
    )


def _component_store(n: ast.AST, arrays: frozenset[str]) -> bool:
    """`v[1] = e`, `v.x = e`, `m[1][1] = e` (and augmented forms) on a local composite."""
    store = isinstance(n, ast.Subscript) or (isinstance(n, ast.Attribute) and n.attr in ("x", "y", "z", "w"))
    if not store or not isinstance(getattr(n, "ctx", None), ast.Store):
        return False
    root = _root_name(n)
    return root is not None and root not in arrays


def _expr_constructs(
    node: ast.AST,
    found: set[str],
    helpers: dict[str, ast.FunctionDef],
    seen: set[str],
    arrays: frozenset[str] = frozenset(),
) -> None:
    for n in ast.walk(node):
        if _component_store(n, arrays):
            found.add("assign_inplace")  # grammar.constructs' name for a component write
        if isinstance(n, ast.Call):
            f = n.func
            if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id == "wp":
                found.add(f.attr)
            elif isinstance(f, ast.Name) and f.id in BARE_CALLS:
                found.add(f.id)
            elif isinstance(f, ast.Name) and f.id in helpers:
                found.add("func")
                if f.id not in seen:
                    seen.add(f.id)
                    for stmt in helpers[f.id].body:
                        _expr_constructs(stmt, found, helpers, seen, _array_args(helpers[f.id]))
        elif isinstance(n, ast.BinOp | ast.UnaryOp | ast.BoolOp | ast.AugAssign):
            found.add(type(n.op).__name__)
        elif isinstance(n, ast.Compare):
            found.update(type(o).__name__ for o in n.ops)
        elif isinstance(n, ast.IfExp):
            found.add("IfExp")
        elif isinstance(n, ast.For | ast.While | ast.If | ast.Break | ast.Continue | ast.Return):
            found.add(type(n).__name__)


@dataclass
class _Stmt:
    node: ast.stmt
    parts: list[ast.AST]  # the expressions this statement evaluates (not its nested body)
    defs: set[str]
    uses: set[str]
    controls: list[_Stmt]  # enclosing if/for/while headers


def _names(nodes: list[ast.AST]) -> set[str]:
    return {n.id for p in nodes for n in ast.walk(p) if isinstance(n, ast.Name)}


def _flatten(body: list[ast.stmt], controls: list[_Stmt], out: list[_Stmt]) -> None:
    for s in body:
        if isinstance(s, ast.If | ast.While):
            head = _Stmt(s, [s.test], set(), _names([s.test]), list(controls))
            out.append(head)
            _flatten(s.body + s.orelse, [*controls, head], out)
        elif isinstance(s, ast.For):
            head = _Stmt(s, [s.iter], _names([s.target]), _names([s.iter]), list(controls))
            out.append(head)
            _flatten(s.body + s.orelse, [*controls, head], out)
        else:
            defs: set[str] = set()
            if isinstance(s, ast.Assign):
                defs = {r for t in s.targets if (r := _root_name(t))}
            elif isinstance(s, ast.AugAssign | ast.AnnAssign):
                r = _root_name(s.target)
                defs = {r} if r else set()
            elif isinstance(s, ast.Expr) and isinstance(s.value, ast.Call) and s.value.args:
                # wp.atomic_add(arr, i, v) and friends write their first argument
                r = _root_name(s.value.args[0])
                defs = {r} if r else set()
            uses = _names([s])
            if isinstance(s, ast.AugAssign):
                uses |= defs
            out.append(_Stmt(s, [s], defs, uses, list(controls)))


def _is_kernel_def(fn: ast.FunctionDef) -> bool:
    return any(wp_attr(d.func if isinstance(d, ast.Call) else d) == "kernel" for d in fn.decorator_list)


def parse_kernel(source: str, kernel_name: str) -> tuple[ast.FunctionDef | None, dict[str, ast.FunctionDef]]:
    """The kernel `kernel_name` of `source` and its module-level functions: the `@wp.kernel`
    definition (not a `@wp.overload` stub of its name), or the kernel a factory call binds."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None, {}
    defs = [t for t in tree.body if isinstance(t, ast.FunctionDef)]
    funcs = {t.name: t for t in defs}
    kernel = funcs.pop(kernel_name, None)
    # a generic kernel's `@wp.overload` stubs share its name: the kernel is the `@wp.kernel` one
    kernel = next((t for t in defs if t.name == kernel_name and _is_kernel_def(t)), kernel)
    if kernel is None:
        # a kernel bound by a factory call (`k = make(2.0)`): the factory's kernel, instantiated
        made = factory_kernels(tree, {n for n, f in funcs.items() if f.decorator_list}, ())
        kernel = made.kernels.get(kernel_name)
        funcs.update(made.funcs)
    return kernel, funcs


def all_constructs(source: str, kernel_name: str) -> tuple[str, ...]:
    """Every builtin, operator and control construct in the kernel (helpers it calls included)."""
    kernel, helpers = parse_kernel(source, kernel_name)
    if kernel is None:
        return ()
    found: set[str] = set()
    arrays = _array_args(kernel)
    for stmt in kernel.body:
        _expr_constructs(stmt, found, helpers, set(), arrays)
    found.discard("tid")
    return tuple(sorted(found))


def slice_constructs(source: str, kernel_name: str, targets: set[str]) -> tuple[str, ...]:
    """Constructs of the statements that can affect the `targets` arrays (a flow-insensitive
    backward slice over data and control dependences)."""
    kernel, helpers = parse_kernel(source, kernel_name)
    if kernel is None:
        return ()
    stmts: list[_Stmt] = []
    _flatten(kernel.body, [], stmts)
    wanted = set(targets)
    chosen: set[int] = set()
    changed = True
    while changed:
        changed = False
        for k, s in enumerate(stmts):
            if k in chosen or not (s.defs & wanted):
                continue
            chosen.add(k)
            changed = True
            wanted |= s.uses
            for c in s.controls:
                ck = stmts.index(c)
                if ck not in chosen:
                    chosen.add(ck)
                    wanted |= c.uses | c.defs
    found: set[str] = set()
    arrays = _array_args(kernel)
    for k in sorted(chosen):
        s = stmts[k]
        if s.node is not s.parts[0]:
            found.add(type(s.node).__name__)  # the If/For/While itself
        for p in s.parts:
            _expr_constructs(p, found, helpers, set(), arrays)
    found.discard("tid")
    return tuple(sorted(found))


def line_constructs(source: str, kernel_name: str, lineno: int) -> tuple[str, ...]:
    """Constructs of the innermost statement on `lineno` (1-based, in `source`)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return ()
    helpers = {t.name: t for t in tree.body if isinstance(t, ast.FunctionDef) and t.name != kernel_name}
    best: ast.stmt | None = None
    for n in ast.walk(tree):
        if isinstance(n, ast.stmt) and not isinstance(n, ast.FunctionDef | ast.ClassDef):
            end = getattr(n, "end_lineno", n.lineno) or n.lineno
            if n.lineno <= lineno <= end and (best is None or n.lineno >= best.lineno):
                best = n
    if best is None:
        return ()
    found: set[str] = set()
    if isinstance(best, ast.If | ast.While):
        _expr_constructs(best.test, found, helpers, set())
        found.add(type(best).__name__)
    elif isinstance(best, ast.For):
        _expr_constructs(best.iter, found, helpers, set())
        found.add("For")
    else:
        kernel = next(
            (t for t in tree.body if isinstance(t, ast.FunctionDef) and t.name == kernel_name), None
        )
        _expr_constructs(best, found, helpers, set(), _array_args(kernel))
    found.discard("tid")
    return tuple(sorted(found))


def _error_line(message: str, source: str) -> int | None:
    """Line in `source` of the statement a Warp codegen error names (found by its text)."""
    m = _WARP_PARSE.search(message)
    if not m:
        return None
    after = message[m.end() :].lstrip("\n")
    text = after.split("\n;", 1)[0].splitlines()[0].strip() if after else ""
    if not text:
        return None
    for k, line in enumerate(source.splitlines(), 1):
        if line.strip() == text:
            return k
    return None


# ---------------------------------------------------------------- mismatches


def _nature(a: dict[str, Any]) -> str:
    obs, exp = str(a.get("observed")), str(a.get("expected"))
    if "missing" in obs or obs.startswith("shape"):
        return "shape"
    if ("nan" in obs) != ("nan" in exp):
        return "nan"
    if ("inf" in obs) != ("inf" in exp):
        return "inf"
    return "value"


def _device_pair(device: str) -> str:
    d = re.sub(r"cuda:\d+", "cuda", device)
    return d if "~" in d else f"{d}~oracle"


def signature_of(result: CaseResult) -> Signature:
    """The signature of a stored or fresh result (see the module docstring)."""
    case = result.case or {}
    source = str(case.get("source", ""))
    kname = str(case.get("kernel_name", result.kernel_name))
    verdict = result.verdict
    if verdict == "mismatch":
        pairs: set[str] = set()
        kinds: set[str] = set()
        targets: set[str] = set()
        for c in result.checks:
            if c.get("passed", True):
                continue
            pairs.add(_device_pair(str(c.get("device", ""))))
            for a in c.get("arrays", []):
                if not a.get("passed", True):
                    targets.add(str(a["name"]))
                    kinds.add(f"{a.get('dtype', '?')}:{_nature(a)}")
        path = slice_constructs(source, kname, targets) if targets else all_constructs(source, kname)
        return Signature(result.stage, "+".join(sorted(pairs)), verdict, ",".join(sorted(kinds)), path)
    if verdict == "gradient_mismatch":
        return _gradient_signature(result, source, kname)
    device = re.sub(r"cuda:\d+", "cuda", result.device)
    if verdict in ("crash", "timeout"):
        kind = ""
        if verdict == "crash":  # the exit status (a signal number) tells an abort from a segfault
            m = re.search(r"status (-?\d+)", result.message)
            kind = f"exit {m.group(1)}" if m else normalize_text(result.message)[:160]
        return Signature(result.stage, device, verdict, kind, all_constructs(source, kname))
    kind = error_kind(result.message)
    constructs: tuple[str, ...] = ()
    line = _error_line(result.message, source)
    if line is None and result.stage == "oracle":
        m = _ORACLE_LINE.search(result.message)
        if m:
            line = int(m.group("line")) - MODULE_HEADER_LINES
    if line is not None and line > 0:
        constructs = line_constructs(source, kname, line)
    if not constructs:
        constructs = all_constructs(source, kname)
    return Signature(re.sub(r"cuda:\d+", "cuda", result.stage), device, verdict, kind, constructs)


_GRAD_MSG = re.compile(r"/d(?P<input>\w+)\[[^\]]*\]: Warp (?P<warp>\S+) vs")


def _gradient_signature(result: CaseResult, source: str, kname: str) -> Signature:
    """Backward code against finite differences: which input's gradient, and whether Warp's is
    zero (a missing adjoint) or another value; constructs on the path to the outputs."""
    checks = [g for g in getattr(result, "gradient_check", None) or [] if g.get("status") == "mismatch"]
    devices = sorted({re.sub(r"cuda:\d+", "cuda", str(g.get("device", ""))) + "~fd" for g in checks})
    if not devices:
        devices = [re.sub(r"cuda:\d+", "cuda", result.device) + "~fd"]
    params = {p.get("name"): p for p in (result.case or {}).get("params", [])}
    kinds = set()
    for text in [g.get("message", "") for g in checks] or [result.message]:
        m = _GRAD_MSG.search(str(text))
        if m:
            dtype = params.get(m.group("input"), {}).get("dtype", "?")
            warp = m.group("warp")
            nature = "zero" if warp in ("0", "0.0", "-0.0", "-0") else "nan" if "nan" in warp else "value"
            kinds.add(f"d/d{dtype}:{nature}")
    outs = {n for n, p in params.items() if p.get("role") in ("out", "inout")}
    path = slice_constructs(source, kname, outs) if outs else all_constructs(source, kname)
    cause = _gradient_cause(checks, result.message)
    return Signature(result.stage, "+".join(devices), result.verdict, ",".join(sorted(kinds)), path, cause)


_GRAD_VALUES = re.compile(
    r"/d(?P<where>\w+\[[^\]]*\]|\(direction[^)]*\)): Warp (?P<warp>\S+) vs finite differences (?P<fd>\S+)"
)


def _gradient_cause(checks: list[dict[str, Any]], message: str) -> tuple[str, ...]:
    """("input=<array>", "sign=+|-") of each failing device's mismatch: from the check's
    `input`/`error_sign` fields, or read back from its message (records made before them)."""
    cause: set[str] = set()
    for g in checks or [{"message": message}]:
        name, sign = str(g.get("input") or ""), int(g.get("error_sign") or 0)
        m = _GRAD_VALUES.search(str(g.get("message") or message))
        if m and not name and not m.group("where").startswith("("):
            name = m.group("where").split("[", 1)[0]
        if m and not sign:
            try:
                diff = float(m.group("warp")) - float(m.group("fd"))
            except ValueError:
                diff = 0.0
            sign = (diff > 0) - (diff < 0)
        if name:
            cause.add(f"input={name}")
        if sign:
            cause.add("sign=" + ("+" if sign > 0 else "-"))
    return tuple(sorted(cause))


def signature_key(result: CaseResult) -> str:
    """Drop-in replacement for `CaseResult.signature()`."""
    return signature_of(result).key()
