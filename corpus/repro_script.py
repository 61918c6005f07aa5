#!/usr/bin/env python3
"""Standalone reproducer of one warpfuzz finding; needs only warp-lang and numpy.

It compiles kernel.py (beside this file), launches it on inputs.npz and checks the failure:
a mismatch against the reference values in expected.npz (per-element tolerance, elements
unstable under rounding skipped), a compile error, a launch error, a crash/hang (checked in
a child process), or a setting mismatch: the kernel built under Warp's baseline settings and
under the swept point meta.json names (`sweep_applied`: module options and wp.config flags),
launched on the same inputs, their outputs compared within the point's tolerance. Exit status: 1 while the failure is present, 0 once it is gone, 2 when this
machine cannot judge it (e.g. it needs a CUDA device), 3 when the folder is damaged (a file
missing or differing from meta.json's sha256) or kernel.py holds code outside the allow-list of
a corpus kernel: then nothing of kernel.py is imported. Warp's kernel cache goes to a temporary
folder that is removed at exit.

It imports kernel.py as a Warp module with its own few lines, not through warpfuzz's
`fuzz.engine.wpmodule.WarpModule` (every other place does): a reproducer must run where only
warp-lang and numpy are installed, so it is the one exception.

Usage: python repro.py [--device cpu|cuda:0]
"""

from __future__ import annotations

import atexit
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
from typing import Any

import numpy as np

from corpus.folder_check import DAMAGED_EXIT, UnsafeSource, check_source, folder_damage  # @FOLDER_CHECK@

# the template version this copy was made from: bump it with any change of this file or of
# corpus/folder_check.py, then regenerate the committed copies (scripts/refresh_repro.py);
# 8: the allow-list accepts generic kernels and their @wp.overload declarations
# 9: int32 and vec3f volumes, meshes with winding-number data
REPRO_TEMPLATE_VERSION = "10"
HERE = os.path.dirname(os.path.abspath(__file__))
CONFIG: dict[str, Any] = {}  # @CONFIG@ (filled in when the corpus folder is written)
CACHE_PREFIX = "warp-repro-cache-"


def _temp_dir(what: str) -> str:
    """A temporary folder removed when this process exits (its name carries the pid, so the
    folder of a child that crashed is removed by the next run: `_sweep_temp_dirs`)."""
    path = tempfile.mkdtemp(prefix=f"{CACHE_PREFIX}{os.getpid()}-{what}-")
    atexit.register(shutil.rmtree, path, True)
    return path


def _sweep_temp_dirs() -> None:
    """Remove the temporary folders of earlier runs whose process is gone."""
    root = tempfile.gettempdir()
    for name in os.listdir(root):
        pid = name[len(CACHE_PREFIX) :].split("-", 1)[0]
        if not name.startswith(CACHE_PREFIX) or not pid.isdigit():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(os.path.join(root, name), ignore_errors=True)
        except OSError:
            pass


def _folder_problem() -> str:
    """Why this folder cannot be trusted (empty when it can): files changed since it was written,
    or a kernel.py outside the allow-list. Nothing is imported before this is empty."""
    try:
        with open(os.path.join(HERE, "meta.json"), encoding="utf-8") as f:
            meta = json.load(f)
    except (OSError, ValueError) as e:
        return f"{os.path.join(HERE, 'meta.json')}: unreadable ({e})"
    damaged, note = folder_damage(HERE, meta)
    if damaged:
        return "damaged: " + "; ".join(damaged)
    if note:
        print(f"note: {note}")
    with open(os.path.join(HERE, "kernel.py"), encoding="utf-8", errors="replace") as f:
        source = f.read()
    try:
        check_source(source, os.path.join(HERE, "kernel.py"))
    except UnsafeSource as e:
        return str(e)
    return ""


def _warp() -> Any:
    import warp as wp

    wp.config.quiet = True  # type: ignore[attr-defined]
    wp.config.kernel_cache_dir = _temp_dir("kernels")
    wp.init()
    return wp


