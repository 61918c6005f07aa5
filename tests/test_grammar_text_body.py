"""Bodies built as text (reach, compile_time, tiles) are spliced into the rendered kernel instead
of being parsed and printed back by libcst: the source must be the same byte for byte."""

from __future__ import annotations

import libcst as cst
import pytest

import grammar
from grammar.gen import TEXT_BODY_MARK, Gen

FAMILIES = ("side_effects", "lvalues", "names", "loops_reach", "nonfinite", "compile_time", "tiles")


def _sources(family: str) -> list[str]:
    cfg = grammar.GenConfig(warp_version="1.19.0")
    return [grammar.generate(s, cfg, family=family).source for s in range(25)]


@pytest.mark.parametrize("family", FAMILIES)
def test_splice_equals_parse_and_render(family: str, monkeypatch: pytest.MonkeyPatch) -> None:
    spliced = _sources(family)
    monkeypatch.setattr(Gen, "text_body", lambda self, text: list(cst.parse_module(text).body))
    parsed = _sources(family)
    assert spliced == parsed
    assert not any(TEXT_BODY_MARK in s for s in spliced)


def test_blank_lines_are_parsed_not_spliced() -> None:
    gen = Gen.__new__(Gen)
    gen.body_text = None
    body = gen.text_body("x = 1\n\ny = 2\n")
    assert gen.body_text is None and len(body) == 2
    assert gen.text_body("x = 1\n")[0] is not None and gen.body_text == "x = 1\n"
