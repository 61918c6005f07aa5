"""The corpus allow-list (corpus/folder_check.py) accepts each construct of the compile_time,
factories and custom_adjoint families, and still refuses the near misses of each new form: the
allow-list grew by named, bounded forms, not by accepting more of anything."""

from __future__ import annotations

import pytest

from corpus.folder_check import source_problems
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

ACCEPTED = {
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
