"""`check --block-dim` on hand-written tile kernels: verified, a planted wrong oracle says no, a
tile builtin the oracle does not model and a tiled kernel without --block-dim are refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from fuzz.cli import main

KERNELS = """
import warp as wp

TILE = 8


@wp.kernel
def row_sums(a: wp.array2d(dtype=wp.float32), out: wp.array2d(dtype=wp.float32), s: wp.array(dtype=wp.float32)):
    i = wp.tid()
    t = wp.tile_load(a, shape=(TILE, TILE), offset=(i * TILE, 0))
    u = wp.tile_map(wp.sin, t) * 2.0 + t
    wp.tile_store(out, u, offset=(i * TILE, 0))
    r = wp.tile_sum(u)
    s[i] = r[0]


@wp.kernel
def per_thread(out: wp.array(dtype=wp.float32)):
    i = wp.tid()
    t = wp.tile(float(i))
    wp.tile_store(out, t)
"""


@pytest.fixture(scope="module")
def tile_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    p = tmp_path_factory.mktemp("check_tiles") / "tiles.py"
    p.write_text(KERNELS)
    return p


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    status = main(["check", *argv])
    return status, " ".join(capsys.readouterr().out.split())


def test_tiled_kernel_verifies_with_block_dim(tile_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for b in ("1", "16"):
        status, out = _run(
            capsys, str(tile_file), "--devices", "cpu", "--kernel", "row_sums", "--dim", "3", "--block-dim", b
        )
        assert status == 0, out
        assert "row_sums" in out and "verified" in out


def test_tiled_kernel_says_no_with_a_wrong_oracle(
    tile_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out = _run(
        capsys, str(tile_file), "--devices", "cpu", "--kernel", "row_sums", "--dim", "3", "--block-dim", "16",
        "--oracle-registry", "tests.support.wrong_oracles:wrong_sin",
    )  # fmt: skip
    assert status == 1, out
    assert "mismatch" in out


def test_refusals(tile_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out = _run(capsys, str(tile_file), "--devices", "cpu", "--kernel", "row_sums", "--dim", "3")
    assert status == 2 and "pass --block-dim B (wp.tile_load, line 10)" in out
    status, out = _run(
        capsys, str(tile_file), "--devices", "cpu", "--kernel", "per_thread", "--block-dim", "4"
    )
    # wp.tile is modelled only where its value cannot depend on the block width (inside untile,
    # tile_max, ...): stored as a tile here, the oracle refuses it, naming the call and its line
    assert status == 2 and "oracle_unsupported" in out and "wp.tile, line 20" in out, out
