"""Known-table patterns match the bug's shape and only it; the struct-field component adjoint that
Warp 1.19.0 drops is real (measured here on CPU, d out/d a against the hand-derived 1)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

from corpus.known import KNOWN
from grammar.case import MODULE_HEADER

STRUCT = """
@wp.struct
class S:
    f: float
    v: wp.vec3


@wp.struct
class T:
    s: S
"""


def _kernel(body: str, params: str = "a: wp.array(dtype=wp.float32), out: wp.array(dtype=wp.float32)") -> str:
    lines = "".join("    " + line + "\n" for line in body.splitlines())
    return STRUCT + f"\n\n@wp.kernel\ndef k({params}):\n    i = wp.tid()\n" + lines


BUGGY = {
    "assign": "s = S()\ns.v[2] = a[i]\nout[i] = s.v[2]",
    "add": "s = S()\ns.v[2] += a[i]\nout[i] = s.v[2]",
    "nested": "t = T()\nt.s.v[0] += a[i]\nout[i] = t.s.v[0]",
}
FINE = {
    "local_vector": "w = wp.vec3()\nw[2] += a[i]\nout[i] = w[2]",
    "scalar_field": "s = S()\ns.f += a[i]\nout[i] = s.f",
    "array_store": "out[i] = a[i]",
}


def _matches(src: str, verdict: str = "gradient_mismatch") -> bool:
    entry = KNOWN.get("struct-field-component-adjoint")
    return entry.matches_reduced("gradient", verdict, set(), src, "k", "1.19.0", set())


def test_pattern_matches_the_struct_field_component_write_only() -> None:
    for name, body in BUGGY.items():
        assert _matches(_kernel(body)), name
        assert not _matches(_kernel(body), verdict="mismatch"), name  # a gradient entry only
    for name, body in FINE.items():
        assert not _matches(_kernel(body)), name
    # an array field of a struct argument is an array store, not a local struct's component
    param = _kernel(
        "p.arr[i] = a[i]\nout[i] = a[i]",
        "p: P, a: wp.array(dtype=wp.float32), out: wp.array(dtype=wp.float32)",
    )
    assert not _matches(param)


def test_warp_drops_the_struct_field_component_adjoint(tmp_path: Path) -> None:
    import warp as wp

    wp.config.quiet = True
    # one struct definition for the module, one kernel per body
    src = (
        MODULE_HEADER
        + STRUCT
        + "".join(
            _kernel(body)[len(STRUCT) :].replace("def k(", f"def k_{name}(")
            for name, body in {**BUGGY, **FINE}.items()
            if name != "array_store"
        )
    )
    path = tmp_path / "wf_struct_field_adjoint.py"
    path.write_text(src)
    spec = importlib.util.spec_from_file_location("wf_struct_field_adjoint", path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    try:
        spec.loader.exec_module(mod)
        grads = {}
        for name in [n for n in {**BUGGY, **FINE} if n != "array_store"]:
            a = wp.array(np.array([1.5, -0.5], np.float32), requires_grad=True, device="cpu")
            out = wp.zeros(2, dtype=wp.float32, requires_grad=True, device="cpu")
            tape = wp.Tape()
            with tape:
                wp.launch(getattr(mod, f"k_{name}"), dim=2, inputs=[a], outputs=[out], device="cpu")
            np.testing.assert_allclose(out.numpy(), a.numpy())  # the forward result is right
            tape.backward(grads={out: wp.ones(2, dtype=wp.float32, device="cpu")})
            grads[name] = a.grad.numpy().copy()
    finally:
        sys.modules.pop(spec.name, None)
    if not wp.__version__.startswith("1.19."):
        pytest.skip(f"the adjoint was measured on 1.19.0; installed {wp.__version__}")
    for name in BUGGY:
        assert np.all(grads[name] == 0.0), (name, grads[name])  # true gradient: 1
    for name in FINE:
        if name in grads:
            np.testing.assert_allclose(grads[name], 1.0, err_msg=name)
