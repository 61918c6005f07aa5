"""The corpus allow-list (corpus/folder_check.py) accepts each construct of the compile_time,
factories and custom_adjoint families, and still refuses the near misses of each new form: the
allow-list grew by named, bounded forms, not by accepting more of anything. A wrong-oracle
failure of each family, saved as a corpus folder, replays (and its repro.py runs) and reduces."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from corpus.candidates import CandidateRunner
from corpus.folder_check import source_problems
from corpus.replay import FIXED, STILL_FAILING, replay
from corpus.save import save_failures
from fuzz.engine.result import CaseResult
from fuzz.engine.settings import WorkerSettings
from grammar import generate

HEAD = "import warp as wp\n"
FUNC = "@wp.func\ndef f(x: float) -> float:\n    return x\n"
FACTORY = (
    "def make(scale, g):\n"
    '    """a factory"""\n'
    "    S = wp.constant(2.0)\n"
    "    T = (g, wp.sin)\n"
    "    @wp.func\n"
    "    def mix(x: float) -> float:\n"
    "        return g(x) * scale\n"
    '    @wp.kernel(module="unique")\n'
    "    def k(a: wp.array(dtype=float)):\n"
    "        a[0] = mix(a[0]) + wp.static(T[1])(a[0])\n"
    "    return k\n"
)

GENERIC = "import typing\n@wp.kernel\ndef k(a: wp.array(dtype=typing.Any)):\n    a[0] = a[0]\n"
ACCEPTED = {
    "@wp.overload stub": GENERIC + "@wp.overload\ndef k(a: wp.array(dtype=wp.float32)): ...\n",
    "wp.overload list": GENERIC + "k_f = wp.overload(k, [wp.array(dtype=wp.float32)])\n",
    "wp.overload dict": GENERIC + 'wp.overload(k, {"a": wp.array[wp.int32]})\n',
    "import typing": "import typing\n@wp.func\ndef g(a: typing.Any, b: wp.array(dtype=typing.Any)):\n    return a\n",
    "tuple table": FUNC + "OPS = (f, wp.sin, wp.tanh)\n",
    "list table": FUNC + "OPS = [f, wp.cos]\n",
    "dict table": FUNC + "OPS = {'a': f, 'b': wp.abs}\n",
    "number constant": "SCALE = -0.75\nN = 3\n",
    "wp.static": FUNC
    + "OPS = (f, wp.sin)\nC = wp.constant(3)\n@wp.kernel\ndef k(a: wp.array(dtype=float)):\n"
    "    for j in range(wp.static(C)):\n"
    "        a[j] = wp.static(OPS[j % 2])(a[j]) + wp.static(float(j) + 0.5)"
    " + wp.static(wp.float64(max(C, 2) * 2.0))\n",
    "factory and its calls": FUNC + FACTORY + "k_1 = make(2.5, f)\nk_2 = make(scale=-1.0, g=wp.cos)\n",
    "func_grad / func_replay": FUNC
    + "@wp.func_grad(f)\ndef f_grad(x: float, adj_ret: float):\n    wp.adjoint[x] += wp.grad(wp.sin)(x) * adj_ret\n"
    "@wp.func_replay(f)\ndef f_replay(x: float):\n    return x\n",
    "kernel keyword forms": "@wp.kernel(enable_backward=False)\ndef k(a: wp.array[wp.float32]):\n    pass\n"
    '@wp.kernel(module="unique")\ndef k2(a: wp.array(dtype=float)):\n    pass\n',
}

REFUSED = {
    "import os": ("import os\n", "import of 'os'"),
    "arbitrary module-level call": (FUNC + "x = print(1)\n", "assignment other than"),
    "call of a plain function at module level": ("def g():\n    return 1\nx = g()\n", "must end with"),
    "call of a later factory": ("k = make(1.0, wp.sin)\n" + FACTORY, "assignment other than"),
    "factory argument that calls": (FACTORY + "k = make(open('x'), wp.sin)\n", "call of 'open'"),
    "open inside a factory": (
        "def make():\n    x = open('x')\n    @wp.kernel\n    def k():\n        pass\n    return k\n",
        "assignment other than",
    ),
    "statement inside a factory": (
        "def make():\n    print(1)\n    @wp.kernel\n    def k():\n        pass\n    return k\n",
        "Expr in factory 'make'",
    ),
    "import inside a factory": (
        "def make():\n    import os\n    @wp.kernel\n    def k():\n        pass\n    return k\n",
        "Import in factory",
    ),
    "factory returning a call": (
        "def make():\n    @wp.kernel\n    def k():\n        pass\n    return print(k)\n",
        "must end with `return NAME`",
    ),
    "factory nesting a plain function": (
        "def make():\n    def k():\n        pass\n    return k\n",
        "FunctionDef in factory",
    ),
    "factory call inside a factory": (
        FACTORY + "def make2():\n    k0 = make(1.0, wp.sin)\n    @wp.kernel\n    def k():\n        pass\n"
        "    return k\n",
        "assignment other than",
    ),
    "decorator not wp.*": (
        "import functools\n@functools.cache\ndef g():\n    pass\n",
        "decorator 'functools.cache'",
    ),
    "plain decorator on a factory-like def": ("@print\ndef g():\n    pass\n", "decorator 'print'"),
    "func_grad of a non-func": (
        "@wp.func_grad(print)\ndef g(x: float, adj_ret: float):\n    pass\n",
        "not an earlier",
    ),
    "func_grad with a call": (
        FUNC + "@wp.func_grad(f, print(1))\ndef g(x: float, adj_ret: float):\n    pass\n",
        "takes one @wp.func name",
    ),
    "kernel keyword not allowed": (
        "@wp.kernel(module_options={})\ndef k():\n    pass\n",
        "decorator keyword",
    ),
    "kernel keyword with a call": ("@wp.kernel(module=print(1))\ndef k():\n    pass\n", "only literals"),
    "wp.static calling print": ("@wp.kernel\ndef k():\n    x = wp.static(print(1))\n", "call of 'wp.static'"),
    "wp.static calling open": (
        "@wp.kernel\ndef k():\n    x = wp.static(len(open('x').read()))\n",
        "evaluating",
    ),
    "wp.static dunder": ("@wp.kernel\ndef k():\n    x = wp.static(wp.__dict__)\n", "'__dict__'"),
    "call of a computed callee": ("@wp.kernel\ndef k():\n    x = wp.sin.__call__(1.0)\n", "'__call__'"),
    "call of a call that is not static or grad": (
        "@wp.kernel\ndef k():\n    x = wp.sin(1.0)(2.0)\n",
        "call of",
    ),
    "table of a plain name": ("OPS = (print, wp.sin)\n", "assignment other than"),
    "table holding a call": (FUNC + "OPS = (f, open('x'))\n", "assignment other than"),
    "string constant": ("S = 'x'\n", "assignment other than"),
    "@wp.overload stub of no kernel": ("@wp.overload\ndef k(a: wp.array(dtype=float)): ...\n", "no earlier"),
    "@wp.overload stub with a body": (
        GENERIC + "@wp.overload\ndef k(a: wp.array(dtype=wp.float32)):\n    x = 1\n",
        "with a body",
    ),
    "wp.overload of no kernel": ("wp.overload(print, [int])\n", "wp.overload call other than"),
    "wp.overload types calling": (GENERIC + "wp.overload(k, [open('x')])\n", "call of 'open'"),
    "wp.overload keyword": (GENERIC + "wp.overload(k, arg_types=[int])\n", "wp.overload call other than"),
    "typing call": ("import typing\nT = typing.cast(int, 1)\n", "assignment other than"),
}


@pytest.mark.parametrize("name", sorted(ACCEPTED))
def test_each_new_form_is_accepted(name: str) -> None:
    assert source_problems(HEAD + ACCEPTED[name], "k.py") == [], name


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_near_misses_are_refused(name: str) -> None:
    src, what = REFUSED[name]
    problems = source_problems(HEAD + src, "k.py")
    assert problems and any(what in p for p in problems), (name, problems)


@pytest.mark.parametrize("family", ["compile_time", "factories", "custom_adjoint"])
def test_every_generated_kernel_of_the_modern_families_is_accepted(family: str) -> None:
    constructs = set()
    for seed in range(120):
        case = generate(seed, family=family)
        src = case.module_source()
        assert source_problems(src, "k.py") == [], (family, seed, source_problems(src, "k.py"))
        constructs |= {c for c in ("wp.static(", "import typing", "_OPS =", "_make(", "func_grad", "func_replay",
                                   "enable_backward=False", 'module="unique"') if c in src}  # fmt: skip
    assert constructs, family  # the family drew the forms this test is about


# ---- a saved failure of each family replays and reduces -------------------------------------

WRONG = "tests.support.wrong_oracles:wrong_sin"
FAMILIES = ("compile_time", "factories", "custom_adjoint")


def _sin_seeds(family: str, start: int, n: int = 3) -> list[int]:
    """The first seeds from `start` whose kernel calls wp.sin (found, not pinned: a generator
    change moves them; each family its own range, as kernel names follow seeds)."""
    out = [s for s in range(start, start + 200) if "wp.sin(" in generate(s, family=family).source][:n]
    assert out, f"no {family} kernel of seeds {start}..{start + 199} calls wp.sin"
    return out


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One wrong-oracle mismatch of each family (the first of its wp.sin kernels the planted
    wrong sin makes a mismatch), saved as a corpus folder."""
    run = tmp_path_factory.mktemp("run")
    settings = WorkerSettings(run_dir=str(run), enable_backward=False, registry_factory=WRONG)
    tagged = [(fam, seed) for k, fam in enumerate(FAMILIES) for seed in _sin_seeds(fam, 1000 * k)]
    cases = [generate(seed, family=fam) for fam, seed in tagged]
    results = CandidateRunner(settings, str(run / "work"), tag="t").run_candidates(cases)
    first: dict[str, CaseResult] = {}
    for (fam, _), r in zip(tagged, results, strict=True):
        if r.verdict == "mismatch":
            first.setdefault(fam, r)
    assert set(first) == set(FAMILIES), [
        (t, r.verdict, r.message[-200:]) for t, r in zip(tagged, results, strict=True)
    ]
    paths = save_failures(str(run), [first[f] for f in FAMILIES], settings=settings)
    return {fam: Path(p) for fam, p in zip(FAMILIES, paths, strict=True)}


