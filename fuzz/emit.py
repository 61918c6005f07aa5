"""The C++ (and CUDA) that the installed Warp emits for each kernel of a source file.

A kernel is extracted with what it references (`fuzz.extract`, as `check` does), built as the
same one-kernel `WarpModule` a check compiles (`MODULE_HEADER` + extracted source), compiled with the
module options a campaign uses, and its code cut out of the module's source (`fuzz.engine.codecut`), so
the text equals the dataset record's `cpp_forward`/`cuda_forward` for that kernel. CUDA needs no
GPU: without one it is generated and compiled ahead of time with NVRTC (`compile_cuda_aot`).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from dataclasses import asdict, dataclass, field
from typing import Any

DEFAULT_CUDA_ARCH = 75  # NVRTC target when no GPU says otherwise (the lowest Warp's wheels ship for)


class EmitError(RuntimeError):
    """A file cannot be emitted as asked (the message names the file and kernel)."""


@dataclass
class EmittedKernel:
    """One kernel's code per device; `refused` says why there is none (nothing else is set then)."""

    kernel: str
    line: int
    device: str
    options: dict[str, Any] = field(default_factory=dict)
    forward: str | None = None
    backward: str | None = None
    refused: str = ""
    python: str = ""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _stem(path: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in os.path.splitext(os.path.basename(path))[0])


def emit_file(
    path: str,
    kernel: str | None = None,
    device: str = "cpu",
    backward: bool = True,
    cuda_arch: int | None = None,
) -> list[EmittedKernel]:
    """Code of every requested kernel of `path` for `device` ("cpu" or "cuda")."""
    import warp as wp

    from fuzz import extract as X
    from fuzz.engine import warpcompat
    from fuzz.engine.wpmodule import WarpModule

    if device not in ("cpu", "cuda"):
        raise EmitError(f"--device {device}: expected cpu or cuda")
    with open(path, encoding="utf-8") as f:
        source = f.read()
    try:
        defs = X.kernel_defs(source, path)
    except X.ExtractError as e:
        raise EmitError(str(e)) from e
    if not defs:
        raise EmitError(f"{path}: defines no @wp.kernel")
    if kernel is not None:
        defs = [d for d in defs if d.name == kernel]
        if not defs:
            names = ", ".join(sorted({d.name for d in X.kernel_defs(source, path)}))
            raise EmitError(f"--kernel {kernel}: not in {path}; it defines {names}")
    warpcompat.quiet()
    wp.init()
    options = {"enable_backward": backward}
    out: list[EmittedKernel] = []
    with tempfile.TemporaryDirectory(prefix="warpfuzz-emit-") as tmp:
        old_cache = wp.config.kernel_cache_dir
        wp.config.kernel_cache_dir = os.path.join(tmp, "kernel-cache")
        user: WarpModule | None = None
        try:
            with contextlib.suppress(Exception):  # a file that does not import is extracted from its source
                user = WarpModule.load(path, f"wf_emitsrc_{_stem(path)}", tmp)
            namespace = vars(user.pymod) if user is not None else None
            for d in defs:
                out.append(_emit_one(source, path, d, namespace, device, options, cuda_arch, tmp))
        finally:
            if user is not None:
                user.discard()
            wp.config.kernel_cache_dir = old_cache
    return out


def _emit_one(
    source: str,
    path: str,
    d: Any,
    namespace: dict[str, Any] | None,
    device: str,
    options: dict[str, Any],
    cuda_arch: int | None,
    tmp: str,
) -> EmittedKernel:
    import warp as wp

    from fuzz import extract as X
    from fuzz.engine.codecut import cut_kernel
    from fuzz.engine.wpmodule import CompileFailure, WarpModule, module_text
    from fuzz.export.records import record_code

    res = EmittedKernel(d.name, d.lineno, device, dict(options))
    if not d.top_level:
        res.refused = (
            f"{path}:{d.lineno}: kernel {d.name} is defined inside a function or class (not extracted)"
        )
        return res
    if d.factory is not None:  # Warp names its code after the factory's nested def, not `d.name`
        res.refused = f"{path}:{d.lineno}: kernel {d.name} is made by factory {d.factory} (not cut by emit)"
        return res
    ex = X.extract(source, path, d.name, namespace)
    if ex.unresolved:
        res.refused = f"{path}: kernel {d.name}: " + "; ".join(ex.unresolved)
        return res
    # the module exactly as the batch runner writes a one-case batch, so the code is the same
    res.python = module_text([ex.source])
    # a module name free of the kernel's name: the code cut gives a kernel every chunk naming it
    try:
        mod = WarpModule.build([ex.source], f"wf_emit_{os.getpid()}_{d.lineno}", tmp, options)
    except Exception as e:
        res.refused = (
            f"{path}: kernel {d.name}: the extracted module does not import: {type(e).__name__}: {e}"
        )
        return res
    with mod:
        try:
            if device == "cpu":
                mod.compile("cpu")
                code = mod.source("cpu")
            elif wp.is_cuda_available():
                mod.compile("cuda:0")
                code = mod.source("cuda:0")
                res.options["cuda_arch"] = int(wp.get_device("cuda:0").arch)
            else:
                arch = cuda_arch or DEFAULT_CUDA_ARCH
                code = mod.compile_cuda_aot(arch)
                res.options["cuda_arch"] = arch
            if not code:
                res.refused = f"{path}: kernel {d.name}: Warp left no {device} source in its kernel cache"
                return res
            cut = cut_kernel(code, d.name)
            res.forward = record_code(cut.forward, d.name, res.python)
            res.backward = (
                record_code(cut.backward, d.name, res.python) if options["enable_backward"] else None
            )
        except Exception as e:
            err = e.error if isinstance(e, CompileFailure) else e  # Warp's own error, not the wrapper
            res.refused = (
                f"{path}: kernel {d.name}: does not compile for {device}: {type(err).__name__}: {err}"
            )
    return res
