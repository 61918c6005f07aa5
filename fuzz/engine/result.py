"""The outcome of checking one case: what the store keeps and the corpus and export read."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class CaseResult:
    """Verdict of one case plus the evidence: per-device checks, the emitted code, timings.

    stage: where the verdict arose ("import", "compile:cpu", "compile:cuda", "launch:cpu",
    "oracle", "judge", "worker"); device: the device (or device pair "cpu~cuda") concerned.
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

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @staticmethod
    def from_json(d: dict[str, Any]) -> CaseResult:
        return CaseResult(**d)
