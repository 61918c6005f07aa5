"""`grammar.gates.DETECTABLE` lists exactly what `features_used` can report, so the generator's
shortcut (no parse when every gate a release lacks is undetectable) never skips a real check."""

from __future__ import annotations

import ast
import inspect

from grammar import gates as G


def _reported_names() -> set[str]:
    tree = ast.parse(inspect.getsource(G.features_used))
    out: set[str] = set()
    for n in ast.walk(tree):
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "add":
            out |= {a.value for a in n.args if isinstance(a, ast.Constant) and isinstance(a.value, str)}
        if isinstance(n, ast.AugAssign) and isinstance(n.op, ast.BitOr):
            out |= {
                c.value for c in ast.walk(n.value) if isinstance(c, ast.Constant) and isinstance(c.value, str)
            }
    return out


def test_detectable_matches_features_used() -> None:
    assert _reported_names() == set(G.DETECTABLE)


def test_missing_features_still_says_no_for_an_older_release() -> None:
    src = "@wp.kernel\ndef k(out: wp.array(dtype=wp.int32)):\n    out[0] = wp.bit_count(wp.uint32(3))\n"
    assert [g.name for g in G.missing_features(src, "1.18.0")] == ["bit_count"]
    assert G.missing_features(src, "1.19.0") == []


def test_shortcut_when_nothing_detectable_is_off() -> None:
    # a table whose only missing gate is undetectable: the answer is [] whatever the source
    undetectable = tuple(g for g in G.GATES if g.name not in G.DETECTABLE and g.since is None)
    assert undetectable
    assert G.missing_features("this is not python (", "1.19.0", undetectable) == []