def _kernel(wp: Any, tag: str = "", extra: dict[str, Any] | None = None) -> Any:
    """kernel.py's kernel in a module of its own (`tag` names a second one), built with the
    campaign's options plus `extra` (a swept point's module options)."""
    name = f"repro_{CONFIG['kernel']}_{os.getpid()}{tag}"
    spec = importlib.util.spec_from_file_location(name, os.path.join(HERE, "kernel.py"))
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    options: dict[str, Any] = {"enable_backward": bool(CONFIG.get("enable_backward", False))}
    level = CONFIG.get("cpu_opt_level")  # the campaign's clang -O level for CPU code (None: Warp's default)
    cuda = any(str(d).startswith("cuda") for d in CONFIG.get("devices", [])) or bool(CONFIG.get("cuda_arch"))
    # a run that also compiled CUDA (on a GPU, or with NVRTC for cuda_arch) set the CPU level
    # through the CPU compiler flags (CUDA kept Warp's -O3, which a CUDA build failure may need);
    # the level changes no result, so here CPU+CUDA folders keep Warp's defaults
    if level is not None and not cuda and "optimization_level" in wp.get_module(name).options:
        options["optimization_level"] = level
    options.update(extra or {})
    wp.set_module_options(options, mod)
    return getattr(mod, CONFIG["kernel"])


def _load(module: Any, device: str) -> None:
    """Compile for `device` the variant `wp.launch` uses (CPU launches use block_dim=1 from 1.19)."""
    import inspect

    if "block_dim" in inspect.signature(module.load).parameters and device.startswith("cpu"):
        module.load(device, block_dim=1)
    else:
        module.load(device)


def _inputs() -> dict[str, Any]:
    data = np.load(os.path.join(HERE, "inputs.npz"))
    args: dict[str, Any] = {}
    for key in data.files:
        if "." in key:  # struct field "param.field"
            p, f = key.split(".", 1)
            args.setdefault(p, {})[f] = data[key]
        else:
            args[key] = data[key]
    return args


def _geometry(wp: Any, v: dict[str, Any], device: str) -> Any:
    """The wp.Mesh / HashGrid / Bvh / Volume a geometry argument's arrays describe (by their keys;
    a mesh with `rest` points is built on them, moved to `points` and refit; `winding`: with
    solid-angle data; a volume's voxels say its type: float32, int32 or vec3f (last axis 3))."""

    def arr(key: str, dtype: Any) -> Any:
        return wp.array(np.ascontiguousarray(v[key]), dtype=dtype, device=device)

    def one(key: str) -> float:
        return float(np.asarray(v[key]).reshape(()))

    if "indices" in v:
        mesh = wp.Mesh(
            points=arr("rest" if "rest" in v else "points", wp.vec3),
            indices=arr("indices", wp.int32),
            velocities=arr("velocities", wp.vec3),
            **({"support_winding_number": True} if "winding" in v else {}),
        )
        if "rest" in v:
            mesh.points.assign(arr("points", wp.vec3))
            mesh.refit()
        return mesh
    if "grid_points" in v:
        grid = wp.HashGrid(*(int(d) for d in np.asarray(v["grid_dims"]).reshape(3)), device=device)
        grid.build(arr("grid_points", wp.vec3), one("cell_width"))
        return grid
    if "lowers" in v:
        return wp.Bvh(arr("lowers", wp.vec3), arr("uppers", wp.vec3))
    vox = np.asarray(v["voxels"])  # its dtype and shape say the grid's type (vec3f: last axis 3)
    bg: Any
    if vox.ndim == 4:
        data, bg = (
            np.ascontiguousarray(vox, dtype=np.float32),
            tuple(float(x) for x in np.asarray(v["bg"]).reshape(3)),
        )
    elif vox.dtype.kind in "iu":
        data, bg = np.ascontiguousarray(vox, dtype=np.int32), int(np.asarray(v["bg"]).reshape(()))
    else:
        data, bg = np.ascontiguousarray(vox, dtype=np.float32), one("bg")
    return wp.Volume.load_from_numpy(
        data,
        min_world=tuple(float(x) for x in np.asarray(v["min_world"]).reshape(3)),
        voxel_size=one("voxel_size"),
        bg_value=bg,
        device=device,
    )


