"""Any Warp release: the gate table, its confirmation by probe kernels, version specs, and bisect.

Probe confirmation runs the real installed Warp (1.19.0) on CPU. The slow test builds (or reuses)
a cached venv with warp-lang 1.10.1, produces a real corpus seed there, and bisects it across
1.10.1 and the installed release; it skips, saying why, when PyPI cannot be reached.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from fuzz import venvs
from fuzz.engine.gateprobe import confirm_gates
from grammar import gates as G

ROOT = Path(__file__).resolve().parents[1]
ALL = frozenset(g.name for g in G.GATES if g.since is not None)  # in some release already


# ---- the table -----------------------------------------------------------------------------------


def test_parse_version() -> None:
    assert G.parse_version("1.12.0") == (1, 12, 0)
    assert G.parse_version("1.13.0rc1") == (1, 13, 0)
    assert G.parse_version("1.19.0.dev20250101") == (1, 19, 0)
    assert G.parse_version("1.9") == (1, 9, 0)
    with pytest.raises(G.GateTableError, match="not a warp-lang version"):
        G.parse_version("latest")


def test_enabled_features_by_version() -> None:
    G.check_table()
    assert G.enabled_features("1.19.0") == ALL
    # bit_count, static_builtin_select: 1.19.0
    # minkowski_queries: dated 1.19.0 conservatively (absent from 1.16.0's source); approx_ops:
    # probed absent on 1.10.0-1.11.0, present on 1.12.0 and 1.16.0
    assert G.disabled_features("1.18.0") == {
        "bit_count", "composite_store_any_int", "static_builtin_select", "tile_map_tanh_backward",
        "minkowski_queries",
    }  # fmt: skip
    assert "volume_cpu" in G.disabled_features("1.15.0") and "volume_cpu" not in G.disabled_features("1.16.0")
    assert G.disabled_features("1.17.0") == {
        "int_floordiv_floors",
        "bit_count",
        "composite_store_any_int",
        "static_builtin_select",
        "tile_map_tanh_backward",
        "minkowski_queries",
    }
    assert "approx_ops" in G.enabled_features("1.12.0") and "approx_ops" in G.disabled_features("1.11.0")
    assert {"tile_axpy_dot", "function_params", "quat_twist_angle_signed"} <= G.disabled_features("1.12.0")
    assert "short_circuit_boolops" in G.enabled_features("1.13.0")
    v12 = G.enabled_features("1.12.1")
    assert "composite_index_any_int" in v12 and "wp_cast" in v12
    assert {"typed_ctor_float_literals", "bfloat16", "short_circuit_boolops"}.isdisjoint(v12)
    v10 = G.enabled_features("1.10.0")
    assert {"wp_cast", "bitwise_atomics", "array_bitwise_augassign", "ternary", "atomic_cas_exch"} <= v10
    assert "composite_store_any_int" not in G.enabled_features("1.19.0")  # no release yet
    assert G.disabled_features("1.10.1") == {
        "composite_store_any_int",
        "int_floordiv_floors",
        "composite_index_any_int",
        "array_subscript_annotations",
        "typed_ctor_float_literals",
        "bfloat16",
        "short_circuit_boolops",
        "bit_count",
        "tiles",  # tiles family: from 1.12.0 (13 of 24 kernels do not compile on 1.10.1)
        "static_builtin_select",  # compile_time family: confirmed on 1.10.1, 1.14.0, 1.18.0, 1.19.0
        "static_function_local",
        "volume_cpu",
        "tile_axpy_dot",
        "function_params",
        "quat_twist_angle_signed",
        "tile_map_tanh_backward",
        # generator 1.7: dated from Warp's CHANGELOG and tagged sources
        "mesh_ray_count_parity",  # 1.11.0
        "quat_euler",  # 1.12.0
        "tile_scatter_stack",  # 1.13.0
        "copysign",  # 1.14.0
        "tile_empty",  # 1.14.0
        "tile_slice_indexed",  # 1.16.0
        "minkowski_queries",
        "approx_ops",
        "grad_builtin",  # probed: from 1.11.0
        "newton_math",  # probed: from 1.12.0
    }
    assert {"newton_math"} <= G.disabled_features("1.11.0") and "grad_builtin" in G.enabled_features("1.11.0")
    v9 = G.enabled_features("1.9.1")
    assert "ternary" in v9 and "wp_cast" not in v9 and "bitwise_atomics" not in v9
    assert G.enabled_features("1.7.1") & {"uint_atomics", "ternary"} == set()
    assert G.enabled_features("1.0.2") == set()
    # the first release of a gate has it; the patch before does not
    assert "array_index_any_int" in G.enabled_features("1.4.2")
    assert "array_index_any_int" not in G.enabled_features("1.4.1")


def test_malformed_tables_are_refused() -> None:
    g = G.GATES[0]
    with pytest.raises(G.GateTableError, match="appears twice"):
        G.check_table((g, g))
    with pytest.raises(G.GateTableError, match="not a warp-lang version"):
        G.check_table((G.Gate("x", "soon", g.probe_source, ""),))
    with pytest.raises(G.GateTableError, match="must define"):
        G.check_table((G.Gate("x", "1.0.0", "@wp.kernel\ndef k(out): pass\n", ""),))


def test_features_used_and_missing() -> None:
    src = """
