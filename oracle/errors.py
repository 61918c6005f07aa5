"""The two ways the oracle declines to give a reference result.

`Unsupported` means the oracle cannot interpret a construct (the judge records
`oracle_unsupported`, never a pass); `UndefinedBehavior` means the kernel would execute C++
undefined behaviour on some active lane, so no device result is meaningful (a generator bug).
"""

from __future__ import annotations


class OracleError(Exception):
    """Base class: carries the source line so reports can point at the construct."""

    def __init__(self, message: str, lineno: int = 0) -> None:
        super().__init__(f"line {lineno}: {message}" if lineno else message)
        self.lineno = lineno


class Unsupported(OracleError):
    """A construct the oracle does not model; `.construct` names it (e.g. "call wp.svd3")."""

    def __init__(self, construct: str, lineno: int = 0, detail: str = "") -> None:
        msg = f"unsupported: {construct}" + (f" ({detail})" if detail else "")
        super().__init__(msg, lineno)
        self.construct = construct


class UndefinedBehavior(OracleError):
    """The kernel executes UB on an active lane; `.what` says which (e.g. "division by zero")."""

    def __init__(self, what: str, lineno: int = 0) -> None:
        super().__init__(f"undefined behavior: {what}", lineno)
        self.what = what
