"""Replay corpus seeds on many warp-lang releases: where does each failure start and stop?

Each release runs `python -m fuzz replay SEED... --json` (all seeds at once) in its own interpreter (a cached venv from
`fuzz.venvs`, or this one for the installed release) with this repository on PYTHONPATH, so the
generator, oracle and judge are identical and only Warp differs. The replay's outcome maps to:

- failing:   the recorded failure signature reproduces (replay status "still failing");
- passing:   the kernel now verifies ("fixed");
- different: another verdict or signature ("changed") — e.g. a compile error on a release that
             lacks a construct the kernel uses (the note names the gate);
- skipped:   the replay refused (e.g. the seed needs CUDA and none is here);
- damaged:   the folder's files or kernel source failed replay's checks (corpus.folder_check);
- error:     the environment could not be built or the replay itself crashed.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from fuzz.venvs import Report, VenvError, WarpEnv, ensure_env
from grammar.gates import missing_features, parse_version

FAILING = "failing"
PASSING = "passing"
DIFFERENT = "different"
SKIPPED = "skipped"
DAMAGED = "damaged"
ERROR = "error"

_STATUS = {
    "still failing": FAILING,
    "fixed": PASSING,
    "changed": DIFFERENT,
    "skipped": SKIPPED,
    "damaged": DAMAGED,
    "refused": DAMAGED,
}
REPLAY_EXITS = (0, 1, 3)  # replay's statuses with outcomes (3: some folder damaged or refused)


@dataclass
class VersionRow:
    version: str
    status: str
    verdict: str = ""
    signature: str = ""
    note: str = ""
    seconds: float = 0.0


@dataclass
class BisectResult:
    seed_path: str
    recorded_signature: str
    recorded_warp: str
    rows: list[VersionRow] = field(default_factory=list)

    @property
    def failing(self) -> list[str]:
        return [r.version for r in self.rows if r.status == FAILING]

    @property
    def first_failing(self) -> str | None:
        return self.failing[0] if self.failing else None

    @property
    def last_failing(self) -> str | None:
        return self.failing[-1] if self.failing else None

    def to_json(self) -> dict[str, object]:
        return {
            "seed_path": self.seed_path,
            "recorded_signature": self.recorded_signature,
            "recorded_warp": self.recorded_warp,
            "first_failing": self.first_failing,
            "last_failing": self.last_failing,
            "rows": [asdict(r) for r in self.rows],
        }


def replay_many_in(
    env: WarpEnv, seed_paths: list[str], *, devices: str | None = None, timeout_s: float = 600.0
) -> dict[str, VersionRow]:
    """Replay corpus folders in ONE `replay` run of `env`'s interpreter (Warp starts once, the
    seeds compile together): folder -> classified outcome."""
    cmd = [env.python, "-m", "fuzz", "replay", *seed_paths, "--json"]
    if devices:
        cmd += ["--devices", devices]
    t0 = time.perf_counter()

    def all_rows(status: str, note: str, dt: float) -> dict[str, VersionRow]:
        return {p: VersionRow(env.version, status, note=note, seconds=dt) for p in seed_paths}

    try:
        p = subprocess.run(cmd, capture_output=True, text=True, env=env.env(), timeout=timeout_s)
    except subprocess.TimeoutExpired:
        return all_rows(ERROR, f"replay timed out after {timeout_s:.0f} s", timeout_s)
    dt = time.perf_counter() - t0
    tail = (p.stderr.strip().splitlines() or ["no output"])[-1][:300]
    if p.returncode not in REPLAY_EXITS:
        return all_rows(ERROR, f"replay exited {p.returncode}: {tail}", dt)
    try:
        outcomes = json.loads(p.stdout[p.stdout.index("[") :])
        by_path = {os.path.normpath(str(o["path"])): o for o in outcomes}
    except (ValueError, IndexError, KeyError, TypeError):
        return all_rows(ERROR, f"replay printed no JSON outcome: {tail}", dt)
    rows: dict[str, VersionRow] = {}
    each = dt / max(1, len(seed_paths))
    for path in seed_paths:
        o = by_path.get(os.path.normpath(path))
        if o is None:
            rows[path] = VersionRow(
                env.version, ERROR, note=f"replay gave no outcome for it: {tail}", seconds=each
            )
            continue
        status = _STATUS.get(str(o.get("status")), ERROR)
        note = str(o.get("note") or "")
        if status == DIFFERENT and o.get("message"):
            note = (note + "; " if note else "") + str(o["message"]).strip().splitlines()[0][:200]
        sig = str(o.get("new") or o.get("old") or "")
        rows[path] = VersionRow(env.version, status, str(o.get("verdict") or ""), sig, note, each)
    return rows


def bisect_many(
    seed_paths: list[str],
    versions: list[str],
    *,
    cache_dir: str | None = None,
    devices: str | None = None,
    report: Report | None = None,
    on_row: Callable[[str, VersionRow], None] | None = None,
    timeout_s: float = 600.0,
) -> list[BisectResult]:
    """Replay every seed on every release in `versions` (oldest first): one replay run per release
    for all the seeds, environments built on demand."""
    from corpus.folder import CorpusFolder

    results: list[BisectResult] = []
    sources: dict[str, str] = {}
    for path in seed_paths:
        ent = CorpusFolder.read(path)
        sources[path] = ent.case.source if ent.case is not None else ""
        results.append(BisectResult(path, ent.signature.key(), str(ent.meta.get("warp_version", "?"))))
    say = report or (lambda _line: None)
    for v in sorted(versions, key=parse_version):
        t0 = time.perf_counter()
        try:
            env = ensure_env(v, cache_dir=cache_dir, report=say)
        except (VenvError, OSError) as e:
            note = str(e).splitlines()[0]
            rows = {p: VersionRow(v, ERROR, note=note, seconds=time.perf_counter() - t0) for p in seed_paths}
        else:
            what = seed_paths[0] if len(seed_paths) == 1 else f"{len(seed_paths)} seeds"
            say(f"warp {v}: replaying {what}")
            rows = replay_many_in(env, seed_paths, devices=devices, timeout_s=timeout_s)
        for res in results:
            row = rows[res.seed_path]
            source = sources[res.seed_path]
            lacking = missing_features(source, v) if source else []
            if lacking and row.status != FAILING:
                gates = ", ".join(f"{g.name} (from {g.since})" for g in lacking)
                row.note = f"warp {v} lacks {gates}" + (f"; {row.note}" if row.note else "")
            res.rows.append(row)
            if on_row:
                on_row(res.seed_path, row)
    return results


def format_table(res: BisectResult) -> str:
    """The version -> outcome table, then the first and last failing releases."""
    lines = [
        f"seed {res.seed_path}",
        f"recorded on warp {res.recorded_warp}: {res.recorded_signature}",
    ]
    notes = {r.note for r in res.rows}
    common = notes.pop() if len(notes) == 1 and len(res.rows) > 1 else ""
    if common:
        lines.append(f"note (every release): {common}")
    lines += ["", f"{'warp':<10} {'result':<10} {'verdict':<18} note"]
    for r in res.rows:
        note = "" if common else r.note
        lines.append(f"{r.version:<10} {r.status:<10} {r.verdict:<18} {note}".rstrip())
    lines.append("")
    if res.failing:
        lines.append(f"first failing: {res.first_failing}   last failing: {res.last_failing}")
        fixed = first_passing_after(res)
        if fixed:
            lines.append(f"first passing release after the last failing one: {fixed}")
    else:
        lines.append("no release reproduces the recorded failure")
    return "\n".join(lines)


def first_passing_after(res: BisectResult) -> str | None:
    """The first release after the last failing one where the seed verifies (the fix)."""
    if not res.failing:
        return None
    last = parse_version(res.last_failing or "0")
    return next(
        (r.version for r in res.rows if r.status == PASSING and parse_version(r.version) > last), None
    )


def format_summary(results: list[BisectResult]) -> str:
    """One line per seed: first and last failing release and the release that fixed it."""
    lines = [f"{'seed':<48} {'first failing':<14} {'last failing':<14} {'fixed in':<10} recorded"]
    for res in results:
        verdict = res.recorded_signature.split("|")[2] if res.recorded_signature.count("|") >= 2 else ""
        lines.append(
            f"{res.seed_path[-48:]:<48} {res.first_failing or '-':<14} {res.last_failing or '-':<14} "
            f"{first_passing_after(res) or '-':<10} {verdict}"
        )
    return "\n".join(lines)


def bisect_replay(folders: list[str], release: str) -> dict[str, str]:
    """Replay folders on one release (a cached venv): folder -> status (`corpus.triage.confirm_known`)."""
    return {r.seed_path: r.rows[0].status for r in bisect_many(folders, [release])}
