"""The ways the oracle declines to give a reference result.

`Unsupported` means the oracle cannot interpret a construct (the judge records
`oracle_unsupported`, never a pass); `UndefinedBehavior` means the kernel would execute C++
undefined behaviour on some active lane, so no device result is meaningful (a generator bug);
its subclass `OrderDependent` means the result hangs on thread order (a race).
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


class OrderDependent(UndefinedBehavior):
    """The kernel's result depends on the order threads run in (a race), so no single reference
    result exists: two threads storing different values to one element, a thread reading what
    another thread stores or atomically updates, or an atomic's returned old value reaching an
    output. `.array`, `.index`, `.threads` (two tid tuples) say where."""

    def __init__(
        self,
        what: str,
        array: str,
        index: str,
        threads: tuple[tuple[int, ...], tuple[int, ...]],
        lineno: int = 0,
    ) -> None:
        where = f" (line {lineno})" if lineno else ""
        OracleError.__init__(self, f"order-dependent: {what}{where}")
        self.lineno = lineno
        self.what = what
        self.array = array
        self.index = index
        self.threads = threads
