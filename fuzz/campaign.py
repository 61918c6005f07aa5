"""The campaign loop: hand seed batches to workers until the budget is spent, store every verdict.

Seeds run from the campaign's first seed upward; a resumed campaign skips the seeds already in the
store, so nothing is done twice and batches lost to `kill -9` are simply redone.

A campaign holds RUN_DIR's lock (`fuzz.runlock`) for its whole life, so on start every earlier
session's process is gone: a session row left open by a killed process is closed from the cases it
stored, and dead workers' files under work/ are removed. A full disk or a read-only folder ends the
campaign with one `RunDirError` naming the folder; what was stored stays, and a resume redoes the rest.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import sqlite3
import time
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

from fuzz.engine import judge as J
from fuzz.engine import warpcompat
from fuzz.engine.result import CaseResult
from fuzz.engine.settings import WorkerSettings
from fuzz.engine.store import Store, StoreError
from fuzz.pool import Done, Lost, Task, WorkerPool
from fuzz.reducequeue import ReducePolicy, ReductionQueue
from fuzz.runlock import run_lock
from fuzz.shard import WHOLE, Shard


class RunDirError(StoreError):
    """The run folder cannot be written (disk full, read-only, gone); the message says what to do."""


# OS errors that mean the run folder itself cannot be written
STORAGE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.ENOENT})


def run_dir_error(run_dir: str, e: BaseException) -> RunDirError:
    """One line for a storage failure: which folder, what happened, what to do."""
    code = getattr(e, "errno", None)
    text = str(e)
    if code in (errno.ENOSPC, errno.EDQUOT) or "disk is full" in text:
        what, todo = "the disk is full", "free space there (or move the folder to a larger disk)"
    elif code == errno.EROFS or "readonly" in text or "read-only" in text:
        what, todo = "the folder is read-only", "make it writable or pass another --out"
    elif code in (errno.EACCES, errno.EPERM):
        what, todo = "permission denied", "make it writable or pass another --out"
    elif code == errno.ENOENT:
        what, todo = "the folder (or a file in it) disappeared", "restore it or pass another --out"
    else:
        what, todo = "writing it failed", "check the folder"
    resume = (
        " What campaign.db holds is kept: rerun the same command to resume (batches in flight are redone)."
        if os.path.isfile(os.path.join(run_dir, "campaign.db"))
        else ""
    )
    return RunDirError(f"{run_dir}: {what} ({type(e).__name__}: {text}); {todo}.{resume}")


def check_run_dir(run_dir: str) -> None:
    """Refuse a --out that exists but is not a folder, before anything is started."""
    if os.path.exists(run_dir) and not os.path.isdir(run_dir):
        raise RunDirError(
            f"{run_dir}: exists and is not a folder; pass a folder (new or a run to resume) as --out"
        )


def remove_stale_worker_files(run_dir: str) -> int:
    """Delete what dead workers left under RUN_DIR/work/ (module files, kernel caches); keep logs.
    Called with the run lock held, when no worker of this folder can be alive."""
    work = os.path.join(run_dir, "work")
    removed = 0
    if not os.path.isdir(work):
        return 0
    for w in os.listdir(work):
        wdir = os.path.join(work, w)
        if not os.path.isdir(wdir):
            continue
        for name in os.listdir(wdir):
            if name == "worker.log":
                continue
            p = os.path.join(wdir, name)
            if os.path.isdir(p):
                shutil.rmtree(p, ignore_errors=True)
            else:
                os.remove(p)
            removed += 1
    return removed


@dataclass
class CampaignConfig:
    run_dir: str
    budget_s: float
    seed: int = 0
    workers: int = 2
    batch: int = 16
    devices: tuple[str, ...] = ("cpu",)
    settings: WorkerSettings | None = None
    argv: list[str] = field(default_factory=list)
    max_kernels: int | None = None
    grace_s: float = 20.0
    # share of worker time for reducing every saved failure while fuzzing (0: no reductions);
    # see fuzz.reducequeue for the per-job limit and the budget's reductions-only tail
    reduce_share: float = ReducePolicy.share
    reduce_job_s: float = ReducePolicy.job_s
    reduce_tail: float = ReducePolicy.tail
    save_corpus: bool = True
    base_timeout_s: float = 60.0
    per_kernel_timeout_s: float = 15.0
    recycle_mb: int | None = 16  # replace a worker whose RSS grew this much past its warm level (None: never)
    shard: Shard | None = None  # run only this shard's seeds (fuzz.shard); None: every seed


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


def _seed_stream(first: int, done: set[int], shard: Shard | None = None) -> Iterator[int]:
    return (shard or WHOLE).seeds(first, done)


def _lost_result(seed: int, case: Any, reason: str, detail: str) -> CaseResult:
    verdict = J.CRASH if reason == "crash" else J.TIMEOUT
    if case is None:
        return CaseResult(seed, f"k_{seed}", "?", "?", {}, verdict, stage="worker", message=detail)
    return CaseResult(
        seed, case.kernel_name, case.family, case.generator_version, case.to_json(), verdict,
        stage="worker", message=detail,
    )  # fmt: skip


class Campaign:
    """Runs one session of a campaign over `config.run_dir`."""

    def __init__(self, config: CampaignConfig, on_progress: Callable[[Snapshot], None] | None = None) -> None:
        self.config = config
        self.on_progress = on_progress or (lambda s: None)
        self.snapshot = Snapshot(budget_s=config.budget_s)
        self.stop_requested = False
        self.interrupted_by = ""  # "SIGINT" (Ctrl-C) or "SIGTERM" when a signal ended the session
        self.closed_sessions: list[tuple[int, int]] = []  # (session, kernels) closed after a kill
        self.on_event: Callable[[str], None] = lambda line: None
        self.reductions = ReductionQueue(
            ReducePolicy(config.reduce_share, config.reduce_job_s, config.reduce_tail)
        )

    def _check_resume(self, store: Store, settings: WorkerSettings, warp_version: str) -> None:
        import grammar

        want = {
            "first_seed": self.config.seed,
            "generator_version": grammar.GENERATOR_VERSION,
            "gen_config": settings.gen_config,
            "shard": self.config.shard.label if self.config.shard else None,
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

    def run(self) -> dict[str, Any]:
        """Run the session; raise RunLocked if another process holds the folder and RunDirError
        when the folder cannot be written."""
        cfg = self.config
        check_run_dir(cfg.run_dir)
        try:
            os.makedirs(cfg.run_dir, exist_ok=True)
            with run_lock(cfg.run_dir, "run"):
                return self._run_locked()
        except (sqlite3.OperationalError, sqlite3.DatabaseError, OSError) as e:
            if isinstance(e, OSError) and e.errno not in STORAGE_ERRNOS:
                raise  # not the folder's fault: keep the traceback
            raise run_dir_error(cfg.run_dir, e) from None

    def _run_locked(self) -> dict[str, Any]:
        import warp as wp

        cfg = self.config
        settings = cfg.settings or WorkerSettings(run_dir=cfg.run_dir, devices=cfg.devices)
        store = Store(cfg.run_dir)
        try:
            self._check_resume(store, settings, wp.__version__)
            self.closed_sessions = store.close_stale_sessions()
            remove_stale_worker_files(cfg.run_dir)
            session = store.begin_session(cfg.budget_s, cfg.argv, wp.__version__, list(settings.devices))
        except BaseException:
            store.close()
            raise
        done = store.done_seeds()
        seeds = _seed_stream(cfg.seed, done, cfg.shard)
        retry: deque[Task] = deque()
        start = time.monotonic()
        end = start + cfg.budget_s
        policy = ReducePolicy(cfg.reduce_share, cfg.reduce_job_s, cfg.reduce_tail)
        reductions = self.reductions = ReductionQueue(policy)
        if policy.enabled and cfg.save_corpus:
            from corpus.save import corpus_dir

            reductions.add_existing(corpus_dir(cfg.run_dir))
        # new batches stop here; the rest of the budget reduces what is still queued
        deadline = end - cfg.budget_s * cfg.reduce_tail if policy.enabled else end
        batch_ids = iter(range(1, 1 << 62))
        dispatched = 0
        batch_times: deque[tuple[float, int]] = deque(maxlen=20)  # (seconds, kernels) of recent batches
        started_at: dict[int, float] = {}
        pool = WorkerPool(
            settings,
            cfg.workers,
            base_timeout=cfg.base_timeout_s,
            per_kernel_timeout=cfg.per_kernel_timeout_s,
            recycle_growth_kb=None if cfg.recycle_mb is None else cfg.recycle_mb * 1024,
        )
        old_term = signal.signal(signal.SIGTERM, lambda *_: self._request_stop("SIGTERM"))
        old_int = signal.signal(signal.SIGINT, lambda *_: self._request_stop("SIGINT"))
        snap = self.snapshot
        snap.total_kernels = store.n_cases()
        snap.resumed_from = snap.total_kernels
        snap.total_verified = store.counts("verdict").get(J.VERIFIED, 0)
        error: BaseException | None = None
        summary: dict[str, Any] = {}
        try:
            while True:
                now = time.monotonic()
                reduce_busy = any(h.task is not None and h.task.reduce is not None for h in pool.handles)
                # the budget's tail is for reductions only while some are queued or running
                fuzz_end = deadline if reductions.pending or reduce_busy else end
                # near the end, shrink batches so the last ones finish within the budget
                size = cfg.batch
                if batch_times:
                    per_kernel = sum(t for t, _ in batch_times) / max(1, sum(n for _, n in batch_times))
                    size = (
                        min(cfg.batch, int(0.8 * (fuzz_end - now) / per_kernel))
                        if per_kernel > 0
                        else cfg.batch
                    )
                may_start = not self.stop_requested and now < fuzz_end and size >= 1
                if cfg.max_kernels is not None and dispatched >= cfg.max_kernels:
                    may_start = False
                for idx in pool.idle():
                    job = None
                    if not retry and not self.stop_requested:
                        fuzzing = may_start or any(
                            h.task is not None and h.task.reduce is None for h in pool.handles
                        )
                        job = reductions.take(
                            fuzzing=fuzzing and now < deadline,
                            worker_s=(now - start) * cfg.workers,
                            left_s=end - now,
                        )
                    if retry:
                        task = retry.popleft()
                    elif job is not None:
                        task = Task(next(batch_ids), [], reduce=job[0], budget_s=job[1])
                    elif may_start:
                        n = size
                        if cfg.max_kernels is not None:
                            n = min(n, cfg.max_kernels - dispatched)
                        if n <= 0:
                            break
                        task = Task(next(batch_ids), [next(seeds) for _ in range(n)])
                        dispatched += n
                    else:
                        break
                    started_at[task.batch_id] = time.monotonic()
                    pool.submit(idx, task)
                reducing = (
                    bool(reductions.pending) and not self.stop_requested and now < end - policy.min_job_s
                )
                if pool.busy() == 0 and not retry and not may_start and not reducing:
                    break
                limit = end if reductions.pending or reduce_busy else fuzz_end
                if now > limit + cfg.grace_s or (self.stop_requested and now > self._stop_at + 2):
                    break  # in-flight batches are abandoned: a resume redoes them
                for ev in pool.poll(timeout=0.2):
                    t0 = started_at.pop(ev.task.batch_id, None)
                    if ev.task.reduce is not None:  # a reduction: no verdicts, never retried
                        ok = isinstance(ev, Done) and ev.stats.get("reduced", 0.0) > 0
                        reductions.finished(time.monotonic() - (t0 or time.monotonic()), ok)
                        snap.reduced = reductions.reduced
                    elif isinstance(ev, Done):
                        if t0 is not None and not ev.task.single:
                            batch_times.append((time.monotonic() - t0, len(ev.task.seeds)))
                        results = [CaseResult.from_json(r) for r in ev.results]
                        store.add_results(results, session)
                        if policy.enabled:
                            reductions.add(self._save_failures(results, settings))
                        else:
                            self._save_failures(results, settings)
                        self._account(results, ev.stats)
                        # kept current, so a killed session still counts its time
                        store.update_session(session, time.monotonic() - start, snap.kernels)
                    else:
                        self._lost(ev, retry, batch_ids, store, session, settings)
                snap.elapsed_s = time.monotonic() - start
                snap.reduce_pending = len(reductions.pending)
                if now >= deadline and (reductions.pending or pool.busy()):
                    snap.phase = "reducing saved failures"
                snap.in_flight = pool.busy()
                snap.restarts = pool.restarts
                snap.worker_rss_kb = {w: ps[-1].rss_kb for w, ps in sorted(pool.memory.items())}
                self.on_progress(snap)
            pool.close()
        except KeyboardInterrupt:  # a second Ctrl-C while stopping
            self.stop_requested = True
            self.interrupted_by = self.interrupted_by or "SIGINT"
        except BaseException as e:
            error = e
            raise
        finally:
            signal.signal(signal.SIGTERM, old_term)
            signal.signal(signal.SIGINT, old_int)
            pool.close()
            snap.elapsed_s = time.monotonic() - start
            try:
                store.update_session(session, snap.elapsed_s, snap.kernels, ended=True)
                summary = self.summary(store, settings, wp.__version__, pool)
                tmp = os.path.join(cfg.run_dir, "summary.json.tmp")
                with open(tmp, "w") as f:
                    json.dump(summary, f, indent=2, sort_keys=True)
                os.replace(tmp, os.path.join(cfg.run_dir, "summary.json"))
            except (sqlite3.Error, OSError):
                if error is None:
                    raise
                # the error in flight is the one to report; this one is its consequence
            finally:
                store.close()
        return summary

    _stop_at = 0.0

    def _save_failures(self, results: list[CaseResult], settings: WorkerSettings) -> list[str]:
        """Every failure becomes a corpus folder as soon as its batch is stored; returns them."""
        if not self.config.save_corpus:
            return []
        from corpus.save import save_failures

        return save_failures(self.config.run_dir, results, settings=settings)

    def _request_stop(self, why: str) -> None:
        if self.stop_requested and why == "SIGINT":
            raise KeyboardInterrupt  # Ctrl-C twice: stop now
        self.stop_requested = True
        self.interrupted_by = self.interrupted_by or why
        self._stop_at = time.monotonic()

    def _account(self, results: list[CaseResult], stats: dict[str, float]) -> None:
        snap = self.snapshot
        for r in results:
            snap.kernels += 1
            snap.total_kernels += 1
            snap.verdicts[r.verdict] += 1
            snap.families[r.family] += 1
            if r.verdict == J.VERIFIED:
                snap.verified += 1
                snap.total_verified += 1
        for k, v in stats.items():
            snap.stage_s[k] += v

    def _lost(
        self,
        ev: Lost,
        retry: deque[Task],
        batch_ids: Iterator[int],
        store: Store,
        session: int,
        settings: WorkerSettings,
    ) -> None:
        """Retry a lost batch kernel by kernel; a single kernel lost again is the culprit."""
        task = ev.task
        if not task.single:
            if task.cases is not None:
                for c in task.cases:
                    retry.append(Task(next(batch_ids), [int(c["seed"])], cases=[c], single=True))
            else:
                for s in task.seeds:
                    retry.append(Task(next(batch_ids), [s], single=True))
            return
        from fuzz.worker import generate_case
        from grammar.case import KernelCase

        seed = task.seeds[0]
        try:
            case = (
                KernelCase.from_json(task.cases[0])
                if task.cases
                else generate_case(seed, settings.gen_config)
            )
        except Exception:
            case = None
        result = _lost_result(seed, case, ev.reason, ev.detail)
        store.add_results([result], session)
        self._save_failures([result], settings)
        self._account([result], {})

    def summary(
        self, store: Store, settings: WorkerSettings, warp_version: str, pool: WorkerPool
    ) -> dict[str, Any]:
        import grammar

        verdicts = store.counts("verdict")
        kernels = store.n_cases()
        elapsed = store.total_elapsed()
        verified = verdicts.get(J.VERIFIED, 0)
        snap = self.snapshot
        from corpus.save import corpus_dir

        corpus = corpus_dir(os.path.abspath(self.config.run_dir))
        return {
            "run_dir": os.path.abspath(self.config.run_dir),
            "corpus_dir": corpus,
            "corpus_folders": len(os.listdir(corpus)) if os.path.isdir(corpus) else 0,
            "next_command": f"python -m fuzz triage {self.config.run_dir}",
            "interrupted": self.interrupted_by or None,
            "kernels": kernels,
            "verified": verified,
            "verdicts": verdicts,
            "families": store.counts("family"),
            "elapsed_s": round(elapsed, 2),
            "verified_per_s": round(verified / elapsed, 4) if elapsed else 0.0,
            "kernels_per_s": round(kernels / elapsed, 4) if elapsed else 0.0,
            "warp_version": warp_version,
            "generator_version": grammar.GENERATOR_VERSION,
            "devices": list(settings.devices),
            "device_facts": [warpcompat.device_facts(d) for d in settings.devices],
            "first_seed": self.config.seed,
            "shard": self.config.shard.label if self.config.shard else None,
            "session": {
                "kernels": snap.kernels,
                "verified": snap.verified,
                "verdicts": dict(snap.verdicts),
                "elapsed_s": round(snap.elapsed_s, 2),
                "verified_per_s": round(snap.verified / snap.elapsed_s, 4) if snap.elapsed_s else 0.0,
                "budget_s": self.config.budget_s,
                "workers": self.config.workers,
                "batch": self.config.batch,
                "worker_restarts": pool.restarts,
                "workers_recycled": pool.recycled,
                "reduction": {
                    "share": self.config.reduce_share,
                    "job_s": self.config.reduce_job_s,
                    "reduced": self.reductions.reduced,
                    "failed": self.reductions.failed,
                    "worker_s": round(self.reductions.busy_s, 2),
                    # every saved failure of the run (this session's and earlier ones') left unreduced
                    "unreduced": self.reductions.unreduced(corpus) if self.config.reduce_share > 0 else None,
                },
                "interrupted": self.stop_requested,
                "resumed_from_kernels": snap.resumed_from,
                "closed_stale_sessions": [{"session": s, "kernels": k} for s, k in self.closed_sessions],
                "stage_seconds": {k: round(v, 2) for k, v in sorted(snap.stage_s.items())},
                "worker_memory": pool.memory_report(),
                "settings": {
                    "enable_backward": settings.enable_backward,
                    "cuda_arch": settings.cuda_arch,
                    "cpu_opt_level": settings.cpu_opt_level,
                    "gen_config": settings.gen_config,
                    "policy": asdict(settings.policy),
                },
            },
        }
