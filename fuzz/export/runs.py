"""Read campaign run directories: which Warp, devices and codegen options produced each case.

A run directory may have been resumed several times, with other settings: `sessions` (one row
per session: warp version, devices, argv) says what each session used, and `summary.json` holds
the settings of the latest finished session. Codegen options come from the summary for that
session and from the recorded command line for the others; where neither says, they are None
(exported as null), never a guess.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
from dataclasses import dataclass, field
from typing import Any

from fuzz.cliutil import UsageError


@dataclass(frozen=True)
class SessionInfo:
    """What one session of a campaign ran with (None where the run does not record it)."""

    id: int
    warp_version: str | None
    devices: tuple[str, ...]
    codegen_options: dict[str, Any] | None


@dataclass
class RunInfo:
    """One run directory as export sees it."""

    path: str
    name: str
    generator_version: str | None
    sessions: dict[int, SessionInfo] = field(default_factory=dict)
    summary_found: bool = False
    notes: list[str] = field(default_factory=list)

    def session(self, sid: int | None) -> SessionInfo:
        if sid is not None and sid in self.sessions:
            return self.sessions[sid]
        return SessionInfo(-1, None, (), None)


def _options_from_settings(settings: Any) -> dict[str, Any] | None:
    if not isinstance(settings, dict) or "enable_backward" not in settings:
        return None
    return {
        "enable_backward": bool(settings["enable_backward"]),
        "cuda_arch": settings.get("cuda_arch"),
    }


def _options_from_argv(argv: Any) -> dict[str, Any] | None:
    """Codegen options from a session's recorded command line, parsed with the run command's parser."""
    if not isinstance(argv, list) or not argv:
        return None
    from fuzz.commands import run as run_cmd

    p = argparse.ArgumentParser(add_help=False, exit_on_error=False)
    run_cmd.add_arguments(p)
    args = [a for a in argv if isinstance(a, str)]
    if args and args[0] == "harvest":  # fuzz.harvest compiles with the defaults: backward on, no AOT arch
        return {"enable_backward": True, "cuda_arch": None}
    if args and args[0] == "run":
        args = args[1:]
    try:
        ns, _ = p.parse_known_args(args)
    except (argparse.ArgumentError, SystemExit):
        return None
    return {"enable_backward": not ns.no_backward, "cuda_arch": ns.cuda_arch}


def _json_or(text: Any, default: Any) -> Any:
    if text is None:
        return default
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        return default


def read_run(path: str) -> RunInfo:
    """Describe a run directory; raise UsageError naming the directory if it holds no campaign."""
    db_path = os.path.join(path, "campaign.db")
    if not os.path.isfile(db_path):
        raise UsageError(f"{path}: no campaign.db here; pass run directories written by `python -m fuzz`")
    summary: dict[str, Any] = {}
    summary_path = os.path.join(path, "summary.json")
    info = RunInfo(
        path=os.path.abspath(path), name=os.path.basename(os.path.abspath(path)), generator_version=None
    )
    if os.path.isfile(summary_path):
        try:
            with open(summary_path, encoding="utf-8") as f:
                summary = json.load(f)
            info.summary_found = True
        except (OSError, ValueError) as e:
            info.notes.append(f"{summary_path} unreadable ({e}); codegen options only from argv")
    else:
        info.notes.append(f"{summary_path} missing; codegen options only from recorded argv")
    info.generator_version = summary.get("generator_version")
    db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        rows = db.execute(
            "SELECT id, ended, argv, warp_version, devices FROM sessions ORDER BY id"
        ).fetchall()
    finally:
        db.close()
    ended = [r[0] for r in rows if r[1] is not None]
    summary_session = max(ended) if ended and info.summary_found else None
    summary_opts = _options_from_settings((summary.get("session") or {}).get("settings"))
    for sid, _ended, argv, warp_version, devices in rows:
        opts = summary_opts if sid == summary_session and summary_opts is not None else None
        if opts is None:
            opts = _options_from_argv(_json_or(argv, None))
        devs = _json_or(devices, None)
        info.sessions[int(sid)] = SessionInfo(
            id=int(sid),
            warp_version=warp_version or (summary.get("warp_version") if sid == summary_session else None),
            devices=tuple(devs) if isinstance(devs, list) else (),
            codegen_options=opts,
        )
    return info
