"""Random-number productions (tag `random`): draws from the kernel's rng state and from temporaries.

A `random` kernel binds `rngN = wp.rand_init(seed[, offset])` first (`add_state`); the state is a
`uint32` local no other production reads or assigns (readable=False, assignable=False), so it only
changes through the draws here, which advance it in place as Warp's `uint32& state` does. Draws
from a temporary state (`wp.randf(wp.rand_init(s, o))`) need no state and are available anywhere.
Result intervals come from rand.h: randf in [0, 1 - 2^-24], randn within |sqrt(-2 log 5.96e-8)|
< 5.8, the samplers on or inside the unit shapes, randi(lo, hi) in [lo, hi - 1]; noise.h's
noise/pnoise of float32/vec2f/vec3f/vec4f coordinates (clamped to [-1000, 1000]) within [-2, 2],
curlnoise of vec2f/vec3f/vec4f coordinates (clamped to [-100, 100], 1-3 octaves) within 200.
"""

from __future__ import annotations

from collections.abc import Callable

import libcst as cst

from grammar.dtypes import Interval
from grammar.expr import Expr, call, literal, name
from grammar.fixers import clamp_to
from grammar.gen import Gen
from grammar.production import Production
from grammar.scope import Var

STATE_PREFIX = "rng"
INT32_MAX = 2**31 - 1

SAMPLERS: dict[str, tuple[str, Interval]] = {
    "sample_triangle": ("vec2f", Interval(0.0, 1.0)),
    "sample_unit_ring": ("vec2f", Interval(-1.0, 1.0)),
    "sample_unit_disk": ("vec2f", Interval(-1.0, 1.0)),
    "sample_unit_square": ("vec2f", Interval(-0.5, 0.5)),
    "sample_unit_sphere_surface": ("vec3f", Interval(-1.0, 1.0)),
    "sample_unit_sphere": ("vec3f", Interval(-1.0, 1.0)),
    "sample_unit_hemisphere_surface": ("vec3f", Interval(-1.0, 1.0)),
    "sample_unit_hemisphere": ("vec3f", Interval(-1.0, 1.0)),
    "sample_unit_cube": ("vec3f", Interval(-0.5, 0.5)),
}
RANDOM_CALLS = frozenset(
    {"rand_init", "randi", "randu", "randf", "randn", "poisson", "noise", "pnoise", "curlnoise", *SAMPLERS}
)
NOISE_COORDS = ("float32", "vec2f", "vec3f", "vec4f")


def state_of(gen: Gen) -> str | None:
    """The name of the case's rng state, when its layout bound one."""
    for v in gen.scope.all():
        if v.name.startswith(STATE_PREFIX) and v.dtype == "uint32":
            return v.name
    return None


def add_state(gen: Gen) -> cst.BaseStatement:
    """`rngN = wp.rand_init(seed)` or `wp.rand_init(seed, offset)` with int32 seed/offset
    expressions (the thread index among the leaves); registers the state in scope."""
    seed = gen.expr("int32", 1)
    args = [seed.node]
    if gen.rng.chance(0.7):
        args.append(gen.expr("int32", 1).node)
    v = gen.scope.add(Var(gen.fresh(STATE_PREFIX), "uint32", Interval(0, 2**32 - 1), 0, False, False))
    return cst.SimpleStatementLine([cst.Assign([cst.AssignTarget(name(v.name))], call("rand_init", *args))])


def _has_state(gen: Gen) -> bool:
    return state_of(gen) is not None


def _state_node(gen: Gen) -> cst.BaseExpression:
    s = state_of(gen)
    assert s is not None, "a state production drawn without a state (available() says no)"
    return name(s)


def _temp_state(gen: Gen) -> cst.BaseExpression:
    """`wp.rand_init(seed[, offset])` as a temporary argument: its advance is dropped."""
    args = [gen.expr("int32", 0).node]
    if gen.rng.chance(0.5):
        args.append(gen.expr("int32", 0).node)
    return call("rand_init", *args)


def _state_arg(gen: Gen) -> cst.BaseExpression:
    if _has_state(gen) and gen.rng.chance(0.85):
        return _state_node(gen)
    return _temp_state(gen)


