"""The reach families: each writes its construct class (read back from the source by the census),
they compile on Warp CPU, their weights work, non-reach seeds keep their kernels, and a
nonfinite kernel's special input really holds NaN, ±Inf, -0.0 and subnormals."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

import grammar
from fuzz.engine.compile_check import compile_batch, init_warp
from grammar import GenConfig, generate, make_inputs, parse_weights
from grammar.families import REACH_FAMILIES

_spec = importlib.util.spec_from_file_location(
    "census_script", Path(__file__).parent.parent / "scripts" / "census.py"
)
assert _spec is not None and _spec.loader is not None
census_mod = sys.modules.setdefault("census_script", importlib.util.module_from_spec(_spec))
if not hasattr(census_mod, "census"):
    _spec.loader.exec_module(census_mod)

CLASS_OF = {
    "side_effects": "side_effects",
    "lvalues": "lvalues",
    "names": "names",
    "loops_reach": "loops",
    "nonfinite": "nonfinite",
}
NO_REACH = GenConfig(weights=parse_weights(",".join(f"{f}=0" for f in REACH_FAMILIES)))


@pytest.mark.parametrize("family", REACH_FAMILIES)
def test_every_reach_kernel_contains_its_class(family):
    forms: set[str] = set()
    for seed in range(40):
        c = generate(seed, family=family)
        found = census_mod.census(c.source)
        assert CLASS_OF[family] in found.forms, (family, seed, c.source)
        forms |= found.forms[CLASS_OF[family]]
    want = {
        "side_effects": {"index", "augassign", "and_or", "ternary", "call_arg", "loop_bound"},
        "lvalues": {
            "subscript_augassign",
            "attribute_store",
            "attribute_augassign",
            "nested_store",
            "local_struct",
        },
        "names": {
            "loop_var_read_after",
            "loop_var_reused",
            "shadowed_loop_var",
            "bound_on_every_branch",
            "reassigned_in_unrolled_and_dynamic_loops",
        },
        "loops_reach": {"range3_expressions", "negative_step", "break_continue_nested", "return_in_loop"},
        "nonfinite": {"wp.inf", "isnan", "isinf", "isfinite"},
    }[family]
    assert want <= forms, sorted(want - forms)


def test_census_says_no_on_the_safe_subset():
    """A kernel of the old safe families has none of the forms the census looks for in it."""
    src = generate(3, NO_REACH, family="elementwise").source
    assert not census_mod.census(src).forms


def test_default_mix_reaches_every_class():
    seen: set[str] = set()
    for seed in range(400):
        seen |= set(census_mod.census(generate(seed).source).forms)
    assert seen == set(census_mod.CLASSES)


def test_non_reach_seeds_keep_their_kernels():
    """Whether a seed is a reach kernel is a hash of the seed: the others draw as before."""
    same = reach = 0
    for seed in range(200):
        c = generate(seed)
        if c.family in REACH_FAMILIES:
            reach += 1
            continue
        assert c.source == generate(seed, NO_REACH).source, seed
        same += 1
    assert reach >= 20 and same >= 120


def test_reach_weights_parse_and_steer():
    w = parse_weights("lvalues=5,names=0")
    assert w["lvalues"] == 5.0 and w["names"] == 0.0
    cfg = GenConfig(weights=w)
    fams = [generate(s, cfg).family for s in range(300)]
    # about 42 (a reach kernel in 21 % of seeds, 5/7.4 of them lvalues); about 8 at the default weight
    assert "names" not in fams and fams.count("lvalues") > 25
    only = GenConfig(weights=parse_weights(",".join(f"{f}=0" for f in grammar.FAMILIES if f != "nonfinite")))
    assert {generate(s, only).family for s in range(10)} == {"nonfinite"}


def test_nonfinite_inputs_hold_special_values_deterministically():
    c = generate(5, family="nonfinite")
    specs = [p for p in c.params if p.special]
    assert len(specs) == 1 and specs[0].role == "inout"
    a, b = make_inputs(c)[specs[0].name], make_inputs(c)[specs[0].name]
    np.testing.assert_array_equal(a, b)
    big = generate(0, family="nonfinite")
    vals = np.concatenate([make_inputs(generate(s, family="nonfinite"))[p.name] for s in range(6)
                           for p in generate(s, family="nonfinite").params if p.special])  # fmt: skip
    assert np.isnan(vals).any() and np.isposinf(vals).any() and np.isneginf(vals).any()
    assert (np.signbit(vals) & (vals == 0)).any() and ((vals != 0) & (np.abs(vals) < 1.2e-38)).any()
    assert not any(p.special for p in big.params if p.role == "in")  # no float input to differentiate


def test_reach_kernels_compile_and_launch_on_warp_cpu(tmp_path):
    init_warp()
    cases = [generate(100 * j + s, family=f) for j, f in enumerate(REACH_FAMILIES) for s in range(4)]
    fails = compile_batch(cases, tmp_path, "reach")
    assert not fails, [(f.seed, f.family, f.stage, f.message[-300:]) for f in fails]


def test_generator_version_bumped():
    assert grammar.GENERATOR_VERSION == "1.7.3"
