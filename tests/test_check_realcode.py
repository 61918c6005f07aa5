"""`python -m fuzz check` on kernels written like Warp's own code (issue 28): annotation forms,
extraction from files that do not import, the per-file table, inferred launch shapes, line numbers."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from fuzz.cli import main
from fuzz.extract import extract, kernel_defs
from oracle.errors import Unsupported
from oracle.source import parse_module
from oracle.types import ArrayT, Composite, StructT, parse_annotation

KERNELS = Path(__file__).parent / "kernels"
FORMS = KERNELS / "realcode_forms.py"
MISSING = KERNELS / "realcode_missing_import.py"


def _check(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(["check", *argv, "--devices", "cpu"])
    out = capsys.readouterr()
    return status, out.out, out.err


# ---- the resolver, on source text alone ------------------------------------------------------


def _ann(text: str, module: str = "") -> object:
    info = parse_module("import warp as wp\n" + module)
    return parse_annotation(ast.parse(text, mode="eval").body, info.structs)


def test_every_array_annotation_form_resolves() -> None:
    assert _ann("wp.array[float]") == ArrayT(_ann("wp.float32"), 1)  # type: ignore[arg-type]
    assert _ann("wp.array1d[wp.int32]") == _ann("wp.array(dtype=wp.int32)")
    assert _ann("wp.array2d[wp.vec3]") == _ann("wp.array(dtype=wp.vec3, ndim=2)")
    assert _ann("wp.array3d[float]") == _ann("wp.array3d(dtype=float)")
    assert _ann("wp.array4d[float]") == ArrayT(_ann("float"), 4)  # type: ignore[arg-type]
    assert _ann("wp.types.vector(length=3, dtype=float)") == _ann("wp.vec3f")
    assert _ann("wp.types.matrix(shape=(2, 2), dtype=wp.float64)") == _ann("wp.mat22d")
    aliases = "Float = wp.float64\nvec3x = wp.types.vector(3, dtype=float)\nArr = wp.array2d[vec3x]\n"
    assert _ann("Float", aliases) == _ann("wp.float64")
    assert _ann("wp.array[vec3x]", aliases) == _ann("wp.array(dtype=wp.vec3f)")
    a = _ann("Arr", aliases)
    assert isinstance(a, ArrayT) and a.ndim == 2 and isinstance(a.dtype, Composite)


def test_forms_the_oracle_does_not_model_are_refused_by_name() -> None:
    cases = {
        "wp.indexedarray[float]": "indexed array",
        "vec5": "vector of length 5",
        "wp.types.matrix(shape=(2, 3), dtype=float)": "matrix of shape 2x3",
        "typing.Any": "typing.Any generic",
        "Any": "typing.Any generic",
        "wp.array[P]": "array of structs",
    }
    module = "vec5 = wp.types.vector(length=5, dtype=float)\n@wp.struct\nclass P:\n    x: float\n"
    for text, construct in cases.items():
        with pytest.raises(Unsupported, match=construct):
            _ann(text, module)


def test_struct_with_array_field_and_module_constants_parse() -> None:
    info = parse_module(FORMS.read_text())
    grid = info.structs["Grid"]
    assert isinstance(grid, StructT) and isinstance(grid.field("values"), ArrayT)
    assert info.constants["SCALE"].t is not None and info.constants["SCALE"].value == 1.5
    assert info.constants["OFFSET"].t is None  # a plain Python number reads as the literal


# ---- check on real Warp -------------------------------------------------------------------------


def test_each_form_verifies_against_real_warp(capsys: pytest.CaptureFixture[str]) -> None:
    # subscript_1d: wp.array[float], an alias, a helper without return annotation, wp.constant;
    # vec_2d: wp.array2d[wp.vec3] and a wp.types.vector alias, 2-D launch from `i, j = wp.tid()`;
    # grid_3d: wp.array3d[float], wp.array(dtype=, ndim=3), a tuple return, 3-D launch;
    # struct_array: a struct holding an array the kernel writes; mat_4d: wp.array4d[float], a
    # wp.types.matrix alias, a 4-D launch; generic_helper: a typing.Any @wp.func called with a
    # float and with a vector (one Warp overload each)
    status, out, _ = _check(capsys, str(FORMS))
    assert status == 0, out
    assert "6 kernel(s)" in " ".join(out.split())
    for k in ("subscript_1d", "vec_2d", "grid_3d", "struct_array", "mat_4d", "generic_helper"):
        assert f"{k}: verified" in out
    assert "g.values" in out  # the struct's array is compared too
    assert "8x8" not in out  # no usage hint: the launch shapes came from wp.tid()


def test_launch_shape_comes_from_tid_unpacking(capsys: pytest.CaptureFixture[str]) -> None:
    from fuzz.synth import launch_dim

    tree = ast.parse(FORMS.read_text())
    fns = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
    assert launch_dim(fns["subscript_1d"]) == (64,)
    assert launch_dim(fns["vec_2d"]) == (8, 8)
    assert launch_dim(fns["grid_3d"]) == (4, 4, 4)
    assert launch_dim(fns["mat_4d"]) == (4, 4, 2, 2)
    status, out, _ = _check(capsys, str(FORMS), "--kernel", "grid_3d")
    assert status == 0 and "grid_3d: verified" in out
    assert "64" in out  # 4x4x4 elements compared


def test_a_file_whose_import_fails_is_checked_through_extraction(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = _check(capsys, str(MISSING), "--kernel", "clamp_kernel")
    assert status == 0, out
    assert "importing" in out and "extracted" in out
    assert "clamp_kernel: verified" in out


def test_multi_kernel_file_prints_one_table_and_the_worst_status(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = _check(capsys, str(MISSING))
    assert status == 2  # clamp_kernel verified, tiled refused: the refusal is the worst
    assert "2 kernel(s)" in out
    assert "clamp_kernel" in out and "tiled" in out


def test_line_numbers_are_the_files_after_extraction(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = _check(capsys, str(MISSING), "--kernel", "tiled")
    assert status == 2
    line = next(n for n, t in enumerate(MISSING.read_text().splitlines(), 1) if "wp.tile_load" in t)
    assert f"pass --block-dim B (wp.tile_load, line {line})" in " ".join(out.split())


def test_extraction_places_definitions_at_their_lines() -> None:
    src = MISSING.read_text()
    ex = extract(src, str(MISSING), "clamp_kernel")
    assert not ex.unresolved and ex.line_offset == 0
    module = ("import warp as wp\n\n" + ex.source).splitlines()
    file_lines = src.splitlines()
    for name in ("def bounded", "def clamp_kernel", "LIMIT = wp.constant"):
        n = next(i for i, t in enumerate(file_lines) if t.startswith(name))
        assert module[n] == file_lines[n]
    assert "warpfuzz_package_that_is_not_installed" not in ex.source
    assert [k.name for k in kernel_defs(src, "f")] == ["clamp_kernel", "tiled"]


def test_unresolvable_names_are_named_with_their_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    f = tmp_path / "uses_missing.py"
    f.write_text(
        "import warp as wp\nimport warpfuzz_package_that_is_not_installed as pkg\n\n\n"
        "@wp.kernel\ndef k(a: wp.array[float]):\n    i = wp.tid()\n    a[i] = a[i] * pkg.FACTOR\n"
    )
    status, out, _ = _check(capsys, str(f))
    assert status == 2
    text = " ".join(out.split())
    assert "name 'pkg' (line 8) is imported from warpfuzz_package_that_is_not_installed" in text


def test_a_wrong_oracle_still_says_mismatch_through_extraction(capsys: pytest.CaptureFixture[str]) -> None:
    # clamp modelled as max(x, lo): the device clamps 2*a to [-1, 1], the planted oracle does not
    status, out, _ = _check(
        capsys, str(MISSING), "--kernel", "clamp_kernel", "--float-range", "0:3",
        "--oracle-registry", "tests.support.wrong_oracles:wrong_clamp",
    )  # fmt: skip
    assert status == 1
    assert "clamp_kernel: mismatch" in out and "cpu≠oracle" in out


def test_host_objects_are_refused_by_name(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "mesh.py"
    f.write_text(
        "import warp as wp\n\n\n@wp.kernel\ndef q(mesh: wp.uint64, p: wp.array[wp.vec3], d: wp.array[float]):\n"
        "    i = wp.tid()\n    r = wp.mesh_query_point(mesh, p[i], 1.0e6)\n    d[i] = r.u\n"
    )
    status, out, _ = _check(capsys, str(f))
    assert status == 2
    assert "host object wp.Mesh not modelled: wp.mesh_query_point, line 7" in " ".join(out.split())


def test_hints_match_the_cause(capsys: pytest.CaptureFixture[str]) -> None:
    hints = KERNELS / "realcode_hints.py"
    status, out, err = _check(capsys, str(hints), "--kernel", "reads_past_the_end")
    assert status == 2 and "reads_past_the_end: invalid_kernel" in out
    assert "out of bounds by construction" in err and "--int-range" not in err  # no integer input to narrow
    status, out, err = _check(capsys, str(hints), "--kernel", "last_writer_wins")
    assert status == 2 and "order-dependent:" in out
    assert "depends on thread order" in err and "not a Warp bug" in err


def test_tiled_kernels_are_refused_before_compiling(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    f = tmp_path / "tiled_inside.py"
    f.write_text(
        "import warp as wp\n\n\ndef make(n):\n    @wp.kernel\n    def k(a: wp.array2d[float]):\n"
        "        t = wp.tile_load(a, shape=(n, n))\n        wp.tile_store(a, t)\n\n    return k\n"
    )
    status, out, _ = _check(capsys, str(f))
    assert status == 2
    assert (
        "a tiled kernel needs its launch's threads per block: pass --block-dim B (wp.tile_load, line 7)"
        in " ".join(out.split())
    )


def test_line_numbers_survive_a_shifted_extraction(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # no free line above the kernel for `import math`: the extracted module is shifted by one line
    # and every message is mapped back to the file's lines
    f = tmp_path / "tight.py"
    f.write_text(
        "import math\nimport warp as wp\n@wp.kernel\ndef k(a: wp.array[float]):\n    i = wp.tid()\n"
        "    a[i] = a[i] * math.pi\n    s = wp.mesh_eval_position(wp.uint64(0), 0, 0.5, 0.5)\n"
    )
    assert extract(f.read_text(), str(f), "k").line_offset == 1
    status, out, _ = _check(capsys, str(f))
    assert status == 2
    msg = "host object wp.Mesh not modelled: wp.mesh_eval_position, line 7"
    assert msg in " ".join(out.split())


def test_values_computed_at_import_are_captured_as_literals(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # NumPy-computed module values: the file imports, so extraction writes the numbers they hold
    f = tmp_path / "numpy_consts.py"
    f.write_text(
        "import numpy as np\nimport warp as wp\n\nSCALE = np.sqrt(2.0)\nOFF = wp.constant(float(np.float32(0.25)))\n"
        "\n\n@wp.kernel\ndef k(a: wp.array[float]):\n    i = wp.tid()\n    a[i] = a[i] * SCALE + OFF\n"
    )
    status, out, _ = _check(capsys, str(f))
    assert status == 0 and "k: verified" in out
