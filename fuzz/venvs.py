"""One cached virtual environment per warp-lang release, so a seed can be replayed on any of them.

`~/.cache/warpfuzz/venvs/warp-<version>` holds `warp-lang==<version>` plus the project's runtime
dependencies; this repository is put on `PYTHONPATH` when a command runs there (never installed),
so every release runs the same generator, oracle and judge and only Warp differs. pip's own cache
keeps downloaded wheels, so rebuilding an environment does not download Warp again. A build goes
into a temporary sibling folder and is renamed into place when complete: an interrupted build
leaves nothing that looks usable.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

from grammar.gates import default_cache_dir, parse_version

# what `python -m fuzz replay` needs besides the repository itself
RUNTIME_PACKAGES = ("numpy", "libcst", "rich")
READY = "warpfuzz-ready.json"
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

Report = Callable[[str], None]


class VenvError(RuntimeError):
    """An environment could not be built or queried; the message names the release and the step."""


@dataclass(frozen=True)
class WarpEnv:
    """A Python interpreter with a given warp-lang release (a cached venv, or this interpreter)."""

    version: str
    python: str
    path: str
    reused: bool = True
    seconds: float = 0.0

    def env(self) -> dict[str, str]:
        """Environment for running this repository's code with this interpreter."""
        env = dict(os.environ)
        old = env.get("PYTHONPATH", "")
        env["PYTHONPATH"] = REPO_ROOT + (os.pathsep + old if old else "")
        env.pop("VIRTUAL_ENV", None)
        return env


def venv_root(cache_dir: str | None = None) -> str:
    return os.path.join(cache_dir or default_cache_dir(), "venvs")


def venv_path(version: str, cache_dir: str | None = None) -> str:
    return os.path.join(venv_root(cache_dir), f"warp-{version}")


def _python_in(path: str) -> str:
    return (
        os.path.join(path, "Scripts", "python.exe")
        if os.name == "nt"
        else os.path.join(path, "bin", "python")
    )


def installed_warp_version() -> str | None:
    """The warp-lang release of this interpreter, without importing (and initialising) Warp."""
    from importlib import metadata

    try:
        return metadata.version("warp-lang")
    except metadata.PackageNotFoundError:
        return None


def _ready_record(version: str) -> dict[str, object]:
    return {
        "warp_version": version,
        "packages": list(RUNTIME_PACKAGES),
        "python": f"{sys.version_info.major}.{sys.version_info.minor}",
    }


def is_ready(version: str, cache_dir: str | None = None) -> bool:
    path = venv_path(version, cache_dir)
    try:
        with open(os.path.join(path, READY), encoding="utf-8") as f:
            return json.load(f) == _ready_record(version) and os.path.exists(_python_in(path))
    except (OSError, ValueError):
        return False


