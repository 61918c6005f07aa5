"""What the report reads from a run directory: the store's cases and sessions, meta, summary.json.

The database is opened read-only (a report never changes a run, and may be made while a campaign
still writes to it). Old stores lack newer columns and fields; those read as None and the page
says what is missing instead of guessing.
"""

from __future__ import annotations

import json
import os
import sqlite3
from dataclasses import dataclass, field
from typing import Any


class CollectError(RuntimeError):
    """A run directory cannot be read; the message names it and what to do."""


@dataclass(frozen=True)
class CaseRow:
    """One stored case, reduced to what the report counts."""

    seed: int
    family: str
    verdict: str
    device: str
    constructs: tuple[str, ...]
    created: float
    session: int
    written: int | None  # written elements over every compared array; None: store predates counts
    compared: int | None


@dataclass(frozen=True)
class Session:
    id: int
    started: float
    ended: float | None
    elapsed_s: float
    budget_s: float | None
    argv: list[str]
    warp_version: str
    devices: list[str]
    kernels: int


@dataclass
class RunData:
    """Everything the report needs from one RUN_DIR."""

    run_dir: str
    name: str  # short label used on the page (the folder name, made unique when merging)
    meta: dict[str, Any] = field(default_factory=dict)
    sessions: list[Session] = field(default_factory=list)
    cases: list[CaseRow] = field(default_factory=list)
    summary: dict[str, Any] | None = None

    @property
    def devices(self) -> list[str]:
        seen: list[str] = []
        for s in self.sessions:
            seen += [d for d in s.devices if d not in seen]
        return seen

    def case_device(self, row: CaseRow) -> str:
        """Where a verdict arose: the case's device, else (verified, and errors before any device)
        every device of its session."""
        if row.device:
            return row.device
        for s in self.sessions:
            if s.id == row.session and s.devices:
                return "+".join(s.devices)
        return "+".join(self.devices) or "?"


def _written(checks_json: str | None) -> tuple[int | None, int | None]:
    """Sum of written/compared over every array of every check; None when no array carries them."""
    if not checks_json:
        return None, None
    written = compared = 0
    known = False
    for c in json.loads(checks_json):
        for a in c.get("arrays", []) if isinstance(c, dict) else []:
            w, k = a.get("written"), a.get("compared")
            if w is None or k is None:
                continue
            known = True
            written += int(w)
            compared += int(k)
    return (written, compared) if known else (None, None)


def load_run(run_dir: str, name: str) -> RunData:
    """Read one run directory (its campaign.db must exist)."""
    path = os.path.join(run_dir, "campaign.db")
    if not os.path.isfile(path):
        raise CollectError(f"{run_dir}: no campaign.db here; pass a campaign's --out directory")
    try:
        db = sqlite3.connect(f"file:{os.path.abspath(path)}?mode=ro", uri=True, timeout=30)
        try:
            return _read(db, run_dir, name)
        finally:
            db.close()
    except sqlite3.DatabaseError as e:
        raise CollectError(f"{path}: cannot be read as a campaign database ({e})") from e


def _read(db: sqlite3.Connection, run_dir: str, name: str) -> RunData:
    run = RunData(run_dir=run_dir, name=name)
    for key, value in db.execute("SELECT key, value FROM meta ORDER BY key"):
        try:
            run.meta[str(key)] = json.loads(value)
        except json.JSONDecodeError:
            run.meta[str(key)] = value
    for r in db.execute(
        "SELECT id, started, ended, elapsed_s, budget_s, argv, warp_version, devices, kernels "
        "FROM sessions ORDER BY id"
    ):
        run.sessions.append(
            Session(
                id=int(r[0]),
                started=float(r[1]),
                ended=None if r[2] is None else float(r[2]),
                elapsed_s=float(r[3] or 0.0),
                budget_s=None if r[4] is None else float(r[4]),
                argv=json.loads(r[5] or "[]"),
                warp_version=str(r[6] or ""),
                devices=json.loads(r[7] or "[]"),
                kernels=int(r[8] or 0),
            )  # fmt: skip
        )
    rows = db.execute(
        "SELECT seed, family, verdict, device, case_json, checks_json, created, session FROM cases ORDER BY seed"
    )
    for seed, family, verdict, device, case_json, checks_json, created, session in rows:
        case = json.loads(case_json or "{}")
        written, compared = _written(checks_json)
        run.cases.append(
            CaseRow(
                seed=int(seed),
                family=str(family),
                verdict=str(verdict),
                device=str(device or ""),
                constructs=tuple(str(c) for c in case.get("constructs", ())),
                created=float(created),
                session=int(session or 0),
                written=written,
                compared=compared,
            )  # fmt: skip
        )
    summary_path = os.path.join(run_dir, "summary.json")
    if os.path.isfile(summary_path):
        try:
            with open(summary_path, encoding="utf-8") as f:
                run.summary = json.load(f)
        except (OSError, json.JSONDecodeError):
            run.summary = None  # the page says summary.json is missing or unreadable
    return run


def load_runs(run_dirs: list[str]) -> list[RunData]:
    """Every run, labelled by folder name (a parent folder added where two names clash)."""
    names: list[str] = []
    for d in run_dirs:
        parts = os.path.abspath(d).rstrip(os.sep).split(os.sep)
        label = parts[-1] or d
        if label in names and len(parts) > 1:
            label = f"{parts[-2]}/{label}"
        while label in names:
            label += "'"
        names.append(label)
    return [load_run(d, n) for d, n in zip(run_dirs, names, strict=True)]
