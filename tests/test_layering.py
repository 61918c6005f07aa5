"""The import graph of fuzz/, grammar/, oracle/ and corpus/: no cycles, no underscore names, no
upward imports (the layer table is `LAYERS` in scripts/layering.py). Function-local imports and
imports under `if TYPE_CHECKING:` count. The synthetic trees below show the checker says no."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _load_layering() -> ModuleType:
    spec = importlib.util.spec_from_file_location("layering_script", ROOT / "scripts" / "layering.py")
    assert spec is not None and spec.loader is not None
    mod = sys.modules.setdefault("layering_script", importlib.util.module_from_spec(spec))
    if not hasattr(mod, "build_graph"):
        spec.loader.exec_module(mod)
    return mod


layering = _load_layering()


def _tree(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        f = root / rel
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(text)
    for pkg in layering.PACKAGES:
        (root / pkg).mkdir(exist_ok=True)
        (root / pkg / "__init__.py").touch()
    return root


def test_project_imports_follow_the_layers() -> None:
    graph = layering.build_graph(ROOT)
    assert "grammar.gen" in graph.files and "oracle.interpreter" in graph.files
    assert not any("seeds" in m for m in graph.files), "corpus/seeds/ is stored data, not code"
    bad = layering.violations(graph)
    assert not bad, "import layering broken (python scripts/layering.py lists them):\n" + "\n".join(bad)


def test_a_function_local_cycle_is_reported(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "grammar/a.py": "from grammar.b import g\n\ndef f():\n    return g()\n",
            "grammar/b.py": "def g():\n    from grammar.a import f\n    return f\n",
            "grammar/c.py": "import grammar.a\n",
        },
    )
    graph = layering.build_graph(root)
    assert layering.components(graph) == [["grammar.a", "grammar.b"]]
    (line,) = [v for v in layering.violations(graph) if v.startswith("cycle:")]
    assert "grammar.a -> grammar.b (grammar/a.py:1) -> grammar.a (grammar/b.py:2)" in line, line


def test_a_cycle_through_a_package_file_is_reported(tmp_path: Path) -> None:
    """`from corpus import folder` runs corpus/__init__.py first; when that file imports a module
    which imports back that way, the package and the module form a cycle."""
    root = _tree(
        tmp_path,
        {
            "corpus/__init__.py": "from corpus.save import save\n",
            "corpus/save.py": "from corpus import folder\n\ndef save():\n    return folder\n",
            "corpus/folder.py": "X = 1\n",
        },
    )
    assert layering.components(layering.build_graph(root)) == [["corpus", "corpus.save"]]
    (root / "corpus" / "__init__.py").write_text('"""A package file that imports nothing."""\n')
    assert layering.components(layering.build_graph(root)) == []


def test_a_type_checking_cycle_is_reported(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "oracle/a.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from oracle.b import B\n",
            "oracle/b.py": "from . import a\n",
        },
    )
    assert layering.components(layering.build_graph(root)) == [["oracle.a", "oracle.b"]]


def test_a_three_module_cycle_names_its_path(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "oracle/a.py": "import oracle.b\n",
            "oracle/b.py": "from oracle import c\n",
            "oracle/c.py": "from .a import x\n",
        },
    )
    graph = layering.build_graph(root)
    (comp,) = layering.components(graph)
    path = layering.cycle_in(graph, comp)
    assert [e.src for e in path] == ["oracle.a", "oracle.b", "oracle.c"]
    assert path[-1].dst == "oracle.a"


@pytest.mark.parametrize(
    ("importer", "text", "target"),
    [
        ("grammar/gen.py", "from fuzz.engine.runner import run\n", "fuzz.engine.runner"),
        ("oracle/values.py", "def f():\n    import grammar.dtypes\n", "grammar.dtypes"),
        ("fuzz/engine/judge.py", "from corpus import save\n", "corpus.save"),
        ("corpus/save.py", "from fuzz import campaign\n", "fuzz.campaign"),
    ],
)
def test_an_upward_import_is_reported(tmp_path: Path, importer: str, text: str, target: str) -> None:
    files = {
        importer: text,
        "fuzz/engine/__init__.py": "",
        "fuzz/engine/runner.py": "",
        "grammar/dtypes.py": "",
        "corpus/save.py": "",
        "fuzz/campaign.py": "",
    }
    files[importer] = text
    graph = layering.build_graph(_tree(tmp_path, files))
    bad = layering.violations(graph)
    assert len(bad) == 1 and bad[0].startswith(f"upward import: {importer}:") and target in bad[0], bad


def test_downward_and_same_layer_imports_pass(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "oracle/values.py": "",
            "grammar/dtypes.py": "from oracle.values import V\n",
            "fuzz/engine/runner.py": "import grammar.dtypes\nfrom oracle import values\n",
            "fuzz/engine/__init__.py": "",
            "corpus/save.py": "from fuzz.engine import runner\n",
            "fuzz/campaign.py": "from corpus.save import save\nfrom fuzz.engine.runner import run\n",
        },
    )
    graph = layering.build_graph(root)
    assert graph.edges["fuzz.campaign"].keys() == {"corpus.save", "fuzz.engine.runner"}
    assert layering.violations(graph) == []


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("from oracle.values import _lanes\n", "oracle.values._lanes"),
        ("def f():\n    from grammar.dtypes import _table as t\n", "grammar.dtypes._table"),
        ("import oracle.values as ov\nx = ov._lanes\n", "oracle.values._lanes"),
        ("import oracle.values\nx = oracle.values._lanes(3)\n", "oracle.values._lanes"),
        ("from grammar import dtypes\ny = dtypes._table\n", "grammar.dtypes._table"),
    ],
)
def test_an_underscore_import_is_reported(tmp_path: Path, text: str, name: str) -> None:
    root = _tree(tmp_path, {"oracle/values.py": "", "grammar/dtypes.py": "", "grammar/gen.py": text})
    bad = layering.violations(layering.build_graph(root))
    assert len(bad) == 1 and bad[0].startswith("underscore name: grammar/gen.py:") and name in bad[0], bad


def test_underscore_names_within_a_package_and_dunders(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "grammar/families.py": "def _dim1(): ...\n",
            "grammar/extras.py": "from grammar.families import _dim1\n",
            "grammar/case.py": "from grammar import __doc__\nimport grammar.families as f\nx = f.__name__\n",
            "grammar/own.py": "def _own(): ...\nimport sys\nx = sys._getframe\n",
        },
    )
    bad = layering.violations(layering.build_graph(root))
    assert bad == ["underscore name: grammar/extras.py:1 uses grammar.families._dim1"], bad


def test_corpus_seeds_are_not_modules(tmp_path: Path) -> None:
    root = _tree(
        tmp_path, {"corpus/seeds/s1/repro.py": "from fuzz.campaign import x\n", "fuzz/campaign.py": ""}
    )
    graph = layering.build_graph(root)
    assert set(graph.files) == {"fuzz", "grammar", "oracle", "corpus", "fuzz.campaign"}
    assert layering.violations(graph) == []


def test_layer_of_takes_the_longest_prefix() -> None:
    names = [p for p, _ in layering.LAYERS]
    assert names.index("oracle") < names.index("grammar") < names.index("fuzz.engine")
    assert names.index("fuzz.engine") < names.index("corpus") < names.index("fuzz")
    assert layering.layer_of("fuzz.engine.runner") == names.index("fuzz.engine")
    assert layering.layer_of("fuzz.engineer") == names.index("fuzz")
    assert layering.layer_of("fuzz") == names.index("fuzz")
    assert layering.layer_of("numpy") is None