@wp.func
def f(x: float, y: float = 1.0):
    return x + y


@wp.kernel
def k(a: wp.array(dtype=wp.int32), b: wp.array(dtype=wp.float64)):
    i = wp.tid()
    x = 1 if a[i] > 0 else 2
    v = wp.vec3d(wp.float64(0.1), -1.0, wp.float64(2.0))
    c = wp.cast(x, wp.float32)
    a[i] &= 3
    wp.atomic_xor(a, 0, 1)
    ok = x > 0 and x < 3
    j = int(0)
    while j < 3:
        j += 1
        if j == 2:
            break
    a[0] = wp.bit_count(a[1])
"""
    assert G.features_used(src) == {
        "func_default_args",
        "ternary",
        "typed_ctor_float_literals",
        "wp_cast",
        "array_bitwise_augassign",
        "bitwise_atomics",
        "short_circuit_boolops",
        "while_break_continue",
        "bit_count",
    }
    plain = (
        "@wp.kernel\ndef k(a: wp.array(dtype=float)):\n    i = wp.tid()\n"
        "    a[i] = wp.vec3(1.0, 2.0, 3.0)[0] + float(wp.vec2d(wp.float64(0.5), -wp.float64(1.0))[1])\n"
    )
    assert G.features_used(plain) == set()
    assert [g.name for g in G.missing_features(src, "1.10.1")] == [
        "typed_ctor_float_literals",
        "bit_count",
    ]  # short_circuit_boolops is semantic: generated everywhere, the difference a known finding
    assert G.missing_features(src, "1.19.0") == []
    assert [g.name for g in G.missing_features(src, "1.9.0")][:2] == ["wp_cast", "bitwise_atomics"]


# ---- versions spec -------------------------------------------------------------------------------

KNOWN = ["1.9.1", "1.10.0", "1.10.1", "1.11.0", "1.12.0", "1.12.1", "1.13.0", "1.19.0"]


def test_resolve_versions() -> None:
    assert venvs.resolve_versions("1.10.0..1.12.0", KNOWN) == ["1.10.0", "1.10.1", "1.11.0", "1.12.0"]
    assert venvs.resolve_versions("1.12.1..", KNOWN) == ["1.12.1", "1.13.0", "1.19.0"]
    assert venvs.resolve_versions("..1.10.0", KNOWN) == ["1.9.1", "1.10.0"]
    assert venvs.resolve_versions("1.19.0, 1.10.1", KNOWN) == ["1.10.1", "1.19.0"]
    assert venvs.resolve_versions("1.19.0,1.10.1", None) == ["1.10.1", "1.19.0"]
    with pytest.raises(venvs.VenvError, match="not a release pip can see"):
        venvs.resolve_versions("1.10.2", KNOWN)
    with pytest.raises(venvs.VenvError, match="range is empty"):
        venvs.resolve_versions("1.13.0..1.10.0", KNOWN)
    with pytest.raises(venvs.VenvError, match="no warp-lang release in that range"):
        venvs.resolve_versions("1.14.0..1.18.0", KNOWN)
    with pytest.raises(G.GateTableError):
        venvs.resolve_versions("newest", KNOWN)


def test_venv_paths_and_readiness(tmp_path: Path) -> None:
    p = venvs.venv_path("1.12.0", str(tmp_path))
    assert p == str(tmp_path / "venvs" / "warp-1.12.0")
    assert not venvs.is_ready("1.12.0", str(tmp_path))
    os.makedirs(p)
    assert not venvs.is_ready("1.12.0", str(tmp_path))  # no marker: a half-built folder is not usable
    # the installed release needs no venv at all
    installed = venvs.installed_warp_version()
    assert installed is not None
    env = venvs.ensure_env(installed, cache_dir=str(tmp_path))
    assert env.python == sys.executable and not os.listdir(tmp_path / "venvs" / "warp-1.12.0")


# ---- probe confirmation on the installed Warp ----------------------------------------------------

_BROKEN = """
@wp.kernel
def {K}(out: wp.array(dtype=wp.int32)):
    out[0] = wp.no_such_builtin(1)