def _to_warp(wp: Any, t: Any, v: Any, device: str) -> Any:
    if isinstance(v, dict) and t is wp.uint64:  # a geometry object: the kernel gets its id
        return _geometry(wp, v, device)
    if wp.types.is_array(t):
        scalar = getattr(t.dtype, "_wp_scalar_type_", t.dtype)
        return wp.array(
            np.ascontiguousarray(v, dtype=wp.dtype_to_numpy(scalar)), dtype=t.dtype, device=device
        )
    if hasattr(t, "vars") and hasattr(t, "cls"):  # a @wp.struct
        inst = t()
        for name, var in t.vars.items():
            setattr(inst, name, _to_warp(wp, var.type, v[name], device))
        return inst
    if hasattr(t, "_wp_scalar_type_") and hasattr(t, "_shape_"):  # vector / matrix value
        return t(*np.asarray(v).reshape(-1).tolist())
    return t(np.asarray(v).item())


def _launch(wp: Any, kernel: Any, device: str) -> dict[str, np.ndarray]:
    args = _inputs()
    warp_args, arrays, keep = [], {}, []
    for arg in kernel.adj.args:
        v = _to_warp(wp, arg.type, args[arg.label], device)
        if hasattr(v, "id") and arg.type is wp.uint64:
            keep.append(v)  # the object must outlive the launch
            v = v.id
        if wp.types.is_array(arg.type):
            arrays[arg.label] = v
        warp_args.append(v)
    wp.launch(kernel, dim=tuple(CONFIG["dim"]), inputs=warp_args, device=device)
    wp.synchronize_device(device)
    return {n: a.numpy() for n, a in arrays.items()}


def _bad(obs: np.ndarray, exp: np.ndarray, tol: np.ndarray, unstable: np.ndarray) -> np.ndarray:
    """Elements outside tolerance (NaN matches only NaN, an infinity only the same infinity)."""
    if exp.dtype.kind == "f":
        o, e = obs.astype(np.float64), exp.astype(np.float64)
        both_nan = np.isnan(o) & np.isnan(e)
        same_inf = np.isinf(o) & np.isinf(e) & (np.sign(o) == np.sign(e))
        with np.errstate(invalid="ignore", over="ignore"):
            diff = np.abs(o - e)
        diff[both_nan | same_inf] = 0.0
        diff[np.isnan(diff)] = np.inf
        special = (np.isnan(o) != np.isnan(e)) | ((np.isinf(o) | np.isinf(e)) & ~same_inf & ~both_nan)
        return ((diff > tol) | special) & ~unstable
    return (obs != exp) & ~unstable


def _check_mismatch(outs: dict[str, dict[str, np.ndarray]]) -> int:
    ref = np.load(os.path.join(HERE, "expected.npz"))
    failing = 0
    for device, observed in outs.items():
        for name in sorted(k for k in ref.files if "__" not in k):
            exp = ref[name]
            obs = observed[name]
            if obs.shape != exp.shape:
                print(f"{device}: {name}: shape {obs.shape}, expected {exp.shape}")
                failing += 1
                continue
            bad = _bad(obs, exp, ref[name + "__tol"], ref[name + "__unstable"])
            nd = int(CONFIG["elem_ndim"].get(name, 0))
            elem_bad = bad.any(axis=tuple(range(bad.ndim - nd, bad.ndim))) if nd else bad
            n_bad = int(elem_bad.sum())
            if not n_bad:
                print(f"{device}: {name}: all {elem_bad.size} elements agree")
                continue
            failing += 1
            print(f"{device}: {name}: {n_bad}/{elem_bad.size} elements differ; first ones:")
            for idx in list(zip(*np.nonzero(elem_bad), strict=True))[:5]:
                tol = ref[name + "__tol"][idx]
                where = ", ".join(str(int(k)) for k in idx)
                print(
                    f"  [{where}] observed {obs[idx].tolist()} expected {exp[idx].tolist()} tolerance {tol.tolist()}"
                )
    return 1 if failing else 0


