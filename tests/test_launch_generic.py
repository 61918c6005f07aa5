"""Launching a generic kernel: the runner runs its declared instance whose types fit the
arguments, and refuses (naming the kernel) when none or several fit, rather than letting Warp
instantiate a new one and rebuild the module at launch time."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from fuzz.engine.launch import instance_for, launch
from fuzz.engine.wpmodule import WarpModule

SOURCE = """
import typing


@wp.kernel
def twice(x: wp.array(dtype=typing.Any), out: wp.array(dtype=typing.Any)):
    i = wp.tid()
    out[i] = x[i] + x[i] + x.dtype(1)


@wp.overload
def twice(x: wp.array(dtype=wp.int32), out: wp.array(dtype=wp.int32)): ...


twice_f = wp.overload(twice, [wp.array(dtype=wp.float32), wp.array(dtype=wp.float32)])
"""


def test_the_instance_that_fits_runs_and_none_fitting_is_refused(tmp_path: Path) -> None:
    mod = WarpModule.build([SOURCE], "launch_generic", str(tmp_path))
    with mod:
        k = mod.kernel("twice")
        assert k.is_generic and len(k.overloads) == 2
        ints = {"x": np.arange(4, dtype=np.int32), "out": np.zeros(4, np.int32)}
        floats = {"x": np.full(4, 0.25, np.float32), "out": np.zeros(4, np.float32)}
        assert instance_for(k, ints) is not instance_for(k, floats)
        got = launch(k, ints, (4,), "cpu")
        assert got["out"].dtype == np.int32 and got["out"].tolist() == [1, 3, 5, 7]
        got = launch(k, floats, (4,), "cpu")
        assert got["out"].dtype == np.float32 and np.allclose(got["out"], 1.5)
        n = len(k.overloads)
        doubles = {"x": np.zeros(4, np.float64), "out": np.zeros(4, np.float64)}
        with pytest.raises(TypeError, match="twice.*no declared instance fits"):
            launch(k, doubles, (4,), "cpu")
        assert len(k.overloads) == n  # nothing was instantiated
