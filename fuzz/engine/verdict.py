"""Verdicts and stages: what a case's check concluded and where that conclusion arose.

Both are `StrEnum`s whose values are the strings the store, corpus folders and exports have
always held, so stored data and comparisons with plain strings are unchanged. A stored stage text
is a stage and, for compile and launch, the device it concerns ("compile:cpu", "launch:cuda:0");
`Where` is that pair and `Where.parse` the one place that reads such a text back.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Verdict(StrEnum):
    """The outcome of one case."""

    VERIFIED = "verified"
    MISMATCH = "mismatch"
    COMPILE_ERROR = "compile_error"
    LAUNCH_ERROR = "launch_error"
    CRASH = "crash"
    TIMEOUT = "timeout"
    ORACLE_UNSUPPORTED = "oracle_unsupported"
    INVALID_KERNEL = "invalid_kernel"
    INTERNAL_ERROR = "internal_error"
    INCONCLUSIVE = "inconclusive"
    GRADIENT_MISMATCH = "gradient_mismatch"  # forward verified, backward disagrees with the oracle
    # verified under the baseline settings, but a swept setting changes the outputs, or fails
    # to build or launch them (fuzz.engine.sweep; the message names the point)
    SETTING_MISMATCH = "setting_mismatch"
    COMPILED = "compiled"  # compile_only runs (the compile floor of `bench`): nothing was judged


class Stage(StrEnum):
    """Where a verdict arose; compile and launch stages also name a device (see `Where`)."""

    NONE = ""  # a verified case
    GENERATE = "generate"
    IMPORT = "import"
    COMPILE = "compile"
    INPUTS = "inputs"
    ORACLE = "oracle"
    LAUNCH = "launch"
    JUDGE = "judge"
    GRADIENT = "gradient"
    WORKER = "worker"
    HARVEST = "harvest"


def device_kind(device: str) -> str:
    """The device without its ordinal: "cuda:0" -> "cuda", "cpu" -> "cpu"."""
    return device.split(":", 1)[0]


@dataclass(frozen=True)
class Where:
    """A stage and the device it concerns, stored as one text: "compile:cpu", "launch:cuda:0"."""

    stage: Stage
    device: str = ""

    @property
    def text(self) -> str:
        return f"{self.stage}:{self.device}" if self.device else str(self.stage)

    def __str__(self) -> str:
        return self.text

    @staticmethod
    def parse(text: str) -> Where:
        """The stage text of a stored result; an unknown stage raises ValueError naming it."""
        stage, _, device = text.partition(":")
        try:
            return Where(Stage(stage), device)
        except ValueError:
            raise ValueError(f"unknown stage {text!r}: expected one of {[s.value for s in Stage]}") from None