def _check_gradient(wp: Any, kernel: Any, device: str) -> int:
    """Warp's adjoint of one input element under loss = sum(float outputs), against a central
    finite difference of the same loss through Warp's own forward code (float64 sums)."""
    g = CONFIG.get("gradient")
    if not g:
        print("no gradient target recorded; judge with `python -m fuzz replay`")
        return 2
    args = _inputs()
    name, index = g["input"], tuple(g["index"])

    keep: list[Any] = []  # geometry objects outlive their launches

    def run(values: dict[str, Any], tape: Any = None) -> tuple[float, dict[str, Any]]:
        warp_args, arrays = [], {}
        for arg in kernel.adj.args:
            v = _to_warp(wp, arg.type, values[arg.label], device)
            if hasattr(v, "id") and arg.type is wp.uint64:
                keep.append(v)
                v = v.id
            if wp.types.is_array(arg.type):
                v.requires_grad = arg.label == name or arg.label in g["outputs"]
                arrays[arg.label] = v
            warp_args.append(v)
        if tape is not None:
            with tape:
                wp.launch(kernel, dim=tuple(CONFIG["dim"]), inputs=warp_args, device=device)
        else:
            wp.launch(kernel, dim=tuple(CONFIG["dim"]), inputs=warp_args, device=device)
        wp.synchronize_device(device)
        loss = sum(float(np.sum(arrays[o].numpy().astype(np.float64))) for o in g["outputs"])
        return loss, arrays

    tape = wp.Tape()
    _, arrays = run(args, tape)
    tape.backward(grads={arrays[o]: wp.ones_like(arrays[o]) for o in g["outputs"]})
    analytic = float(arrays[name].grad.numpy()[index])
    x = float(np.asarray(args[name])[index])
    h = 1e-3 * max(1.0, abs(x))

    def copy() -> dict[str, Any]:
        return {k: np.array(v, copy=True) if isinstance(v, np.ndarray) else v for k, v in args.items()}

    plus, minus = copy(), copy()
    plus[name][index] = x + h
    minus[name][index] = x - h
    fd = (run(plus)[0] - run(minus)[0]) / (float(plus[name][index]) - float(minus[name][index]))
    tol = 1e-2 * max(1.0, abs(fd))
    print(
        f"{device}: d loss / d {name}{list(index)}: Warp {analytic!r}, finite differences {fd!r} (tolerance {tol:.3g})"
    )
    return 1 if not abs(analytic - fd) <= tol else 0


class _Flags:
    """wp.config flags set for a `with` block and restored after it."""

    def __init__(self, wp: Any, flags: dict[str, Any]) -> None:
        self.wp, self.flags = wp, flags
        self.old: dict[str, Any] = {}

    def __enter__(self) -> None:
        for k, v in self.flags.items():
            self.old[k] = getattr(self.wp.config, k)
            setattr(self.wp.config, k, v)

    def __exit__(self, *exc: object) -> None:
        for k, v in self.old.items():
            setattr(self.wp.config, k, v)


def _check_setting(wp: Any, devices: list[str]) -> int:
    """Baseline against the swept point of meta.json: 1 while the point's outputs differ (or it
    alone fails to build or launch), 0 once they agree, 2 when this machine cannot judge it."""
    with open(os.path.join(HERE, "meta.json"), encoding="utf-8") as f:
        applied = json.load(f).get("sweep_applied") or {}
    if not applied:
        print("no swept point recorded in meta.json; judge with `python -m fuzz replay`")
        return 2
    point, how = next(iter(applied.items()))
    probe = wp.get_module(f"repro_probe_{os.getpid()}")
    lacking = [k for k in how["options"] if k not in probe.options]
    lacking += [f"wp.config.{k}" for k in how["config"] if not hasattr(wp.config, k)]
    if lacking:
        print(f"note: warp {wp.__version__} lacks {', '.join(lacking)}: {point} cannot be judged here")
        return 2
    devs = [d for d in devices if d.split(":")[0] in how["devices"]]
    if not devs:
        print(f"cannot judge here: {point} concerns {'/'.join(how['devices'])} only")
        return 2
    base: dict[str, dict[str, np.ndarray]] = {}
    try:
        kernel = _kernel(wp)
        for d in devs:
            _load(kernel.module, d)
            base[d] = _launch(wp, kernel, d)
    except Exception as e:
        print(f"the baseline build fails now ({type(e).__name__}: {e}); judge with `python -m fuzz replay`")
        return 2
    swept: dict[str, dict[str, np.ndarray]] = {}
    with _Flags(wp, how["config"]):
        try:
            kernel = _kernel(wp, "_point", how["options"])
            for d in devs:
                _load(kernel.module, d)
                swept[d] = _launch(wp, kernel, d)
        except Exception as e:
            print(f"{point}: fails only under this setting: {type(e).__name__}: {e}")
            return 1
    ref = np.load(os.path.join(HERE, "expected.npz"))
    rule = how["tolerance"]
    failing = 0
    for d in devs:
        for name in sorted(k for k in ref.files if "__" not in k):
            b, o = base[d][name], swept[d][name]
            unstable = ref[name + "__unstable"]
            tol = ref[name + "__tol"] * float(rule["scale"]) + float(rule["abs_floor"])
            if rule["skip_nonfinite"] and b.dtype.kind == "f":
                unstable = unstable | ~np.isfinite(b)
            bad = _bad(o, b, tol, unstable)
            if not bad.any():
                print(f"{d}: {name}: {point} agrees with the baseline")
                continue
            failing += 1
            idx = tuple(int(k) for k in np.argwhere(bad)[0])
            print(f"{point} on {d}: {name}{list(idx)} {o[idx].tolist()} != baseline {b[idx].tolist()}")
    return 1 if failing else 0


