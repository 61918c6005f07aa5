"""One corpus folder on disk: the one type that writes, reads and checks it (docs/corpus.md).

A folder is self-contained: `meta.json` (what failed and where, the worker settings it was judged
with, a sha256 of every other file), `case.json` (the KernelCase: the exact recipe for source and
inputs), `kernel.py` (the module Warp compiles), `inputs.npz`, `expected.npz` (mismatches: the
oracle's values, per-element tolerance and unstable mask), `repro.py` (standalone: warp-lang +
numpy, generated from `corpus/repro_script.py`), and the emitted C++/CUDA when there was any.
Every reader and writer goes through `CorpusFolder`, so the format is written down once; reading
checks the hashes and the kernel sources' allow-list (`corpus.folder_check`) before anything of
the folder is imported.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from corpus import folder_check
from corpus.folder_check import folder_damage, folder_hashes, source_problems
from fuzz.engine.judge import TolerancePolicy
from fuzz.engine.runner import elem_ndim
from fuzz.engine.settings import WorkerSettings
from fuzz.engine.signature import Signature
from fuzz.engine.sweep import parse_point
from fuzz.engine.verdict import Verdict
from grammar.case import KernelCase

FORMAT = 1
META = folder_check.META
CASE = "case.json"
KERNEL = "kernel.py"
INPUTS = "inputs.npz"
EXPECTED = "expected.npz"
REPRO = "repro.py"
REDUCED = "reduced"
# emitted code: CaseResult.code key -> file (the backward pass follows the forward one)
CODE_FILES = {"cpp_forward": "kernel.cpp", "cuda_forward": "kernel.cu"}
# Warp annotations (`wp.array(dtype=...)`) are calls, which type checkers reject
KERNEL_HEADER = "# mypy: ignore-errors\n"
TOL_SUFFIX = "__tol"
UNSTABLE_SUFFIX = "__unstable"
REPRO_TIMEOUT_S = 60
REPRO_TEMPLATE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "repro_script.py")
CONFIG_MARKER = "CONFIG: dict[str, Any] = {}  # @CONFIG@ (filled in when the corpus folder is written)"
CHECK_MARKER = "from corpus.folder_check import DAMAGED_EXIT, UnsafeSource, check_source, folder_damage  # @FOLDER_CHECK@"
_VERSION_LINE = re.compile(r'^REPRO_TEMPLATE_VERSION = "(?P<v>[^"]+)"$', re.M)
REFRESH_COMMAND = "python scripts/refresh_repro.py"


class CorpusError(RuntimeError):
    """A path is not a usable corpus folder; the message names it and says what is wrong."""


@dataclass
class ExpectedArray:
    """A mismatch's reference for one array: the oracle's values, the judge's per-element
    tolerance, and the elements skipped as unstable."""

    values: np.ndarray
    tolerance: np.ndarray
    unstable: np.ndarray


def expected_npz(expected: dict[str, ExpectedArray]) -> dict[str, np.ndarray]:
    """expected.npz's members: `name`, `name__tol`, `name__unstable` per array."""
    out: dict[str, np.ndarray] = {}
    for name, e in expected.items():
        out[name] = e.values
        out[name + TOL_SUFFIX] = e.tolerance
        out[name + UNSTABLE_SUFFIX] = e.unstable
    return out


def flat_inputs(args: dict[str, Any]) -> dict[str, np.ndarray]:
    """inputs.npz's members: a struct parameter's fields as `param.field`."""
    flat: dict[str, np.ndarray] = {}
    for name, v in args.items():
        if isinstance(v, dict):
            for f, fv in v.items():
                flat[f"{name}.{f}"] = np.asarray(fv)
        else:
            flat[name] = np.asarray(v)
    return flat


# ---------------------------------------------------------------- settings


def settings_meta(settings: WorkerSettings, gen_config: dict[str, Any] | None = None) -> dict[str, Any]:
    """The meta.json keys recording what a replay or reduction needs of `settings`. Not recorded:
    run_dir (where to work), the test-only fault seeds and compile_only (bench); registry_factory
    only as `oracle_registry`, for the reader (a folder never chooses code to import). A
    setting_mismatch folder records its blamed point as `sweep` and, for repro.py (which has no
    warpfuzz to look the table up in), `sweep_applied`: per point the module options and
    `wp.config` flags it sets and its tolerance."""
    sweep = {"sweep": list(settings.sweep), "sweep_applied": _sweep_applied(settings.sweep)}
    return {
        **(sweep if settings.sweep else {}),
        "devices": list(settings.devices),
        "enable_backward": settings.enable_backward,
        "cuda_arch": settings.cuda_arch,
        "cpu_opt_level": settings.cpu_opt_level,
        "gradients": settings.gradients,
        "gen_config": gen_config if gen_config is not None else settings.gen_config,
        "tolerance": {"rule": settings.policy.describe(), **asdict(settings.policy)},
        # recorded for the reader only: no command imports what a folder names (--oracle-registry does)
        "oracle_registry": settings.registry_factory,
    }


