"""NumPy reference oracle: interprets a Warp kernel's own source over all threads at once, in
Warp's semantics, with per-element error bounds, instability taint, written-element records and UB and
race (order-dependence) detection."""

from oracle.builtins import Builtin, Registry, default_registry
from oracle.errors import OrderDependent, UndefinedBehavior, Unsupported
from oracle.interpreter import evaluate, evaluate_many, supported_calls, supported_operators
from oracle.result import OracleResult

__all__ = [
    "Builtin",
    "OracleResult",
    "OrderDependent",
    "Registry",
    "UndefinedBehavior",
    "Unsupported",
    "default_registry",
    "evaluate",
    "evaluate_many",
    "supported_calls",
    "supported_operators",
]
