"""The kernel source of a case: helpers and structs, then the `@wp.kernel` def with its body.

Its own module so that a family's render (grammar.families.Family.render) can build on it
without importing the top-level generator."""

from __future__ import annotations

import libcst as cst

from grammar.expr import name, wp_attr
from grammar.gen import TEXT_BODY_MARK, Gen


def render(gen: Gen, body: list[cst.BaseStatement]) -> str:
    """The kernel (after its helpers and structs) as source text, without imports."""
    if len(gen.idx) == 1:
        target: cst.BaseAssignTargetExpression = name(gen.idx[0].name)
    else:
        target = cst.Tuple([cst.Element(name(v.name)) for v in gen.idx], lpar=[], rpar=[])
    tid = cst.SimpleStatementLine([cst.Assign([cst.AssignTarget(target)], cst.Call(wp_attr("tid")))])
    params = [cst.Param(name(p.spec.name), cst.Annotation(p.annotation)) for p in gen.params]
    fn = cst.FunctionDef(
        name=name(gen.kname),
        params=cst.Parameters(params),
        body=cst.IndentedBlock([tid, *body]),
        decorators=[cst.Decorator(wp_attr("kernel"))],
    )
    module = cst.Module(body=[*gen.helpers, fn])
    code = module.code
    if gen.body_text is None:
        return code
    mark = f"    {TEXT_BODY_MARK}\n"
    if code.count(mark) != 1:
        raise AssertionError(f"{gen.kname}: the text body's marker appears {code.count(mark)} times")
    text = "".join(f"    {line}\n" for line in gen.body_text.splitlines())
    return code.replace(mark, text)
