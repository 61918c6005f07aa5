"""Command line: `python -m fuzz [run] --budget 2h ...` and the other subcommands.

Each subcommand lives in its own module under `fuzz.commands` (NAME, HELP, add_arguments, run);
heavy imports happen inside `run`, so `--help` and usage errors stay fast.
"""

from __future__ import annotations

import argparse
import importlib
import signal
import sys
import threading

from fuzz.cliutil import HelpFormatter, UsageError, join_dash_values

COMMAND_MODULES = (
    "fuzz.commands.run",
    "fuzz.commands.generate",
    "fuzz.commands.triage",
    "fuzz.commands.reduce",
    "fuzz.commands.replay",
    "fuzz.commands.check",
    "fuzz.commands.emit",
    "fuzz.commands.harvest",
    "fuzz.commands.bench",
    "fuzz.commands.export",
    "fuzz.commands.selftest",
    "fuzz.commands.bisect",
    "fuzz.commands.report",
    "fuzz.commands.cluster",
)


def build_parser() -> tuple[argparse.ArgumentParser, dict[str, object]]:
    p = argparse.ArgumentParser(
        prog="python -m fuzz",
        description="Differential fuzzer for NVIDIA Warp: generate kernels, run them on CPU/CUDA, "
        "check them against a NumPy oracle, keep verified pairs and failing seeds.",
    )
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    handlers: dict[str, object] = {}
    for name in COMMAND_MODULES:
        mod = importlib.import_module(name)
        sp = sub.add_parser(mod.NAME, help=mod.HELP, description=mod.HELP, formatter_class=HelpFormatter)
        mod.add_arguments(sp)
        handlers[mod.NAME] = mod.run
    return p, handlers


def main(argv: list[str] | None = None) -> int:
    argv = join_dash_values(list(sys.argv[1:] if argv is None else argv))
    if not argv or (argv[0].startswith("-") and argv[0] not in ("-h", "--help")):
        argv = ["run", *argv]
    parser, handlers = build_parser()
    args = parser.parse_args(argv)
    # SIGTERM unwinds like Ctrl-C, so every command's `finally` removes its temporary folders
    # (a campaign installs its own handler, which stops it in order)
    main_thread = threading.current_thread() is threading.main_thread()
    old_term = signal.signal(signal.SIGTERM, _terminate) if main_thread else None
    try:
        return int(handlers[args.command](args))  # type: ignore[operator]
    except UsageError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"interrupted: python -m fuzz {args.command} stopped by Ctrl-C", file=sys.stderr)
        return 130
    finally:
        if main_thread:
            signal.signal(signal.SIGTERM, old_term)


def _terminate(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)