def _only(dtype: str, arity: int = 0) -> Callable[[Gen, str], tuple[str, ...] | None]:
    def args(gen: Gen, d: str) -> tuple[str, ...] | None:
        return ("float32",) * arity if d == dtype else None

    return args


def _prod(
    pname: str,
    makes: str,
    iv: Callable[[str, list[Expr]], Interval],
    emit: Callable[[Gen, str, list[Expr]], cst.BaseExpression],
    *,
    args: Callable[[Gen, str], tuple[str, ...] | None] | None = None,
    guard: Callable[[Gen, str, list[Expr]], list[Expr]] | None = None,
    calls: frozenset[str] = frozenset(),
    weight: float = 1.0,
    rounds: bool = True,
) -> Production:
    return Production(
        name=pname,
        tag="random",
        args=args or _only(makes),
        interval=iv,
        emit=_no_plain_emit,
        guard=guard or (lambda g, d, a: a),
        calls=calls | {"rand_init"},
        weight=weight,
        makes=frozenset({makes}),
        rounds=rounds,
        emit_typed=emit,
    )


def _no_plain_emit(a: list[cst.BaseExpression]) -> cst.BaseExpression:
    raise AssertionError("random productions emit through emit_typed")


def _fixed(iv: Interval) -> Callable[[str, list[Expr]], Interval]:
    return lambda d, a: iv


def _randi_range(gen: Gen, d: str, a: list[Expr]) -> cst.BaseExpression:
    """randi(state, lo, hi): lo an int32 expression clamped to [-1000, 1000], hi a literal above it."""
    return call("randi", _state_arg(gen), a[0].node, a[1].node)


def _randi_guard(gen: Gen, d: str, a: list[Expr]) -> list[Expr]:
    lo = clamp_to(a[0], -1000, 1000)
    hi = literal("int32", int(lo.iv.hi) + gen.rng.pick((1, 2, 7, 100, 5000)))
    return [lo, hi]


def _randi_range_iv(d: str, a: list[Expr]) -> Interval:
    return Interval(a[0].iv.lo, a[1].iv.hi - 1)


def _randf_range_iv(d: str, a: list[Expr]) -> Interval:
    return a[0].iv.union(a[1].iv)


def _randf_guard(gen: Gen, d: str, a: list[Expr]) -> list[Expr]:
    return [clamp_to(x, -1e3, 1e3) for x in a]


def _randu_range(gen: Gen, d: str, a: list[Expr]) -> cst.BaseExpression:
    lo = gen.rng.pick((0, 1, 3, 100))
    hi = lo + gen.rng.pick((1, 2, 10, 1000, 2**30))
    return call("randu", _state_arg(gen), literal("uint32", lo).node, literal("uint32", hi).node)


def _poisson_guard(gen: Gen, d: str, a: list[Expr]) -> list[Expr]:
    return [clamp_to(a[0], 0.0, 30.0)]


