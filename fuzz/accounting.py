"""What a campaign keeps of each finished batch: the store's rows, the session row, the corpus
folders of its failures and the counts the progress display and the summary show.

Every batch is stored as soon as it comes back and the session row is kept current, so a
session killed with `kill -9` still counts what it stored and its time.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import grammar
from corpus.save import save_failures
from fuzz.engine.result import CaseResult
from fuzz.engine.settings import WorkerSettings
from fuzz.engine.store import Store, StoreError
from fuzz.engine.verdict import Stage, Verdict
from fuzz.pool import Done, Lost
from fuzz.shard import Shard
from fuzz.worker import generate_case
from grammar.case import KernelCase


@dataclass
class Snapshot:
    """What the progress display shows; updated after every batch."""

    kernels: int = 0
    verified: int = 0
    verdicts: Counter[str] = field(default_factory=Counter)
    families: Counter[str] = field(default_factory=Counter)
    elapsed_s: float = 0.0
    budget_s: float = 0.0
    in_flight: int = 0
    restarts: int = 0
    stage_s: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    total_kernels: int = 0
    total_verified: int = 0
    phase: str = "fuzzing"
    reduced: int = 0
    reduce_pending: int = 0  # saved failures queued for reduction
    worker_rss_kb: dict[int, int] = field(default_factory=dict)  # each worker's RSS after its last batch
    resumed_from: int = 0  # kernels already in the store when this session started (0: a new campaign)

    def count(self, results: list[CaseResult], stats: dict[str, float]) -> None:
        for r in results:
            self.kernels += 1
            self.total_kernels += 1
            self.verdicts[r.verdict] += 1
            self.families[r.family] += 1
            if r.verdict == Verdict.VERIFIED:
                self.verified += 1
                self.total_verified += 1
        for k, v in stats.items():
            self.stage_s[k] += v


def lost_result(seed: int, case: KernelCase | None, reason: str, detail: str) -> CaseResult:
    """The stored case of a kernel whose worker crashed ("crash") or hung on it (a timeout)."""
    verdict = Verdict.CRASH if reason == "crash" else Verdict.TIMEOUT
    if case is None:
        return CaseResult.without_case(seed, verdict, Stage.WORKER, detail)
    return CaseResult.from_case(case, verdict, Stage.WORKER, message=detail)


def check_resume(store: Store, first_seed: int, settings: WorkerSettings, shard: Shard | None) -> None:
    """Record a new campaign's identity in the store, or refuse a resume that asks for another."""
    want = {
        "first_seed": first_seed,
        "generator_version": grammar.GENERATOR_VERSION,
        "gen_config": settings.gen_config,
        "shard": shard.label if shard else None,
    }
    have = store.get_meta("campaign")
    if have is None:
        store.set_meta("campaign", want)
        return
    for key, value in want.items():
        if have.get(key) != value:
            raise StoreError(
                f"{store.path}: this run directory holds a campaign with {key}={have.get(key)!r}, "
                f"but this command asks for {value!r}. Resume with the same settings, or use a new --out."
            )


class Ledger:
    """One session's bookkeeping over an open store: `record` a finished batch, `record_lost`
    a culprit, `close` the session row. `snapshot` holds the counts."""

    def __init__(
        self,
        store: Store,
        session: int,
        settings: WorkerSettings,
        run_dir: str,
        save_corpus: bool,
        snapshot: Snapshot,
        start: float,
    ) -> None:
        self.store = store
        self.session = session
        self.settings = settings
        self.run_dir = run_dir
        self.save_corpus = save_corpus
        self.snapshot = snapshot
        self.start = start
        snapshot.total_kernels = store.n_cases()
        snapshot.resumed_from = snapshot.total_kernels
        snapshot.total_verified = store.counts("verdict").get(Verdict.VERIFIED, 0)

    def _save_failures(self, results: list[CaseResult]) -> list[str]:
        """Every failure becomes a corpus folder as soon as its batch is stored; returns them."""
        if not self.save_corpus:
            return []
        return save_failures(self.run_dir, results, settings=self.settings)

    def record(self, ev: Done) -> list[str]:
        """Store a finished batch, save its failures and count it; returns the saved folders."""
        results = [CaseResult.from_json(r) for r in ev.results]
        self.store.add_results(results, self.session)
        folders = self._save_failures(results)
        self.snapshot.count(results, ev.stats)
        # kept current, so a killed session still counts its time
        self.store.update_session(self.session, time.monotonic() - self.start, self.snapshot.kernels)
        return folders

    def record_lost(self, ev: Lost) -> None:
        """A kernel lost again on its own is the culprit: stored as a crash or timeout case."""
        task = ev.task
        seed = task.seeds[0]
        try:
            case = (
                KernelCase.from_json(task.cases[0])
                if task.cases
                else generate_case(seed, self.settings.gen_config)
            )
        except Exception:
            case = None
        result = lost_result(seed, case, ev.reason, ev.detail)
        self.store.add_results([result], self.session)
        self._save_failures([result])
        self.snapshot.count([result], {})

    def close(self) -> None:
        """End the session row with its time and kernel count."""
        snap = self.snapshot
        snap.elapsed_s = time.monotonic() - self.start
        self.store.update_session(self.session, snap.elapsed_s, snap.kernels, ended=True)