def settings_from_meta(
    meta: dict[str, Any],
    *,
    run_dir: str = "",
    devices: tuple[str, ...] | None = None,
    registry: str | None = None,
) -> WorkerSettings:
    """The worker settings `settings_meta` recorded (`devices` and `registry` from the caller when
    given; the registry never from the folder). Folders of older writers lack `gradients`
    (True then) and may lack the rest (the defaults of those writers)."""
    tol = meta.get("tolerance") or {}
    policy = TolerancePolicy(
        **{k: tol[k] for k in ("safety", "floor_ulps", "max_unstable_fraction") if k in tol}
    )
    return WorkerSettings(
        run_dir=run_dir,
        devices=tuple(devices or meta.get("devices") or ("cpu",)),
        enable_backward=bool(meta.get("enable_backward", False)),
        cuda_arch=meta.get("cuda_arch"),
        cpu_opt_level=meta.get("cpu_opt_level"),
        gen_config=meta.get("gen_config") or {},
        policy=policy,
        registry_factory=registry or None,
        gradients=bool(meta.get("gradients", True)),
        sweep=tuple(str(p) for p in meta.get("sweep") or ()),
    )


def _sweep_applied(points: tuple[str, ...]) -> dict[str, Any]:
    """How each point reaches Warp and how far it may move a float output, in the terms repro.py
    applies: {"options": module options, "config": wp.config flags, "devices": device kinds,
    "tolerance": {"scale", "abs_floor", "skip_nonfinite"}} (scale: times the oracle tolerance
    of expected.npz)."""
    out: dict[str, Any] = {}
    for text in points:
        p = parse_point(text)
        tol = p.tolerance
        out[p.text] = {
            "options": p.module_options(),
            "config": p.config_flags(),
            "devices": list(p.setting.devices),
            "tolerance": {
                # expected.npz's __tol is safety*bound + floor*ulp; the point's rule scales both terms
                "scale": max(tol.safety_scale, tol.floor_scale),
                "abs_floor": tol.abs_floor,
                "skip_nonfinite": tol.skip_nonfinite,
            },
        }
    return out


# ---------------------------------------------------------------- repro.py


def template_version(template: str) -> str:
    m = _VERSION_LINE.search(template)
    if m is None:
        raise RuntimeError(f'{REPRO_TEMPLATE}: no `REPRO_TEMPLATE_VERSION = "N"` line')
    return m.group("v")


def _gradient_target(meta: dict[str, Any], case: KernelCase) -> dict[str, Any] | None:
    """For a gradient mismatch: the input element the checker named and the float outputs."""
    if meta.get("verdict") != Verdict.GRADIENT_MISMATCH:
        return None
    m = re.search(r"/d(\w+)\[([^\]]*)\]", str(meta.get("message") or ""))
    if not m:
        return None
    index = [int(x) for x in m.group(2).replace(" ", "").split(",") if x.lstrip("-").isdigit()]
    floats = ("float32", "float64", "float16")
    outs = [
        p.name for p in case.params if p.kind == "array" and p.role in ("out", "inout") and p.dtype in floats
    ]
    return {"input": m.group(1), "index": index, "outputs": outs}


def repro_config(meta: dict[str, Any], case: KernelCase) -> dict[str, Any]:
    """repro.py's CONFIG, from the folder's own meta.json and case alone (so a copy can always be
    regenerated and compared)."""
    seed, verdict, stage = meta["seed"], meta["verdict"], meta.get("stage")
    return {
        "seed": seed,
        "kernel": case.kernel_name,
        "verdict": verdict,
        "stage": stage,
        "signature": Signature.from_json(meta["signature"]).key(),
        "title": f"seed {seed} ({meta.get('family')}): {verdict} at {stage or '?'}",
        "dim": list(case.dim),
        "devices": list(meta.get("devices") or []),
        "cuda_arch": meta.get("cuda_arch"),
        "enable_backward": meta.get("enable_backward"),
        "cpu_opt_level": meta.get("cpu_opt_level"),
        "elem_ndim": {p.name: elem_ndim(p.dtype) for p in case.params if p.kind == "array"},
        "timeout_s": REPRO_TIMEOUT_S,
        "gradient": _gradient_target(meta, case),
    }


