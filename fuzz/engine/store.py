"""Campaign state in SQLite (WAL): every case with its verdict, verified pairs, sessions.

A batch is written in one transaction once it is fully judged, so `kill -9` loses at most the
batches in flight, and a resumed campaign redoes exactly those seeds (the seed set in `cases`
is the record of what is done).
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Iterable, Iterator
from typing import Any

from fuzz.engine.result import CaseResult
from fuzz.engine.signature import signature_key

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    started REAL NOT NULL, ended REAL, elapsed_s REAL DEFAULT 0, budget_s REAL,
    argv TEXT, warp_version TEXT, devices TEXT, kernels INTEGER DEFAULT 0
);
CREATE TABLE IF NOT EXISTS cases (
    seed INTEGER PRIMARY KEY,
    kernel_name TEXT NOT NULL, family TEXT NOT NULL, generator_version TEXT NOT NULL,
    verdict TEXT NOT NULL, stage TEXT, device TEXT, signature TEXT, message TEXT,
    case_json TEXT NOT NULL, checks_json TEXT, unstable_fraction REAL, oracle_ops INTEGER,
    session INTEGER, created REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS cases_verdict ON cases(verdict);
CREATE TABLE IF NOT EXISTS code (
    seed INTEGER PRIMARY KEY,
    cpp_forward TEXT, cpp_backward TEXT, cuda_forward TEXT, cuda_backward TEXT
);
"""


class StoreError(RuntimeError):
    """The run directory's database cannot be used as asked."""


class Store:
    """One campaign database, `RUN_DIR/campaign.db`."""

    def __init__(self, run_dir: str) -> None:
        os.makedirs(run_dir, exist_ok=True)
        self.path = os.path.join(run_dir, "campaign.db")
        self.db = sqlite3.connect(self.path, timeout=30)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(SCHEMA)
        cols = {r[1] for r in self.db.execute("PRAGMA table_info(cases)")}
        if "gradient_json" not in cols:  # databases from before gradient checks
            self.db.execute("ALTER TABLE cases ADD COLUMN gradient_json TEXT")
        self.db.commit()

    def close(self) -> None:
        self.db.close()

    # ---- meta ----------------------------------------------------------------------
    def get_meta(self, key: str) -> Any:
        row = self.db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return None if row is None else json.loads(row[0])

    def set_meta(self, key: str, value: Any) -> None:
        with self.db:
            self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, json.dumps(value)))

    # ---- sessions ------------------------------------------------------------------
    def begin_session(self, budget_s: float, argv: list[str], warp_version: str, devices: list[str]) -> int:
        with self.db:
            cur = self.db.execute(
                "INSERT INTO sessions (started, budget_s, argv, warp_version, devices) VALUES (?,?,?,?,?)",
                (time.time(), budget_s, json.dumps(argv), warp_version, json.dumps(devices)),
            )
        return int(cur.lastrowid or 0)

    def update_session(self, session: int, elapsed_s: float, kernels: int, ended: bool = False) -> None:
        with self.db:
            self.db.execute(
                "UPDATE sessions SET elapsed_s=?, kernels=?, ended=? WHERE id=?",
                (elapsed_s, kernels, time.time() if ended else None, session),
            )

    def close_stale_sessions(self) -> list[tuple[int, int]]:
        """Close sessions a killed process left open (call only while holding the run lock, when
        none of them can still be running): kernels counted from the cases each stored, elapsed
        time the larger of the last recorded one and its last stored case's. Returns (id, kernels)."""
        rows = self.db.execute(
            "SELECT s.id, s.started, COALESCE(s.elapsed_s, 0), COUNT(c.seed), MAX(c.created) FROM sessions s "
            "LEFT JOIN cases c ON c.session = s.id WHERE s.ended IS NULL GROUP BY s.id"
        ).fetchall()
        closed = []
        with self.db:
            for sid, started, elapsed, kernels, last in rows:
                elapsed = max(float(elapsed), (float(last) - float(started)) if last is not None else 0.0)
                self.db.execute(
                    "UPDATE sessions SET ended=?, elapsed_s=?, kernels=? WHERE id=?",
                    (float(started) + elapsed, elapsed, int(kernels), sid),
                )
                closed.append((int(sid), int(kernels)))
        return closed

    def total_elapsed(self) -> float:
        return float(self.db.execute("SELECT COALESCE(SUM(elapsed_s), 0) FROM sessions").fetchone()[0])

    # ---- cases ---------------------------------------------------------------------
    def done_seeds(self) -> set[int]:
        return {int(r[0]) for r in self.db.execute("SELECT seed FROM cases")}

    def add_results(self, results: Iterable[CaseResult], session: int) -> None:
        """Store a whole batch atomically (a seed already stored is never overwritten)."""
        now = time.time()
        with self.db:
            for r in results:
                self.db.execute(
                    "INSERT OR IGNORE INTO cases VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (
                        r.seed, r.kernel_name, r.family, r.generator_version, r.verdict, r.stage, r.device,
                        signature_key(r), r.message, json.dumps(r.case, sort_keys=True), json.dumps(r.checks),
                        r.unstable_fraction, r.oracle_ops, session, now, json.dumps(r.gradient_check),
                    ),
                )  # fmt: skip
                if r.code:
                    self.db.execute(
                        "INSERT OR IGNORE INTO code VALUES (?,?,?,?,?)",
                        (
                            r.seed, r.code.get("cpp_forward"), r.code.get("cpp_backward"),
                            r.code.get("cuda_forward"), r.code.get("cuda_backward"),
                        ),
                    )  # fmt: skip

    def counts(self, column: str) -> dict[str, int]:
        if column not in ("verdict", "family", "signature"):
            raise ValueError(column)
        rows = self.db.execute(f"SELECT {column}, COUNT(*) FROM cases GROUP BY {column} ORDER BY 2 DESC")
        return {str(k): int(n) for k, n in rows}

    def n_cases(self) -> int:
        return int(self.db.execute("SELECT COUNT(*) FROM cases").fetchone()[0])

    def results(self, where: str = "", params: tuple[Any, ...] = ()) -> Iterator[CaseResult]:
        """Stored results (without code), e.g. `results("verdict != ?", ("verified",))`."""
        sql = (
            "SELECT seed, kernel_name, family, generator_version, case_json, verdict, stage, device, message,"
            " checks_json, unstable_fraction, oracle_ops, gradient_json FROM cases"
        )
        if where:
            sql += " WHERE " + where
        for row in self.db.execute(sql + " ORDER BY seed", params):
            yield CaseResult(
                seed=row[0], kernel_name=row[1], family=row[2], generator_version=row[3],
                case=json.loads(row[4]), verdict=row[5], stage=row[6] or "", device=row[7] or "",
                message=row[8] or "", checks=json.loads(row[9] or "[]"),
                unstable_fraction=row[10] or 0.0, oracle_ops=row[11] or 0,
                gradient_check=json.loads(row[12] or "[]"),
            )  # fmt: skip

    def code(self, seed: int) -> dict[str, str | None]:
        row = self.db.execute(
            "SELECT cpp_forward, cpp_backward, cuda_forward, cuda_backward FROM code WHERE seed=?", (seed,)
        ).fetchone()
        keys = ("cpp_forward", "cpp_backward", "cuda_forward", "cuda_backward")
        return dict(zip(keys, row, strict=True)) if row else {}
