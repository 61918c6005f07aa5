"""The corpus folder type: write -> read gives back the same case, inputs, expected values and
worker settings; folders of older writers still load; errors name the folder; the expected
tolerance is the judge's own formula."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from corpus.folder import (
    INPUTS,
    META,
    CorpusError,
    CorpusFolder,
    ExpectedArray,
    settings_from_meta,
)
from fuzz.engine import judge as J
from fuzz.engine.settings import WorkerSettings
from fuzz.engine.signature import Signature
from grammar.case import KernelCase, ParamSpec

SEEDS = Path(__file__).resolve().parents[1] / "corpus" / "seeds"


def _case() -> KernelCase:
    src = (
        "@wp.kernel\ndef k_7(a1: wp.array(dtype=wp.float32), out2: wp.array(dtype=wp.float32)):\n"
        "    i = wp.tid()\n    out2[i] = wp.sin(a1[i])\n"
    )
    params = (
        ParamSpec("a1", "array", "float32", (4,), "in", -2.0, 2.0),
        ParamSpec("out2", "array", "float32", (4,), "out"),
    )
    return KernelCase("k_7", src, "unary", 7, "test", params, (4,))


def _meta() -> dict[str, object]:
    sig = Signature("judge", "cpu~oracle", "mismatch", "float32:value", ("sin",))
    return {
        "seed": 7,
        "kernel_name": "k_7",
        "family": "unary",
        "verdict": "mismatch",
        "stage": "judge",
        "message": "out2 differs",
        "signature": sig.to_json(),
        "reduced_from": None,
    }


SETTINGS = WorkerSettings(
    run_dir="/somewhere",
    devices=("cpu",),
    enable_backward=True,
    cuda_arch=86,
    cpu_opt_level=1,
    gen_config={"max_statements": 5},
    policy=J.TolerancePolicy(safety=3.0, floor_ulps=4.0, max_unstable_fraction=0.25),
    gradients=False,
)


def _write(path: Path, settings: WorkerSettings = SETTINGS) -> CorpusFolder:
    import grammar

    case = _case()
    inputs = grammar.make_inputs(case)
    exp = np.arange(4, dtype=np.float32)
    expected = {"out2": ExpectedArray(exp, np.full(4, 1e-6), np.array([False, True, False, False]))}
    return CorpusFolder.write(
        str(path),
        _meta(),
        settings,
        case=case,
        inputs=inputs,
        expected=expected,
        code={"kernel.cpp": "// c++"},
    )


def test_write_then_read_round_trips(tmp_path: Path) -> None:
    import grammar

    written = _write(tmp_path / "f")
    back = CorpusFolder.read(written.path)
    assert back.usable and not back.note, back.problem()
    assert back.case is not None and back.case.dumps() == _case().dumps()
    assert back.worker_settings(run_dir="/somewhere") == SETTINGS
    want = grammar.make_inputs(_case())
    got = back.inputs()
    assert set(got) == set(want) and all(np.array_equal(got[k], np.asarray(want[k])) for k in want)
    ((name, e),) = back.expected().items()
    assert (
        name == "out2" and e.values.dtype == np.float32 and e.unstable.tolist() == [False, True, False, False]
    )
    assert set(back.files) == {"meta.json", "case.json", "kernel.py", "inputs.npz", "expected.npz", "repro.py",
                               "kernel.cpp"}  # fmt: skip
    assert back.repro_drift() == ""


def test_settings_never_carry_the_registry_or_the_work_folder(tmp_path: Path) -> None:
    """The round trip says no where it must: a folder never chooses the oracle registry."""
    from dataclasses import replace

    planted = replace(SETTINGS, registry_factory="tests.support.wrong_oracles:wrong_sin")
    back = CorpusFolder.read(_write(tmp_path / "f", planted).path)
    assert back.meta["oracle_registry"] == "tests.support.wrong_oracles:wrong_sin"  # recorded for the reader
    st = back.worker_settings(run_dir="/somewhere")
    assert st.registry_factory is None and st != planted
    assert (
        back.worker_settings(run_dir="/somewhere", registry="tests.support.wrong_oracles:wrong_sin")
        == planted
    )
    assert back.worker_settings().run_dir == ""


def test_folders_of_older_writers_load(tmp_path: Path) -> None:
    # the committed seeds (most written before `gradients` was recorded; one before `cpu_opt_level`)
    seeds = sorted(p.parent for p in SEEDS.rglob(META))
    assert sum("gradients" not in json.loads((s / META).read_text()) for s in seeds) >= 2
    for seed in seeds:
        ent = CorpusFolder.read(str(seed))
        assert ent.usable and ent.case is not None, (seed, ent.problem())
        st = ent.worker_settings()
        assert st.gradients == ent.meta.get("gradients", True)
        assert st.devices == tuple(ent.meta["devices"]) and st.policy == J.TolerancePolicy(
            **{k: ent.meta["tolerance"][k] for k in ("safety", "floor_ulps", "max_unstable_fraction")}
        )
    # a meta.json with only the oldest keys: the defaults of its writer
    assert settings_from_meta({"signature": {}}) == WorkerSettings(run_dir="", enable_backward=False)


def test_errors_name_the_folder_and_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match=f"{tmp_path}: no meta.json here"):
        CorpusFolder.read(str(tmp_path))
    folder = Path(_write(tmp_path / "f").path)
    meta = json.loads((folder / META).read_text())
    (folder / META).write_text(json.dumps({**meta, "format": 99}))
    with pytest.raises(CorpusError, match=r"meta.json: not a corpus meta.json of format 1"):
        CorpusFolder.read(str(folder))
    (folder / META).write_text(json.dumps(meta))
    # a truncated file is damage: named, and its values are not handed out
    inputs = folder / INPUTS
    inputs.write_bytes(inputs.read_bytes()[:100])
    ent = CorpusFolder.read(str(folder))
    assert not ent.usable and "inputs.npz: sha256 differs" in ent.problem()
    with pytest.raises(CorpusError, match=r"damaged: .*inputs.npz"):
        ent.inputs()
    # a compile error's folder has no expected values
    other = tmp_path / "g"
    shutil.copytree(SEEDS / "frac-missing-adjoint", other)
    with pytest.raises(CorpusError, match=f"{other}: no expected.npz"):
        CorpusFolder.read(str(other)).expected()


def test_expected_tolerance_is_the_judges() -> None:
    """expected.npz's `__tol` is judge.element_tolerance of the oracle's bound, and that is the
    tolerance compare_array decides with: just inside it passes, just outside fails."""
    import grammar
    import oracle
    from corpus.save import expected_arrays

    case = _case()
    inputs = grammar.make_inputs(case)
    policy = SETTINGS.policy
    exp = expected_arrays(case, inputs, SETTINGS)["out2"]
    orc = oracle.evaluate(case.module_source(), case.kernel_name, inputs, case.dim)
    bound = np.broadcast_to(orc.error_bound["out2"], exp.values.shape).astype(np.float64)
    tol = J.element_tolerance(exp.values, bound, policy)
    assert exp.values.dtype == np.float32 and np.array_equal(exp.tolerance, tol) and (tol > 0).all()
    e64 = exp.values.astype(np.float64)
    inside = (e64 + 0.5 * tol).astype(np.float32)
    outside = (e64 + 3.0 * tol).astype(np.float32)
    assert J.compare_array("out2", inside, exp.values, bound, None, policy).passed
    check = J.compare_array("out2", outside, exp.values, bound, None, policy)
    assert not check.passed and check.bad == exp.values.size and check.worst_index is not None
    assert check.tolerance == float(tol[tuple(check.worst_index)])
