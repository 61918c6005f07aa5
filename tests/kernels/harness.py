"""Compile hand-written kernel modules with real Warp on CPU and compare with the oracle.

Imported as `kernels.harness` by tests/conftest.py and the oracle tests (pytest puts tests/ on the path). The comparison is the judge's
rule in miniature: ints exactly, floats |dev - orc| <= 2*bound + 1 ulp on non-unstable elements.
"""

from __future__ import annotations

import importlib.util
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

KERNEL_DIR = Path(__file__).resolve().parent
REPO = KERNEL_DIR.parent.parent
# conftest's `warp_module` fixture: (name, source, enable_backward=None, folder=name) -> module
WarpModuleFactory = Callable[..., ModuleType]


def init_warp() -> Any:
    import warp as wp

    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    if not getattr(wp._src.context, "runtime", None):  # not yet initialised
        wp.config.kernel_cache_dir = str(Path(tempfile.gettempdir()) / "warpfuzz-oracle-test-kcache")
        wp.config.quiet = True
        wp.init()
    return wp


def import_file(path: Path, name: str, source: str | None = None) -> ModuleType:
    """Import `path` as module `name`, first writing `source` there when given: Warp reads a
    kernel's source from its module's file, so a string alone cannot become a Warp module."""
    if source is not None:
        path.write_text(source)
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None, f"{path}: not importable as {name}"
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


def load_module(filename: str) -> Any:
    """Import a kernel file by path under a unique module name (Warp reads the source file)."""
    init_warp()
    path = KERNEL_DIR / filename
    name = f"oracle_test_kernels_{path.stem}"
    if name in sys.modules:
        return sys.modules[name]
    return import_file(path, name)


def source_of(filename: str) -> str:
    return (KERNEL_DIR / filename).read_text()


def run_device(mod: Any, kernel: str, args: dict[str, Any], dim: tuple[int, ...]) -> dict[str, np.ndarray]:
    from fuzz.engine.launch import launch

    return launch(getattr(mod, kernel), {k: _copy(v) for k, v in args.items()}, dim, "cpu")


def _copy(v: Any) -> Any:
    if isinstance(v, dict):
        return {k: _copy(x) for k, x in v.items()}
    return np.array(v, copy=True) if isinstance(v, np.ndarray) else v


@dataclass
class Comparison:
    mismatches: list[str]
    checked: int
    unstable: int
    max_ratio: float  # max |dev-orc| / allowed over checked float elements

    @property
    def ok(self) -> bool:
        return not self.mismatches


def ulp(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x)
    with np.errstate(all="ignore"):
        return np.abs(np.spacing(np.abs(x).astype(x.dtype))).astype(np.float64)


def compare(dev: dict[str, np.ndarray], orc: Any, names: list[str] | None = None) -> Comparison:
    mism: list[str] = []
    checked = unstable = 0
    ratio = 0.0
    for name in names or list(orc.arrays):
        d, o = dev[name], orc.arrays[name]
        if d.shape != o.shape or d.dtype != o.dtype:
            mism.append(f"{name}: shape/dtype {d.shape}/{d.dtype} vs {o.shape}/{o.dtype}")
            continue
        un = orc.unstable[name]
        unstable += int(un.sum())
        ok_mask = ~un
        checked += int(ok_mask.sum())
        if np.issubdtype(d.dtype, np.floating):
            with np.errstate(all="ignore"):
                dd, oo = d.astype(np.float64), o.astype(np.float64)
                both_nan = np.isnan(dd) & np.isnan(oo)
                same = (dd == oo) | both_nan
                allowed = 2 * orc.error_bound[name] + ulp(d)
                diff = np.abs(dd - oo)
                good = same | (diff <= allowed)
                fin = ok_mask & ~same & np.isfinite(diff) & (allowed > 0)
                if fin.any():
                    ratio = max(ratio, float(np.max(diff[fin] / allowed[fin])))
        else:
            good = d == o
        bad = ok_mask & ~good
        if bad.any():
            where = np.argwhere(bad)[:5]
            for w in where:
                t = tuple(int(i) for i in w)
                mism.append(
                    f"{name}{list(t)}: device {d[t]!r} oracle {o[t]!r} bound {orc.error_bound[name][t]!r}"
                )
    return Comparison(mism, checked, unstable, ratio)


def check_against_oracle(
    mod: Any, src: str, kernel: str, args: dict[str, Any], dim: tuple[int, ...], min_checked: int
) -> Any:
    """Run `kernel` on Warp CPU and in the oracle; fail on any mismatch or too few checked elements."""
    import oracle

    dev = run_device(mod, kernel, args, dim)
    orc = oracle.evaluate(src, kernel, args, dim)
    cmp = compare(dev, orc)
    assert cmp.ok, f"{kernel}: " + "; ".join(cmp.mismatches[:8])
    assert cmp.checked >= min_checked, f"{kernel}: only {cmp.checked} checked ({cmp.unstable} unstable)"
    return orc