def _devices(wp: Any, asked: str | None) -> list[str]:
    if asked:
        return [asked]
    have = [d for d in CONFIG["devices"] if d == "cpu" or wp.is_cuda_available()]
    return have


def check(asked: str | None) -> int:
    verdict = CONFIG["verdict"]
    wp = _warp()
    devices = _devices(wp, asked)
    print(f"warp {wp.__version__}; {CONFIG['title']}")
    if verdict == "setting_mismatch":
        return _check_setting(wp, devices)
    cuda_compile = CONFIG["stage"] == "compile:cuda" and not wp.is_cuda_available()
    if not devices and not cuda_compile:
        print(f"cannot judge here: needs one of {CONFIG['devices']}")
        return 2
    try:
        kernel = _kernel(wp)
        if cuda_compile:  # compile the CUDA code with NVRTC, no GPU needed
            wp.compile_aot_module(
                kernel.module, arch=int(CONFIG.get("cuda_arch") or 90), module_dir=_temp_dir("aot")
            )
        for d in devices:
            _load(kernel.module, d)
    except Exception as e:
        print(f"compile error: {type(e).__name__}: {e}")
        return 1
    if verdict == "compile_error":
        print("the kernel compiles now")
        return 0
    if verdict == "gradient_mismatch":
        return max(_check_gradient(wp, kernel, d) for d in devices)
    outs: dict[str, dict[str, np.ndarray]] = {}
    for d in devices:
        try:
            outs[d] = _launch(wp, kernel, d)
        except Exception as e:
            print(f"launch error on {d}: {type(e).__name__}: {e}")
            return 1
    if verdict == "mismatch":
        return _check_mismatch(outs)
    if verdict == "launch_error":
        print("the kernel launches now")
        return 0
    if verdict in ("crash", "timeout"):
        print("ran to completion")
        return 0
    for d, o in outs.items():
        for n, a in o.items():
            print(f"{d}: {n} = {np.array2string(a.reshape(-1)[:8], threshold=8)} ...")
    print(f"verdict {verdict!r} concerns warpfuzz itself; judge it with `python -m fuzz replay {HERE}`")
    return 2


def main(argv: list[str]) -> int:
    asked = argv[argv.index("--device") + 1] if "--device" in argv else None
    if "--child" not in argv:
        _sweep_temp_dirs()
    problem = "" if "--child" in argv else _folder_problem()
    if problem:
        print(f"cannot judge: {problem}")
        return DAMAGED_EXIT
    if "--child" in argv or CONFIG["verdict"] not in ("crash", "timeout"):
        return check(asked)
    # a crash or hang kills the process: run the check in a child and read its fate
    cmd = [sys.executable, os.path.abspath(__file__), "--child", *argv]
    try:
        proc = subprocess.run(cmd, timeout=float(CONFIG.get("timeout_s", 60)), capture_output=True, text=True)
    except subprocess.TimeoutExpired:
        print(f"hang: no answer within {CONFIG.get('timeout_s', 60)} s")
        return 1
    sys.stdout.write(proc.stdout)
    if proc.returncode < 0 or proc.returncode > DAMAGED_EXIT:
        print(f"crash: the child exited with status {proc.returncode}")
        print(proc.stderr[-2000:])
        return 1
    return proc.returncode


if __name__ == "__main__":
    if not CONFIG:
        sys.exit(f"{__file__}: this is the template; run the repro.py of a corpus folder")
    print(json.dumps({k: CONFIG[k] for k in ("seed", "verdict", "signature")}))
    sys.exit(main(sys.argv[1:]))
