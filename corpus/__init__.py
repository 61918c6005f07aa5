"""The corpus: every failure saved as a self-contained folder, triaged by signature, reduced
with libcst passes, and replayable on any installed Warp (see docs/corpus.md)."""

from corpus.reduce import (
    ReduceError,
    Reduction,
    pending_representatives,
    reduce_case,
    reduce_folder,
    reduce_new_signatures,
)
from corpus.replay import Outcome, replay
from corpus.save import FAILURE_VERDICTS, save_failures
from corpus.triage import Group, triage
from fuzz.engine.signature import Signature, same_failure, signature_key, signature_of

__all__ = [
    "FAILURE_VERDICTS",
    "Group",
    "Outcome",
    "ReduceError",
    "Reduction",
    "Signature",
    "reduce_case",
    "reduce_folder",
    "reduce_new_signatures",
    "pending_representatives",
    "replay",
    "same_failure",
    "save_failures",
    "signature_key",
    "signature_of",
    "triage",
]