"""
_WRONG_VALUE = """
@wp.kernel
def {K}(out: wp.array(dtype=wp.int32)):
    x = 7 // -2
    if x == -3:
        out[0] = 1
"""
_WORKS = """
@wp.kernel
def {K}(out: wp.array(dtype=wp.int32)):
    out[0] = 1
"""


@pytest.fixture(scope="module")
def warp_cpu(tmp_path_factory: pytest.TempPathFactory) -> str:
    import warp as wp

    wp.config.quiet = True
    wp.init()
    return str(wp.__version__)


def test_gate_table_confirmed_on_installed_warp(warp_cpu: str, tmp_path: Path) -> None:
    rep = confirm_gates(warp_cpu, str(tmp_path))
    assert rep.ok, rep.message()
    # the one gate no release has yet is confirmed absent: its probe fails in the adjoint code
    (store,) = [c for c in rep.checks if c.name == "composite_store_any_int"]
    assert not store.expected and not store.observed and "adj_assign_inplace" in store.detail
    assert rep.features == G.enabled_features(warp_cpu)
    assert all(c.observed for c in rep.checks if c.expected)
    assert "confirmed" in rep.message()
    cached = json.loads((tmp_path / f"gates-{warp_cpu}.json").read_text())
    assert cached["table_hash"] == G.table_hash()
    again = confirm_gates(warp_cpu, str(tmp_path))
    assert again.cached and again.checks == rep.checks


def test_wrong_gate_entries_are_reported(warp_cpu: str, tmp_path: Path) -> None:
    """A 'present' gate whose probe fails (at compile or run time) and an 'absent' gate whose probe
    works are both named, with what to change; correct entries alongside still agree."""
    table = (
        *[g for g in G.GATES if g.name in ("ternary", "wp_cast")],
        G.Gate("fake_builtin", "1.0.0", _BROKEN, "a builtin Warp does not have"),
        G.Gate("python_floor_division", "1.0.0", _WRONG_VALUE, "int // floors, so 7 // -2 == -4, not -3"),
        G.Gate("from_the_future", "99.0.0", _WORKS, "listed as absent but works"),
    )
    rep = confirm_gates(warp_cpu, str(tmp_path), gates=table)
    assert not rep.ok
    by = {c.name: c for c in rep.checks}
    assert by["ternary"].agrees and by["wp_cast"].agrees
    assert by["fake_builtin"].expected and not by["fake_builtin"].observed
    assert "no_such_builtin" in by["fake_builtin"].detail
    assert not by["python_floor_division"].observed and "wrong value" in by["python_floor_division"].detail
    assert not by["from_the_future"].expected and by["from_the_future"].observed
    assert [c.name for c in rep.disagreements] == ["fake_builtin", "python_floor_division", "from_the_future"]
    msg = rep.message()
    assert "gate table is wrong" in msg and "Raise its `since`" in msg and "lower its `since`" in msg
    assert "fake_builtin" in msg and "from_the_future" in msg
    assert rep.features == {"ternary", "wp_cast"}
    # the cache is keyed by the table: the real table is not answered from this one's result
    assert G.table_hash(table) != G.table_hash()
    with pytest.raises(ValueError, match="is installed"):
        confirm_gates("1.10.1", str(tmp_path))


# ---- bisect across a real old release -------------------------------------------------------------

# Reduced from a generated kernel (seed 161, multi_statement) that a campaign on warp 1.10.1 found
# mismatching: there, int32 `//` truncates toward zero; 1.19.0 floors (-7 // 2 == -4), as the oracle.
_SEED_SCRIPT = r"""
import json, sys
from corpus.candidates import CandidateRunner
from corpus.save import save_failures
from fuzz.engine.settings import WorkerSettings
from grammar.case import KernelCase, ParamSpec

