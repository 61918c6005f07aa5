"""NumPy reference oracle: interprets a Warp kernel's own source over all threads at once, in
Warp's semantics, with per-element error bounds, instability taint and UB detection."""

from oracle.builtins import Builtin, Registry, default_registry
from oracle.errors import UndefinedBehavior, Unsupported
from oracle.interpreter import evaluate, evaluate_many, supported_calls, supported_operators
from oracle.result import OracleResult

__all__ = [
    "Builtin",
    "OracleResult",
    "Registry",
    "UndefinedBehavior",
    "Unsupported",
    "default_registry",
    "evaluate",
    "evaluate_many",
    "supported_calls",
    "supported_operators",
]
