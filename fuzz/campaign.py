"""The campaign loop: hand seed batches to workers until the budget is spent, store every verdict.

Seeds run from the campaign's first seed upward; a resumed campaign skips the seeds already in the
store, so nothing is done twice and batches lost to `kill -9` are simply redone.

A campaign holds RUN_DIR's lock (`fuzz.runlock`) for its whole life, so on start every earlier
session's process is gone: a session row left open by a killed process is closed from the cases it
stored, and dead workers' files under work/ are removed. A full disk or a read-only folder ends the
campaign with one `RunDirError` naming the folder; what was stored stays, and a resume redoes the rest.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable
from typing import Any

from corpus.save import corpus_dir
from fuzz.accounting import Ledger, Snapshot, check_resume
from fuzz.campaign_config import CampaignConfig
from fuzz.engine.settings import WorkerSettings
from fuzz.engine.store import Store
from fuzz.pool import Done, Lost, WorkerPool
from fuzz.reducequeue import ReducePolicy, ReductionQueue
from fuzz.rundir import STORAGE_ERRNOS, check_run_dir, remove_stale_worker_files, run_dir_error
from fuzz.runlock import run_lock
from fuzz.schedule import Plan, Scheduler, SeedBatches
from fuzz.shard import WHOLE
from fuzz.stopping import StopRequest, stop_on_signals
from fuzz.summary import campaign_summary, write_summary

__all__ = ["Campaign", "CampaignConfig", "Snapshot", "check_run_dir"]


class Campaign:
    """Runs one session of a campaign over `config.run_dir`: the scheduler (`fuzz.schedule`)
    feeds the worker pool, the ledger (`fuzz.accounting`) keeps each batch, `fuzz.summary`
    writes summary.json at the end."""

    def __init__(self, config: CampaignConfig, on_progress: Callable[[Snapshot], None] | None = None) -> None:
        self.config = config
        self.on_progress = on_progress or (lambda s: None)
        self.snapshot = Snapshot(budget_s=config.budget_s)
        self.stop = StopRequest()
        self.closed_sessions: list[tuple[int, int]] = []  # (session, kernels) closed after a kill
        self.policy = ReducePolicy(config.reduce_share, config.reduce_job_s, config.reduce_tail)
        self.reductions = ReductionQueue(self.policy)

    @property
    def interrupted_by(self) -> str:
        """What ended the session: "SIGINT" (Ctrl-C), "SIGTERM", or "" (no signal)."""
        return self.stop.by

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

    def _open(self, store: Store, settings: WorkerSettings, warp_version: str) -> int:
        """Check a resume, close what killed sessions left open; the new session's id."""
        cfg = self.config
        check_resume(store, cfg.seed, settings, cfg.shard)
        self.closed_sessions = store.close_stale_sessions()
        remove_stale_worker_files(cfg.run_dir)
        return store.begin_session(cfg.budget_s, cfg.argv, warp_version, list(settings.devices))

    def _run_locked(self) -> dict[str, Any]:
        import warp as wp

        cfg = self.config
        settings = cfg.settings or WorkerSettings(run_dir=cfg.run_dir, devices=cfg.devices)
        store = Store(cfg.run_dir)
        try:
            session = self._open(store, settings, wp.__version__)
        except BaseException:
            store.close()
            raise
        seeds = (cfg.shard or WHOLE).seeds(cfg.seed, store.done_seeds())
        start = time.monotonic()
        reductions = self.reductions = ReductionQueue(self.policy)
        if self.policy.enabled and cfg.save_corpus:
            reductions.add_existing(corpus_dir(cfg.run_dir))
        pool = WorkerPool(
            settings,
            cfg.workers,
            base_timeout=cfg.base_timeout_s,
            per_kernel_timeout=cfg.per_kernel_timeout_s,
            recycle_growth_kb=None if cfg.recycle_mb is None else cfg.recycle_mb * 1024,
        )
        ledger = Ledger(
            store, session, settings, cfg.run_dir, cfg.save_corpus, self.snapshot, start, pool.placement
        )
        plan = Plan(start, start + cfg.budget_s, cfg.batch, cfg.workers, cfg.max_kernels, cfg.grace_s)
        sched = Scheduler(pool, SeedBatches(seeds), plan, reductions, self.stop)

        def done(ev: Done) -> None:
            folders = ledger.record(ev)
            if self.policy.enabled:
                reductions.add(folders)

        def lost(ev: Lost) -> None:
            folders = ledger.record_lost(ev)  # a crash or timeout culprit, found by a retry
            if self.policy.enabled:
                reductions.add(folders)

        error: BaseException | None = None
        summary: dict[str, Any] = {}
        try:
            with stop_on_signals(self.stop):
                sched.run(done, lost, lambda: self._tick(sched, start))
                pool.close()
        except KeyboardInterrupt:  # a second Ctrl-C while stopping
            self.stop.requested = True
            self.stop.by = self.stop.by or "SIGINT"
        except BaseException as e:
            error = e
            raise
        finally:
            pool.close()
            try:
                ledger.close()
                summary = campaign_summary(
                    cfg, ledger, wp.__version__, pool, reductions, self.stop, self.closed_sessions
                )
                write_summary(cfg.run_dir, summary)
            except (sqlite3.Error, OSError):
                if error is None:
                    raise
                # the error in flight is the one to report; this one is its consequence
            finally:
                store.close()
        return summary

    def _tick(self, sched: Scheduler, start: float) -> None:
        """After every poll: the display's figures, then the progress callback."""
        snap, pool = self.snapshot, sched.pool
        snap.elapsed_s = time.monotonic() - start
        snap.reduced = sched.reductions.reduced
        snap.reduce_pending = len(sched.reductions.pending)
        if sched.in_tail():
            snap.phase = "reducing saved failures"
        snap.in_flight = pool.busy()
        snap.restarts = pool.restarts
        snap.worker_rss_kb = {w: ps[-1].rss_kb for w, ps in sorted(pool.memory.items())}
        self.on_progress(snap)