def test_saved_failures_of_each_family_replay(saved: dict[str, Path]) -> None:
    for fam, folder in saved.items():
        assert source_problems((folder / "kernel.py").read_text(), "kernel.py") == [], fam
        (still,) = replay([str(folder)], registry=WRONG)
        assert still.status == STILL_FAILING and still.failing, (fam, still)
        (fixed,) = replay([str(folder)])  # the installed (right) oracle
        assert fixed.status == FIXED and not fixed.failing, (fam, fixed)
        p = subprocess.run(
            [sys.executable, "repro.py"], cwd=folder, capture_output=True, text=True, timeout=300
        )
        assert p.returncode == 1 and "refused" not in p.stdout, (fam, p.stdout + p.stderr)


@pytest.mark.slow  # about 45 s: three reductions
def test_saved_failures_of_each_family_reduce(saved: dict[str, Path]) -> None:
    from fuzz.cli import main

    for fam, folder in saved.items():
        before = (folder / "kernel.py").read_text()
        assert main(["reduce", str(folder), "--budget", "60s", "--oracle-registry", WRONG, "--quiet"]) == 0, (
            fam
        )
        reduced = folder / "reduced"
        after = (reduced / "kernel.py").read_text()
        assert len(after.splitlines()) < len(before.splitlines()) and "wp.sin" in after, (fam, after)
        assert source_problems(after, "kernel.py") == [], fam
        (still,) = replay([str(reduced)], registry=WRONG)
        assert still.status == STILL_FAILING, (fam, still)
