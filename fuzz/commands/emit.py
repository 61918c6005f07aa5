"""`python -m fuzz emit FILE`: the C++ (or CUDA) the installed Warp emits for each kernel of a file,
cut to that kernel as in the dataset (`fuzz.emit`)."""

from __future__ import annotations

import argparse
import json
import os
import sys

from fuzz.cliutil import UsageError

NAME = "emit"
HELP = (
    "print the C++ (--device cpu) or CUDA (--device cuda; NVRTC, no GPU needed) that Warp emits for each "
    "kernel of a file, cut to the kernel as in the dataset, with the module options used"
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", help="a .py file defining one or more @wp.kernel functions")
    p.add_argument("--kernel", default=None, help="the kernel to emit (default: every kernel in the file)")
    p.add_argument("--device", default="cpu", choices=("cpu", "cuda"), help="which code to emit")
    p.add_argument(
        "--backward",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="compile with enable_backward and print the backward code too",
    )
    p.add_argument(
        "--cuda-arch",
        type=int,
        default=None,
        help="NVRTC target sm_ARCH for --device cuda without a GPU (default 75; with a GPU: its arch)",
    )
    p.add_argument("--format", default="text", choices=("text", "json"), help="plain text or one JSON list")


def run(args: argparse.Namespace) -> int:
    from fuzz.emit import EmitError, emit_file

    path = os.path.abspath(args.file)
    if not os.path.isfile(path):
        raise UsageError(f"{args.file}: no such file")
    try:
        kernels = emit_file(path, args.kernel, args.device, args.backward, args.cuda_arch)
    except EmitError as e:
        raise UsageError(str(e)) from e
    if args.format == "json":
        print(json.dumps([k.to_json() for k in kernels], indent=2))
    else:
        for k in kernels:
            head = f"// ===== {args.file}:{k.line} kernel {k.kernel} ({k.device}) options {json.dumps(k.options)}"
            print(head)
            if k.refused:
                print(f"// not emitted: {k.refused}")
                continue
            print("// ----- forward")
            print(k.forward or "", end="" if (k.forward or "").endswith("\n") else "\n")
            if k.backward:
                print("// ----- backward")
                print(k.backward, end="" if k.backward.endswith("\n") else "\n")
    refused = [k for k in kernels if k.refused]
    for k in refused:
        print(f"{k.kernel}: not emitted: {k.refused}", file=sys.stderr)
    return 2 if refused else 0
