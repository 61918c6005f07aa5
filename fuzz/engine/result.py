"""The outcome of checking one case: what the store keeps and the corpus and export read."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from fuzz.engine.verdict import Stage, Verdict, Where

if TYPE_CHECKING:
    from grammar.case import KernelCase


@dataclass
class CaseResult:
    """Verdict of one case plus the evidence: per-device checks, the emitted code, timings.

    verdict: a `Verdict` value; stage: where it arose, a `Where` text ("import", "compile:cpu",
    "compile:cuda", "launch:cpu", "oracle", "judge", "worker"); device: the device (or device
    pair "cpu~cuda") concerned. Both are kept as plain strings, the form the store holds.
    """

    seed: int
    kernel_name: str
    family: str
    generator_version: str
    case: dict[str, Any]
    verdict: str
    stage: str = ""
    device: str = ""
    message: str = ""
    checks: list[dict[str, Any]] = field(default_factory=list)
    code: dict[str, str | None] = field(default_factory=dict)
    unstable_fraction: float = 0.0  # share of written elements skipped as unstable (judge.unstable_fraction)
    oracle_ops: int = 0
    gradient_check: list[dict[str, Any]] = field(default_factory=list)  # fuzz.engine.gradients, per device
    # worker seconds this case's own check took (inputs, oracle, launches, judge, gradient check;
    # not its share of the batch's compile): `bench` splits a batch's time per family with it
    check_s: float = 0.0

    @classmethod
    def from_case(
        cls,
        case: KernelCase,
        verdict: Verdict | str,
        where: Where | Stage = Stage.NONE,
        device: str | None = None,
        message: str = "",
        **evidence: Any,
    ) -> CaseResult:
        """The result of `case`: its identity and stored form, the verdict (a `Verdict`, or the
        verdict text of a command with its own, such as `check`'s rows), where it arose (the device
        defaults to `where`'s), and any evidence fields (checks, code, ...)."""
        if isinstance(where, Stage):
            where = Where(where)
        return cls(
            case.seed, case.kernel_name, case.family, case.generator_version, case.to_json(),
            str(verdict), where.text, where.device if device is None else device, message, **evidence,
        )  # fmt: skip

    @classmethod
    def without_case(cls, seed: int, verdict: Verdict, where: Where | Stage, message: str) -> CaseResult:
        """The result of a seed whose case never existed (generation failed, or the worker died
        before it said which case it was on): kernel `k_<seed>`, family and version "?"."""
        if isinstance(where, Stage):
            where = Where(where)
        return cls(seed, f"k_{seed}", "?", "?", {}, str(verdict), where.text, where.device, message)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @staticmethod
    def from_json(d: dict[str, Any]) -> CaseResult:
        return CaseResult(**d)