run = sys.argv[1]
src = (
    "@wp.kernel\n"
    "def k_161(a1: wp.array(dtype=wp.int32), out2: wp.array(dtype=wp.int32)):\n"
    "    i = wp.tid()\n"
    "    out2[i] = a1[i] // wp.max(i, 1)\n"
)
params = (
    ParamSpec("a1", "array", "int32", (64,), "in", -10, 10, integral=True),
    ParamSpec("out2", "array", "int32", (64,), "out", integral=True),
)
case = KernelCase("k_161", src, "multi_statement", 161, "test", params, (64,))
st = WorkerSettings(run_dir=run, enable_backward=False)
res = CandidateRunner(st, run + "/work", tag="seed").run_candidates([case])
print(json.dumps({"verdict": res[0].verdict, "paths": save_failures(run, res, settings=st)}))
"""


@pytest.mark.slow
def test_bisect_real_seed_across_releases(tmp_path: Path) -> None:
    old = "1.10.1"
    try:
        env = venvs.ensure_env(old, report=lambda line: None)
    except venvs.VenvError as e:
        pytest.skip(f"cannot build a warp-lang {old} environment (PyPI unreachable?): {e}")
    run = tmp_path / "run"
    run.mkdir()
    made = subprocess.run(
        [env.python, "-c", _SEED_SCRIPT, str(run)],
        capture_output=True,
        text=True,
        env=env.env(),
        timeout=600,
    )
    assert made.returncode == 0, made.stderr[-3000:]
    out = json.loads(made.stdout.strip().splitlines()[-1])
    assert out["verdict"] == "mismatch", out
    (seed,) = out["paths"]
    meta = json.loads(Path(seed, "meta.json").read_text())
    assert meta["warp_version"] == old

    installed = venvs.installed_warp_version()
    p = subprocess.run(
        [sys.executable, "-m", "fuzz", "bisect", seed, "--versions", f"{old},{installed}", "--json"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=900,
    )
    assert p.returncode == 0, p.stderr[-3000:]
    res = json.loads(p.stdout)
    rows = {r["version"]: r for r in res["rows"]}
    assert rows[old]["status"] == "failing" and rows[old]["verdict"] == "mismatch"
    assert rows[installed]["status"] == "passing" and rows[installed]["verdict"] == "verified"
    assert res["first_failing"] == old and res["last_failing"] == old

    table = subprocess.run(
        [sys.executable, "-m", "fuzz", "bisect", seed, "--versions", f"{old},{installed}"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=900,
    )
    assert table.returncode == 0, table.stderr[-3000:]
    assert f"first failing: {old}   last failing: {old}" in table.stdout
    assert f"{installed:<10} passing" in table.stdout


def test_bisect_refuses_a_non_seed(tmp_path: Path) -> None:
    p = subprocess.run(
        [sys.executable, "-m", "fuzz", "bisect", str(tmp_path), "--versions", "1.19.0"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert p.returncode == 2 and "no meta.json" in p.stderr


def test_bisect_replays_several_seeds_in_one_run_per_release(tmp_path: Path) -> None:
    """Two seeds (a directory of them) on the installed release: one table each, one summary."""
    import shutil

    src = ROOT / "corpus" / "seeds" / "frac-missing-adjoint"
    for name in ("a", "b"):
        shutil.copytree(src, tmp_path / name, ignore=shutil.ignore_patterns("reduced"))
    installed = venvs.installed_warp_version()
    p = subprocess.run(
        [sys.executable, "-m", "fuzz", "bisect", str(tmp_path), "--versions", installed, "--json"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
    )
    assert p.returncode == 0, p.stderr[-3000:]
    res = json.loads(p.stdout)
    assert [Path(r["seed_path"]).name for r in res] == ["a", "b"]
    for r in res:
        assert [row["status"] for row in r["rows"]] == ["failing"], r
        assert r["first_failing"] == r["last_failing"] == installed
    assert "replaying 2 seeds" in p.stderr
    text = subprocess.run(
        [
            sys.executable,
            "-m",
            "fuzz",
            "bisect",
            str(tmp_path / "a"),
            str(tmp_path / "b"),
            "--versions",
            installed,
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
    )
    assert text.returncode == 0, text.stderr[-3000:]
    summary = text.stdout.split("first failing  last failing")[-1]
    assert summary.count(installed) == 4 and "gradient_mismatch" in summary


def test_generator_targets_the_release_it_runs_on() -> None:
    """Draws using a construct the target release lacks are redrawn (here: wp.bit_count before
    1.19); a semantic gate removes nothing (`//` floors only from 1.18 and is generated anyway)."""
    import grammar
    from grammar.gates import missing_features

    old = grammar.GenConfig(warp_version="1.10.1")
    new = grammar.GenConfig(warp_version="1.19.0")
    olds = [grammar.generate(s, old) for s in range(60)]
    assert all(not missing_features(c.source, "1.10.1") for c in olds)
    assert not any("bit_count(" in c.source for c in olds)
    assert any("bit_count(" in grammar.generate(s, new).source for s in range(200))  # the gate removed it
    assert any("//" in c.source for c in olds)  # semantic: the difference is a known finding
    assert grammar.generate(7, old).source == olds[7].source  # still deterministic per (seed, release)


def test_generated_kernels_hold_no_builtin_their_release_lacks() -> None:
    """The 1.10.1 campaign found `wp.quat_twist`, `wp.quat_to_rpy`, `wp.velocity_at_point`,
    `wp.transform_wrench` (from 1.12.0) and `wp.grad(wp.sin)` (from 1.11.0) in generated kernels:
    compile errors of the generator's making. On each release only what it has is written."""
    import grammar

    semantic = {g.name for g in G.GATES if g.semantic}
    newton = ("quat_twist", "quat_to_rpy", "velocity_at_point", "transform_wrench", "transform_twist")
    for version in ("1.10.1", "1.11.0", "1.12.0"):
        have = G.enabled_features(version)
        srcs = [
            grammar.generate(s, grammar.GenConfig(warp_version=version, weights={f: 6.0})).module_source()
            for s in range(40)
            for f in ("spatial", "custom_adjoint")
        ]
        assert all(not (G.features_used(t) - have - semantic) for t in srcs), version
        written = " ".join(srcs)
        assert any(n in written for n in newton) == (version == "1.12.0"), version
        assert ("wp.grad(" in written) == (version != "1.10.1"), version