def repro_text(config: dict[str, Any]) -> str:
    """A folder's repro.py: the template with its CONFIG filled in, the folder checker's text in
    place of its import (repro.py must run with warp-lang and numpy alone), and a header line
    naming the template version."""
    with open(REPRO_TEMPLATE, encoding="utf-8") as f:
        template = f.read()
    with open(folder_check.__file__, encoding="utf-8") as f:
        checker = f.read()
    for marker in (CONFIG_MARKER, CHECK_MARKER):
        if marker not in template:
            raise RuntimeError(f"{REPRO_TEMPLATE}: the marker line {marker!r} is missing")
    version = template_version(template)
    checker = (
        "# ---- copied from corpus/folder_check.py ----\n"
        + checker
        + "# ---- end of corpus/folder_check.py ----\n"
    )
    text = template.replace(CHECK_MARKER, checker).replace(
        CONFIG_MARKER, f"CONFIG: dict[str, Any] = json.loads({json.dumps(json.dumps(config))})"
    )
    shebang, _, rest = text.partition("\n")
    stamp = (
        f"# Generated from corpus/repro_script.py, template version {version}: do not edit; "
        f"regenerate with `{REFRESH_COMMAND} FOLDER`.\n"
    )
    return f"{shebang}\n{stamp}{rest}"


# ---------------------------------------------------------------- the folder