def ensure_env(
    version: str,
    *,
    cache_dir: str | None = None,
    report: Report | None = None,
    use_current: bool = True,
) -> WarpEnv:
    """An interpreter with warp-lang `version`: this one if it has that release, else a cached venv.

    Builds the venv on first use (`python -m venv`, then pip). report(line) receives progress:
    the step being run and pip's own output lines.
    """
    parse_version(version)
    say = report or (lambda _line: None)
    if use_current and installed_warp_version() == version:
        return WarpEnv(version, sys.executable, sys.prefix)
    path = venv_path(version, cache_dir)
    if is_ready(version, cache_dir):
        return WarpEnv(version, _python_in(path), path)
    t0 = time.perf_counter()
    os.makedirs(venv_root(cache_dir), exist_ok=True)
    tmp = f"{path}.building-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        say(f"warp {version}: creating virtual environment")
        _run([sys.executable, "-m", "venv", tmp], f"warp {version}: python -m venv {tmp}", say)
        py = _python_in(tmp)
        say(f"warp {version}: installing warp-lang=={version} {' '.join(RUNTIME_PACKAGES)}")
        _run(
            [
                py,
                "-m",
                "pip",
                "install",
                "--disable-pip-version-check",
                "--progress-bar",
                "off",
                f"warp-lang=={version}",
                *RUNTIME_PACKAGES,
            ],
            f"warp {version}: pip install warp-lang=={version}",
            say,
        )
        with open(os.path.join(tmp, READY), "w", encoding="utf-8") as f:
            json.dump(_ready_record(version), f)
        if os.path.exists(path):  # another process finished first, or a stale unmarked folder
            if is_ready(version, cache_dir):
                shutil.rmtree(tmp, ignore_errors=True)
                return WarpEnv(version, _python_in(path), path)
            shutil.rmtree(path)
        os.replace(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    say(f"warp {version}: environment ready in {time.perf_counter() - t0:.0f} s")
    return WarpEnv(version, _python_in(path), path, reused=False, seconds=time.perf_counter() - t0)


def _run(cmd: list[str], what: str, say: Report) -> None:
    """Run a build step, streaming its output lines to `say`; fail with the tail of its output."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1)
    tail: list[str] = []
    assert proc.stdout is not None
    for line in proc.stdout:
        line = line.rstrip()
        if line:
            tail = [*tail[-30:], line]
            say(line)
    rc = proc.wait()
    if rc != 0:
        raise VenvError(
            f"{what} failed (exit {rc}); is PyPI reachable and does the release exist for this "
            f"platform and Python {sys.version_info.major}.{sys.version_info.minor}?\n"
            + "\n".join(tail[-15:])
        )


# ---- which releases exist ------------------------------------------------------------------------


def available_versions(python: str | None = None, timeout_s: float = 120.0) -> list[str]:
    """Every warp-lang release pip can see, oldest first (`pip index versions`, else a failed
    `pip download warp-lang==0` whose error lists them)."""
    py = python or sys.executable
    tries = (
        [py, "-m", "pip", "index", "versions", "warp-lang", "--disable-pip-version-check"],
        [
            py,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "-d",
            os.devnull,
            "warp-lang==0",
            "--disable-pip-version-check",
        ],
    )
    errors = []
    for cmd in tries:
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s)
        except subprocess.TimeoutExpired:
            errors.append(f"{' '.join(cmd[2:5])}: timed out after {timeout_s:.0f} s")
            continue
        text = p.stdout + "\n" + p.stderr
        m = re.search(r"Available versions:\s*(.+)", text) or re.search(r"\(from versions:\s*([^)]*)\)", text)
        if m and m.group(1).strip() not in ("", "none"):
            found = [v.strip() for v in m.group(1).split(",") if v.strip()]
            final = [v for v in found if re.fullmatch(r"\d+\.\d+\.\d+", v)]
            return sorted(set(final), key=parse_version)
        errors.append(
            f"{' '.join(cmd[2:5])}: {text.strip().splitlines()[-1] if text.strip() else 'no output'}"
        )
    raise VenvError("cannot list warp-lang releases (is PyPI reachable?): " + "; ".join(errors))


def resolve_versions(spec: str, available: list[str] | None) -> list[str]:
    """`A..B` -> every available release from A to B inclusive (either end may be left open);
    `A,B,C` -> those releases. Versions are checked against `available` when it is known."""
    spec = spec.strip()
    if ".." in spec:
        lo_s, _, hi_s = spec.partition("..")
        if available is None:
            raise VenvError(f"--versions {spec}: a range needs the list of releases, which is unavailable")
        lo = parse_version(lo_s) if lo_s.strip() else (0, 0, 0)
        hi = parse_version(hi_s) if hi_s.strip() else (10**6, 0, 0)
        if lo > hi:
            raise VenvError(
                f"--versions {spec}: the range is empty (the first release is newer than the last)"
            )
        out = [v for v in available if lo <= parse_version(v) <= hi]
        if not out:
            raise VenvError(
                f"--versions {spec}: no warp-lang release in that range; pip sees {', '.join(available)}"
            )
        return out
    out = [v.strip() for v in spec.split(",") if v.strip()]
    if not out:
        raise VenvError("--versions: empty list")
    for v in out:
        parse_version(v)
        if available is not None and v not in available:
            raise VenvError(
                f"--versions: warp-lang {v} is not a release pip can see; known: {', '.join(available)}"
            )
    return sorted(dict.fromkeys(out), key=parse_version)
