"""Typed expressions: a libcst node with its Warp type and value interval, plus node builders."""

from __future__ import annotations

import re
from dataclasses import dataclass

import libcst as cst

from grammar.dtypes import BOOL, Interval, cap, scalar


class Rejected(Exception):
    """This draw cannot satisfy its guards; the caller retries with another choice (counted)."""


class GuardViolation(AssertionError):
    """An expression's interval left its dtype's safe range: a production lacks a guard (a bug)."""


@dataclass(frozen=True)
class Expr:
    """A generated expression. `iv` bounds every scalar component; `dtype` is a Warp type name."""

    node: cst.BaseExpression
    dtype: str
    iv: Interval

    @property
    def scalar_type(self) -> str:
        from grammar.composite import component_scalar

        return component_scalar(self.dtype)


def checked(e: Expr) -> Expr:
    """Refuse an expression whose interval exceeds its dtype's cap: every production calls this."""
    st = e.scalar_type
    c = cap(st)
    if not e.iv.within(c):
        raise GuardViolation(
            f"interval [{e.iv.lo}, {e.iv.hi}] of {e.dtype} expression "
            f"{cst.Module(body=[]).code_for_node(e.node)!r} exceeds the safe range [{c.lo}, {c.hi}]"
        )
    return e


# ---- node builders ---------------------------------------------------------------------------

_PAREN_TYPES = (
    cst.BinaryOperation,
    cst.UnaryOperation,
    cst.Comparison,
    cst.BooleanOperation,
    cst.IfExp,
)


def paren(node: cst.BaseExpression) -> cst.BaseExpression:
    """Parenthesize compound nodes used as operands (libcst does not insert parentheses)."""
    if isinstance(node, _PAREN_TYPES) and not node.lpar:
        return node.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
    return node


def name(n: str) -> cst.Name:
    return cst.Name(n)


def wp_attr(attr: str) -> cst.Attribute:
    return cst.Attribute(value=cst.Name("wp"), attr=cst.Name(attr))


# Warp 1.19 `wp.float64(x)` / `wp.int64(x)` / `wp.uint64(x)` of a *named constant* (the counter of
# an unrolled `for k in range(3)`) retypes the variable itself, so every later use of `k` is a
# 64-bit value and `k + 1` fails with "Input types must be the same" (codegen.py, the 64-bit
# constant cast shortcut). `int(k)` is a fresh, non-constant int32 the cast may retype safely.
WIDE_CASTS = frozenset({"float64", "int64", "uint64"})
_LOOP_COUNTER = re.compile(r"k[0-9]+")


def is_loop_counter(node: cst.BaseExpression) -> bool:
    """A bare `for` counter name (`gen.fresh("k")`): Warp may hold it as a constant."""
    return isinstance(node, cst.Name) and not node.lpar and _LOOP_COUNTER.fullmatch(node.value) is not None


def call(func: str | cst.BaseExpression, *args: cst.BaseExpression, **kwargs: cst.BaseExpression) -> cst.Call:
    """`wp.<func>(args)` when func is a string (bare Python builtins go through `bare_call`)."""
    f = wp_attr(func) if isinstance(func, str) else func
    if (
        isinstance(func, str)
        and func in WIDE_CASTS
        and len(args) == 1
        and not kwargs
        and is_loop_counter(args[0])
    ):
        args = (bare_call("int", args[0]),)
    a = [cst.Arg(value=x) for x in args]
    a += [cst.Arg(keyword=cst.Name(k), value=v, equal=_EQ) for k, v in kwargs.items()]
    return cst.Call(func=f, args=a)


_EQ = cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace(""))


def bare_call(func: str, *args: cst.BaseExpression) -> cst.Call:
    return cst.Call(func=cst.Name(func), args=[cst.Arg(value=x) for x in args])


def binop(left: cst.BaseExpression, op: cst.BaseBinaryOp, right: cst.BaseExpression) -> cst.BinaryOperation:
    return cst.BinaryOperation(left=paren(left), operator=op, right=paren(right))


def subscript(base: cst.BaseExpression, *idx: cst.BaseExpression) -> cst.Subscript:
    return cst.Subscript(
        value=base,
        slice=[
            cst.SubscriptElement(
                slice=cst.Index(value=x),
                comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
                if k < len(idx) - 1
                else cst.MaybeSentinel.DEFAULT,
            )
            for k, x in enumerate(idx)
        ],
    )


def fmt_float(v: float) -> str:
    r = repr(float(v))
    return r if ("." in r or "e" in r or "inf" in r or "nan" in r) else r + ".0"


def literal(dtype: str, v: float) -> Expr:
    """A literal of `dtype`: bare for float32/int32/bool, `wp.<dtype>(lit)` otherwise."""
    if dtype == BOOL:
        return Expr(cst.Name("True" if v else "False"), BOOL, Interval(int(bool(v)), int(bool(v))))
    s = scalar(dtype)
    if s.is_int:
        iv_val: float = int(v)
        if not cap(dtype).contains(iv_val):
            # an out-of-range literal wraps (or fails to compile) in Warp: always a generator bug
            raise GuardViolation(f"{dtype} literal {iv_val} lies outside the safe range {cap(dtype)}")
        text = str(abs(int(v)))
        node: cst.BaseExpression = cst.Integer(text)
    else:
        iv_val = float(v)
        node = cst.Float(fmt_float(abs(float(v))))
    if iv_val < 0:
        node = cst.UnaryOperation(operator=cst.Minus(), expression=node)
    if not s.default_literal:
        node = call(dtype, node)
    return Expr(node, dtype, Interval(iv_val, iv_val))


def code(node: cst.CSTNode) -> str:
    return cst.Module(body=[]).code_for_node(node)