@dataclass
class CorpusFolder:
    """A corpus folder as read (and checked) from disk."""

    path: str
    meta: dict[str, Any]
    case: KernelCase | None
    damaged: list[str] = field(default_factory=list)  # files missing or changed since written
    refused: list[str] = field(default_factory=list)  # kernel source lines outside the allow-list
    note: str = ""  # e.g. written before integrity hashes

    # ---- reading

    @staticmethod
    def is_folder(path: str) -> bool:
        """`path` holds a complete folder (meta.json is written last)."""
        return os.path.isfile(os.path.join(path, META))

    @staticmethod
    def read(path: str) -> CorpusFolder:
        """Load and check `path`: meta.json, the case, the hashes and the allow-list. Raises
        CorpusError when it is no corpus folder; damage and refusals are recorded, not raised."""
        meta_path = os.path.join(path, META)
        if not os.path.isfile(meta_path):
            raise CorpusError(f"{path}: no {META} here; pass a corpus folder (or a directory holding some)")
        try:
            with open(meta_path, encoding="utf-8") as f:
                meta = json.load(f)
        except (OSError, json.JSONDecodeError) as e:
            raise CorpusError(f"{meta_path}: unreadable ({e}); restore it or delete the folder") from e
        if not isinstance(meta, dict) or meta.get("format") != FORMAT or "signature" not in meta:
            raise CorpusError(f"{meta_path}: not a corpus meta.json of format {FORMAT}")
        damaged, note = folder_damage(path, meta)
        case = None
        refused: list[str] = []
        case_path = os.path.join(path, CASE)
        if os.path.isfile(case_path) and not any(d.startswith(case_path) for d in damaged):
            try:
                with open(case_path, encoding="utf-8") as f:
                    case = KernelCase.from_json(json.load(f))
            except (OSError, ValueError, KeyError, TypeError) as e:
                damaged.append(f"{case_path}: unreadable ({type(e).__name__}: {e})")
        if case is not None:
            refused += source_problems(case.module_source(), case_path)
        kernel_path = os.path.join(path, KERNEL)
        if os.path.isfile(kernel_path) and not any(d.startswith(kernel_path) for d in damaged):
            with open(kernel_path, encoding="utf-8", errors="replace") as f:
                refused += source_problems(f.read(), kernel_path)
        return CorpusFolder(path, meta, case, damaged, refused, note)

    @property
    def usable(self) -> bool:
        """Neither damaged nor refused: its case may be imported and judged."""
        return not self.damaged and not self.refused

    def problem(self) -> str:
        """Why the folder is unusable (empty when it is usable), with what to do about it."""
        if self.damaged:
            more = f" (and {len(self.damaged) - 1} more)" if len(self.damaged) > 1 else ""
            return f"damaged: {self.damaged[0]}{more}; restore the folder from its sender or re-save it"
        if self.refused:
            more = f" (and {len(self.refused) - 1} more)" if len(self.refused) > 1 else ""
            return (
                f"refused: {self.refused[0]}{more}; a corpus kernel may hold only warp/numpy/math imports "
                "and @wp.kernel/@wp.func/@wp.struct definitions, so nothing of it was imported"
            )
        return ""

    @property
    def signature(self) -> Signature:
        return Signature.from_json(self.meta["signature"])

    @property
    def seed(self) -> int:
        return int(self.meta["seed"])

    @property
    def reduced(self) -> bool:
        """This folder is a reduction of another."""
        return bool(self.meta.get("reduced_from"))

    @property
    def files(self) -> list[str]:
        return list(self.meta.get("files") or [])

    @property
    def reduced_path(self) -> str:
        """Where this folder's reduction is (or goes)."""
        return os.path.join(self.path, REDUCED)

    @property
    def has_reduced(self) -> bool:
        return self.is_folder(self.reduced_path)

    # ---- by path, without reading (and checking) the folder: for queues and reports

    @staticmethod
    def reduction_of(path: str) -> str:
        """Where the reduction of the folder at `path` is (or goes): its `reduced/` subfolder."""
        return os.path.join(path, REDUCED)

    @staticmethod
    def is_reduction(path: str) -> bool:
        """`path` is some folder's `reduced/` subfolder (by its name)."""
        return os.path.basename(path) == REDUCED

    @staticmethod
    def holds_case(path: str) -> bool:
        """The folder at `path` has its case.json (a failure saved before generation failed has not)."""
        return os.path.isfile(os.path.join(path, CASE))

    @staticmethod
    def kernel_text(path: str) -> str | None:
        """kernel.py of the folder at `path` as written, header line included, unchecked: for showing,
        never for importing. None: there is none; "" when it cannot be read."""
        p = os.path.join(path, KERNEL)
        if not os.path.isfile(p):
            return None
        try:
            with open(p, encoding="utf-8") as f:
                return f.read()
        except OSError:
            return ""

    @staticmethod
    def meta_of(path: str) -> dict[str, Any] | None:
        """meta.json of the folder at `path` without `read`'s format and hash checks (None: missing,
        unreadable or not a JSON object): for reports showing what a folder says, never for judging."""
        try:
            with open(os.path.join(path, META), encoding="utf-8") as f:
                text = f.read()
        except OSError:
            return None
        try:
            meta = json.loads(text) if text else None
        except json.JSONDecodeError:
            return None
        return meta if isinstance(meta, dict) else None

    def worker_settings(
        self, *, run_dir: str = "", devices: tuple[str, ...] | None = None, registry: str | None = None
    ) -> WorkerSettings:
        """The settings the folder was judged with (see `settings_from_meta`)."""
        return settings_from_meta(self.meta, run_dir=run_dir, devices=devices, registry=registry)

    def _npz(self, name: str, what: str) -> Any:
        p = os.path.join(self.path, name)
        if name not in self.files or not os.path.isfile(p):
            raise CorpusError(f"{self.path}: no {name} ({what}); re-save the folder from its run")
        if not self.usable:
            raise CorpusError(f"{self.path}: {self.problem()}")
        return np.load(p)

    def inputs(self) -> dict[str, np.ndarray]:
        """inputs.npz as stored (struct fields as `param.field`)."""
        with self._npz(INPUTS, "the inputs were never built") as data:
            return {k: data[k] for k in data.files}

    def expected(self) -> dict[str, ExpectedArray]:
        """expected.npz: a mismatch's reference values, tolerance and unstable mask per array."""
        with self._npz(EXPECTED, "only a mismatch has reference values") as data:
            return {
                k: ExpectedArray(data[k], data[k + TOL_SUFFIX], data[k + UNSTABLE_SUFFIX])
                for k in data.files
                if "__" not in k
            }

    # ---- writing

    @staticmethod
    def write(
        path: str,
        meta: dict[str, Any],
        settings: WorkerSettings,
        *,
        gen_config: dict[str, Any] | None = None,
        case: KernelCase | None = None,
        inputs: dict[str, Any] | None = None,
        expected: dict[str, ExpectedArray] | None = None,
        code: dict[str, str] | None = None,
    ) -> CorpusFolder:
        """Write (or overwrite) a folder: its files, repro.py (when the case and inputs are there),
        then meta.json with the settings, file list and hashes, last (its presence marks a
        complete folder). `code`: file name (CODE_FILES) -> emitted source."""
        os.makedirs(path, exist_ok=True)
        meta = {**meta, **settings_meta(settings, gen_config), "format": FORMAT}
        files = [META]
        if case is not None:
            write_json(os.path.join(path, CASE), case.to_json())
            with open(os.path.join(path, KERNEL), "w", encoding="utf-8") as f:
                f.write(KERNEL_HEADER + case.module_source())
            files += [CASE, KERNEL]
        if inputs is not None:
            np.savez(os.path.join(path, INPUTS), **flat_inputs(inputs))  # type: ignore[arg-type]
            files.append(INPUTS)
        if expected is not None:
            np.savez(os.path.join(path, EXPECTED), **expected_npz(expected))  # type: ignore[arg-type]
            files.append(EXPECTED)
        for name, text in (code or {}).items():
            with open(os.path.join(path, name), "w", encoding="utf-8") as f:
                f.write(text)
            files.append(name)
        if case is not None and inputs is not None:
            with open(os.path.join(path, REPRO), "w", encoding="utf-8") as f:
                f.write(repro_text(repro_config(meta, case)))
            files.append(REPRO)
        meta["files"] = sorted(files)
        meta["sha256"] = folder_hashes(path, files)
        write_json(os.path.join(path, META), meta)
        return CorpusFolder(path, meta, case)

    # ---- repro.py against the template

    def expected_repro(self) -> str | None:
        """The repro.py the template makes for this folder now (None: the folder has none)."""
        if self.case is None or INPUTS not in self.files:
            return None
        return repro_text(repro_config(self.meta, self.case))

    def repro_drift(self) -> str:
        """What differs between the folder's repro.py and the template's (empty: nothing)."""
        want = self.expected_repro()
        p = os.path.join(self.path, REPRO)
        if want is None:
            return f"{p}: the folder has no case or inputs, yet a repro.py" if os.path.exists(p) else ""
        if not os.path.isfile(p):
            return f"{p}: missing; regenerate it with `{REFRESH_COMMAND} {self.path}`"
        with open(p, encoding="utf-8") as f:
            have = f.read()
        if have == want:
            return ""
        line = next(
            (
                k
                for k, (a, b) in enumerate(zip(have.splitlines(), want.splitlines(), strict=False), 1)
                if a != b
            ),
            min(len(have.splitlines()), len(want.splitlines())) + 1,
        )
        return (
            f"{p}: differs from what corpus/repro_script.py makes for this folder (first at line {line}); "
            f"regenerate it with `{REFRESH_COMMAND} {self.path}`"
        )

    def refresh_repro(self) -> bool:
        """Rewrite repro.py from the current template and re-record the hashes; True when it
        changed. For trusted folders only (the committed corpus/seeds/*): a damaged or refused
        folder is refused with CorpusError, since re-hashing would bless whatever it holds."""
        if not self.usable:
            raise CorpusError(f"{self.path}: {self.problem()}; not refreshing it")
        want = self.expected_repro()
        if want is None:
            return False
        p = os.path.join(self.path, REPRO)
        old = None
        if os.path.isfile(p):
            with open(p, encoding="utf-8") as f:
                old = f.read()
        meta = dict(self.meta)
        if "registry_factory" in meta:  # folders from before the rename
            meta["oracle_registry"] = meta.pop("registry_factory")
        if old == want and meta == self.meta and isinstance(meta.get("sha256"), dict):
            return False
        with open(p, "w", encoding="utf-8") as f:
            f.write(want)
        files = sorted(set(self.files) | {REPRO, META})
        meta["files"] = files
        meta["sha256"] = folder_hashes(self.path, files)
        write_json(os.path.join(self.path, META), meta)
        self.meta = meta
        return True


def find_folders(paths: list[str]) -> Iterator[str]:
    """Corpus folders named by `paths`: each path is a folder, or a directory searched below."""
    for p in paths:
        if not os.path.exists(p):
            raise CorpusError(f"{p}: no such file or directory")
        if CorpusFolder.is_folder(p):
            yield p
            continue
        found = False
        for root, dirs, files in os.walk(p):
            dirs.sort()
            if META in files:
                found = True
                yield root
        if not found:
            raise CorpusError(f"{p}: holds no corpus folder (no {META} anywhere below)")


def write_json(path: str, data: Any) -> None:
    """Write through a temporary file, so a reader never sees half a file."""
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=2, sort_keys=True, default=str)
        f.write("\n")
    os.replace(tmp, path)
