"""What a campaign keeps of each finished batch: the store's rows, the session row, the corpus
folders of its failures and the counts the progress display and the summary show.

Every batch is stored as soon as it comes back and the session row is kept current, so a
session killed with `kill -9` still counts what it stored and its time.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

import grammar
from corpus.save import FAILURE_VERDICTS, save_failures
from fuzz.engine.result import CaseResult
from fuzz.engine.settings import WorkerSettings
from fuzz.engine.store import Store, StoreError
from fuzz.engine.verdict import Stage, Verdict
from fuzz.placement import device_order
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
    # this session's kernels and failures by device: a case counts for every device of the worker
    # that ran it (its GPU, and the CPU when the campaign runs the CPU)
    device_kernels: Counter[str] = field(default_factory=Counter)
    device_failures: Counter[str] = field(default_factory=Counter)

    def count(self, results: list[CaseResult], stats: dict[str, float], devices: Sequence[str] = ()) -> None:
        for r in results:
            self.kernels += 1
            self.total_kernels += 1
            self.verdicts[r.verdict] += 1
            self.families[r.family] += 1
            if r.verdict == Verdict.VERIFIED:
                self.verified += 1
                self.total_verified += 1
            self.device_kernels.update(devices)
            if r.verdict in FAILURE_VERDICTS:
                self.device_failures.update(devices)
        for k, v in stats.items():
            self.stage_s[k] += v

    def per_device(self) -> list[DeviceCount]:
        """This session's kernels and failures per device, the CPU first, then GPUs by ordinal."""
        devices = sorted(self.device_kernels, key=device_order)
        return [DeviceCount(d, self.device_kernels[d], self.device_failures[d]) for d in devices]


@dataclass(frozen=True)
class DeviceCount:
    """Kernels run on one device and how many of them failed (a `FAILURE_VERDICTS` verdict)."""

    device: str
    kernels: int
    failures: int

    def to_json(self, elapsed_s: float) -> dict[str, float | int]:
        rate = round(self.kernels / elapsed_s, 4) if elapsed_s else 0.0
        return {"kernels": self.kernels, "failures": self.failures, "kernels_per_s": rate}


# which devices ran each stored case: the devices of its worker (`fuzz.placement`), joined by "+"
CASE_DEVICES_SCHEMA = "CREATE TABLE IF NOT EXISTS case_devices (seed INTEGER PRIMARY KEY, devices TEXT NOT NULL, worker INTEGER)"


def record_devices(store: Store, seeds: Iterable[int], devices: Sequence[str], worker: int) -> None:
    """Say which worker and devices ran `seeds` (written before their cases: a batch killed in
    between leaves rows without cases, which nothing counts and its redo replaces)."""
    with store.db:
        store.db.execute(CASE_DEVICES_SCHEMA)
        store.db.executemany(
            "INSERT OR REPLACE INTO case_devices VALUES (?, ?, ?)",
            [(seed, "+".join(devices), worker) for seed in seeds],
        )


def device_counts(store: Store) -> list[DeviceCount]:
    """Kernels and failures of the stored cases per device (cases stored before devices were
    recorded per case are not counted)."""
    store.db.execute(CASE_DEVICES_SCHEMA)
    rows = store.db.execute(
        "SELECT d.devices, c.verdict, COUNT(*) FROM case_devices d JOIN cases c ON c.seed = d.seed "
        "GROUP BY d.devices, c.verdict"
    ).fetchall()
    return count_by_device((str(devs), str(verdict), int(n)) for devs, verdict, n in rows)


def count_by_device(rows: Iterable[tuple[str, str, int]]) -> list[DeviceCount]:
    """(devices joined by "+", verdict, cases) rows -> one count per device, the CPU first and
    then the GPUs by ordinal."""
    kernels: Counter[str] = Counter()
    failures: Counter[str] = Counter()
    for devices, verdict, n in rows:
        for d in devices.split("+"):
            kernels[d] += n
            if verdict in FAILURE_VERDICTS:
                failures[d] += n
    return [DeviceCount(d, kernels[d], failures[d]) for d in sorted(kernels, key=device_order)]


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
        placement: Sequence[tuple[str, ...]] = (),
    ) -> None:
        """placement: each worker's devices (`WorkerPool.placement`); without it every worker
        is taken to run all of `settings.devices`."""
        self.store = store
        self.session = session
        self.settings = settings
        self.placement = tuple(placement)
        self.run_dir = run_dir
        self.save_corpus = save_corpus
        self.snapshot = snapshot
        self.start = start
        snapshot.total_kernels = store.n_cases()
        snapshot.resumed_from = snapshot.total_kernels
        snapshot.total_verified = store.counts("verdict").get(Verdict.VERIFIED, 0)

    def devices_of(self, worker: int) -> tuple[str, ...]:
        """The devices worker `worker` runs."""
        if 0 <= worker < len(self.placement):
            return self.placement[worker]
        return self.settings.devices

    def _save_failures(self, results: list[CaseResult], worker: int) -> list[str]:
        """Every failure becomes a corpus folder as soon as its batch is stored; returns them.
        A folder records the devices of the worker that found it (its GPU, not every GPU)."""
        if not self.save_corpus:
            return []
        settings = replace(self.settings, devices=self.devices_of(worker))
        return save_failures(self.run_dir, results, settings=settings)

    def _store(self, results: list[CaseResult], worker: int) -> tuple[str, ...]:
        devices = self.devices_of(worker)
        record_devices(self.store, [r.seed for r in results], devices, worker)
        self.store.add_results(results, self.session)
        return devices

    def record(self, ev: Done) -> list[str]:
        """Store a finished batch, save its failures and count it; returns the saved folders."""
        results = [CaseResult.from_json(r) for r in ev.results]
        devices = self._store(results, ev.worker)
        folders = self._save_failures(results, ev.worker)
        self.snapshot.count(results, ev.stats, devices)
        # kept current, so a killed session still counts its time
        self.store.update_session(self.session, time.monotonic() - self.start, self.snapshot.kernels)
        return folders

    def record_lost(self, ev: Lost) -> list[str]:
        """A kernel lost again on its own is the culprit: stored as a crash or timeout case;
        returns its saved folder (reduced like every other failure)."""
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
        devices = self._store([result], ev.worker)
        folders = self._save_failures([result], ev.worker)
        self.snapshot.count([result], {}, devices)
        return folders

    def close(self) -> None:
        """End the session row with its time and kernel count."""
        snap = self.snapshot
        snap.elapsed_s = time.monotonic() - self.start
        self.store.update_session(self.session, snap.elapsed_s, snap.kernels, ended=True)
