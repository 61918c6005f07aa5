"""Grammar-driven generator of valid Warp kernels (libcst productions with typed domain guards)."""

from grammar.case import KernelCase, ParamSpec
from grammar.families import FAMILIES
from grammar.generate import GENERATOR_VERSION, GenConfig, GeneratorHealthError, generate, parse_weights
from grammar.inputs import make_inputs


def emittable_calls() -> frozenset[str]:
    """Every `wp.<name>` (and bare int/float/range/len) any production can emit."""
    from grammar.registry import build_registry

    return build_registry().calls()


def emittable_operators() -> frozenset[str]:
    """Every operator node name (ast spelling: Add, USub, Lt, IfExp, ...) any production can emit."""
    from grammar.registry import build_registry

    return build_registry().operators()


__all__ = [
    "FAMILIES",
    "GENERATOR_VERSION",
    "GenConfig",
    "GeneratorHealthError",
    "KernelCase",
    "ParamSpec",
    "emittable_calls",
    "emittable_operators",
    "generate",
    "make_inputs",
    "parse_weights",
]