def random_productions() -> tuple[Production, ...]:
    def draw(fn: str) -> Callable[[Gen, str, list[Expr]], cst.BaseExpression]:
        return lambda g, d, a: call(fn, _state_arg(g), *(x.node for x in a))

    def randi_shifted(g: Gen, d: str, a: list[Expr]) -> cst.BaseExpression:
        # randi's full range reaches -2^31, outside the int32 cap: shift it down by 8 bits
        return cst.BinaryOperation(call("randi", _state_arg(g)), cst.RightShift(), cst.Integer("8"))

    prods = [
        _prod("randf", "float32", _fixed(Interval(0.0, 1.0)), draw("randf"), calls=frozenset({"randf"})),
        _prod(
            "randf_range",
            "float32",
            _randf_range_iv,
            draw("randf"),
            args=_only("float32", 2),
            guard=_randf_guard,
            calls=frozenset({"randf", "clamp"}),
        ),
        _prod("randn", "float32", _fixed(Interval(-5.8, 5.8)), draw("randn"), calls=frozenset({"randn"})),
        _prod(
            "randi_range",
            "int32",
            _randi_range_iv,
            _randi_range,
            args=lambda g, d: ("int32", "int32") if d == "int32" else None,
            guard=_randi_guard,
            calls=frozenset({"randi", "clamp"}),
            rounds=False,
        ),
        Production(
            name="randi_shifted",
            tag="random",
            args=_only("int32"),
            interval=_fixed(Interval(-(2**23), 2**23 - 1)),
            emit=_no_plain_emit,
            calls=frozenset({"randi", "rand_init"}),
            operators=frozenset({"RShift"}),
            weight=0.5,
            makes=frozenset({"int32"}),
            rounds=False,
            emit_typed=randi_shifted,
        ),
        _prod(
            "randu",
            "uint32",
            _fixed(Interval(0, 2**32 - 1)),
            draw("randu"),
            calls=frozenset({"randu"}),
            rounds=False,
        ),
        _prod(
            "randu_range",
            "uint32",
            _fixed(Interval(0, 100 + 2**30)),
            _randu_range,
            calls=frozenset({"randu"}),
            rounds=False,
        ),
        _prod(
            "poisson",
            "uint32",
            _fixed(Interval(0, 400)),
            draw("poisson"),
            args=_only("uint32", 1),
            guard=_poisson_guard,
            calls=frozenset({"poisson", "clamp"}),
            rounds=False,
            weight=0.5,
        ),
    ]

    def noise_emit(g: Gen, d: str, a: list[Expr]) -> cst.BaseExpression:
        """noise(state, x) / pnoise(state, x, p...) with one period literal (1..8) per axis; the
        state is read by value (noise.h does not advance it)."""
        st = _state_arg(g)
        if g.rng.chance(0.5):
            return call("noise", st, a[0].node)
        k = 1 if a[0].dtype == "float32" else int(a[0].dtype[3])
        periods = [literal("int32", g.rng.integer(1, 8)).node for _ in range(k)]
        return call("pnoise", st, a[0].node, *periods)

    def noise_args(g: Gen, d: str) -> tuple[str, ...] | None:
        return (g.rng.pick(NOISE_COORDS),) if d == "float32" else None

    def noise_guard(g: Gen, d: str, a: list[Expr]) -> list[Expr]:
        from grammar.composite_ops import fit

        x = a[0]
        return [clamp_to(x, -1000.0, 1000.0) if x.dtype == "float32" else fit(x, 1000.0)]

    prods.append(
        _prod(
            "noise",
            "float32",
            _fixed(Interval(-2.0, 2.0)),  # |dot(d, g)| <= |d| <= sqrt(4); blends stay within
            noise_emit,
            args=noise_args,
            guard=noise_guard,
            calls=frozenset({"noise", "pnoise", "clamp", "min", "max"}),
        )
    )

    def curl_emit(g: Gen, d: str, a: list[Expr]) -> cst.BaseExpression:
        """curlnoise(state, x[, octaves 1..3[, lacunarity, gain]]): octaves a uint32 literal."""
        extra: list[cst.BaseExpression] = []
        if g.rng.chance(0.6):
            extra.append(literal("uint32", g.rng.integer(1, 3)).node)
            if g.rng.chance(0.6):
                extra.append(literal("float32", g.rng.pick((2.0, 1.5))).node)
                extra.append(literal("float32", g.rng.pick((0.5, 0.25))).node)
        return call("curlnoise", _state_arg(g), a[0].node, *extra)

    def curl_args(g: Gen, d: str) -> tuple[str, ...] | None:
        if d == "vec2f":
            return ("vec2f",)
        return (g.rng.pick(("vec3f", "vec4f")),) if d == "vec3f" else None

    def curl_guard(g: Gen, d: str, a: list[Expr]) -> list[Expr]:
        from grammar.composite_ops import fit

        return [fit(a[0], 100.0)]

    for t in ("vec2f", "vec3f"):
        prods.append(
            _prod(
                f"curlnoise_{t}",
                t,
                # per axis blend a gradient grows by <= 2 * |value| * max smootherstep' (1.875),
                # values stay within sqrt(4): <= 31 per field and octave; 3 octaves, a difference
                _fixed(Interval(-200.0, 200.0)),
                curl_emit,
                args=curl_args,
                guard=curl_guard,
                calls=frozenset({"curlnoise", "min", "max"}),
                weight=0.4,
            )
        )
    for fn, (t, iv) in SAMPLERS.items():
        prods.append(_prod(fn, t, _fixed(iv), draw(fn), calls=frozenset({fn}), weight=0.4))
    return tuple(prods)
