"""`export --verify`: does an exported dataset still hold up on this machine?

Three layers, each able to say no: (1) the files are the ones the manifest lists (sha256, row
counts) and the card's YAML header parses and agrees with them; (2) every sampled record is
internally consistent (its pair id and source hash recompute from its own fields, its split
matches its shard, its stored checks passed and compared the elements the launch wrote); (3) each sampled record is rebuilt from its
`python` and `input_spec`, compiled and run again through `fuzz.engine.runner.BatchRunner` on the
available devices and judged against the oracle, and must come out `verified`. Where this
machine has the record's Warp version and codegen options, the regenerated code (C++, and CUDA
where a GPU reran it) must also equal the stored code.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any

from fuzz.engine.verdict import Verdict
from fuzz.export.card import split_front_matter
from fuzz.export.manifest import check_manifest, load_manifest
from fuzz.export.normalize import NormalizeError, normalize, pair_id
from fuzz.export.records import CODE_KEYS, rebase_line_markers, written_evidence
from fuzz.export.writer import read_rows
from fuzz.nativenames import canonical_function_ids
from grammar.case import MODULE_HEADER, KernelCase, ParamSpec


@dataclass(frozen=True)
class VerifyOptions:
    sample: int = 50
    seed: int = 0
    devices: tuple[str, ...] = ("cpu",)
    batch: int = 16
    registry_factory: str | None = None  # "module:function": an oracle registry to judge with
    work_dir: str | None = None


@dataclass
class RecordCheck:
    """The outcome for one sampled record."""

    pair_id: str
    kernel_name: str
    seed: int
    split: str
    ok: bool
    verdict: str
    detail: str = ""
    code_compared: bool = False
    generator_version: str = ""


@dataclass
class VerifyReport:
    dataset: str
    rows: int = 0
    problems: list[str] = field(default_factory=list)
    records: list[RecordCheck] = field(default_factory=list)
    devices: tuple[str, ...] = ()
    seconds: float = 0.0
    requested: int = 0
    generator_version: str = ""

    @property
    def ok(self) -> bool:
        return not self.problems and all(r.ok for r in self.records) and len(self.records) == self.requested

    def render(self) -> str:
        bad = [r for r in self.records if not r.ok]
        compared = sum(r.code_compared for r in self.records)
        lines = [
            f"verify {self.dataset}: {'OK' if self.ok else 'FAILED'} — {len(self.records) - len(bad)}/"
            f"{len(self.records)} sampled records re-verified on {','.join(self.devices)} "
            f"(of {self.rows} rows; emitted code compared for {compared}) in {self.seconds:.1f}s",
        ]
        other_gen = [r for r in self.records if r.generator_version not in ("", self.generator_version)]
        if other_gen:
            lines.append(
                f"  note: {len(other_gen)} records come from another generator version than the installed "
                f"{self.generator_version}; their inputs were rebuilt by the installed one"
            )
        lines += [f"  problem: {p}" for p in self.problems]
        lines += [
            f"  {r.kernel_name} (seed {r.seed}, {r.split}, pair {r.pair_id}): {r.verdict}: {r.detail}"
            for r in bad
        ]
        return "\n".join(lines)


def _code_key(code: str | None) -> str | None:
    """Code compared modulo the padding before `<L n>` comments (rebasing changes their width)."""
    return None if code is None else re.sub(r"[ \t]+<L ", " <L ", code).strip()


def _check_files(root: str, report: VerifyReport) -> list[tuple[str, str, int]]:
    """Manifest and card checks; returns (path, split, rows) of the data shards."""
    try:
        manifest = load_manifest(root)
    except (FileNotFoundError, ValueError) as e:
        report.problems.append(str(e))
        return []
    report.problems += check_manifest(root, manifest)
    shards = [
        (e["path"], e["split"], int(e["rows"])) for e in manifest["files"] if e["path"].startswith("data/")
    ]
    listed = {e["path"] for e in manifest["files"]}
    data_dir = os.path.join(root, "data")
    if os.path.isdir(data_dir):
        for name in sorted(os.listdir(data_dir)):
            if f"data/{name}" not in listed:
                report.problems.append(f"data/{name}: present but not in the manifest")
    for split, n in manifest.get("rows", {}).items():
        have = sum(r for _, s, r in shards if s == split)
        if have != n:
            report.problems.append(f"manifest says {n} {split} rows but its shards list {have}")
    try:
        with open(os.path.join(root, "README.md"), encoding="utf-8") as f:
            head, _ = split_front_matter(f.read())
        try:
            import yaml
        except ImportError:  # the header's shape was still checked above
            yaml = None
        if yaml is not None:
            meta = yaml.safe_load(head)
            splits = {s["name"]: s["num_examples"] for s in meta["dataset_info"]["splits"]}
            if splits != {k: v for k, v in manifest.get("rows", {}).items() if v or k in splits}:
                report.problems.append(f"README.md: YAML header splits {splits} differ from the manifest's")
    except (OSError, ValueError, KeyError, TypeError) as e:
        report.problems.append(f"README.md: {e}")
    except Exception as e:  # yaml.YAMLError
        report.problems.append(f"README.md: YAML header does not parse ({e})")
    return shards


def _consistency(row: dict[str, Any], split: str) -> str | None:
    """Why this row contradicts itself (None if it does not)."""
    if row.get("split") != split:
        return f"row says split {row.get('split')!r} but lies in a {split} shard"
    source = str(row["python"])
    if source.startswith(MODULE_HEADER):
        source = source[len(MODULE_HEADER) :]
    try:
        norm = normalize(source, row["kernel_name"])
    except NormalizeError as e:
        return str(e)
    if norm.source_sha != row.get("source_sha"):
        return "source_sha does not match the normalized python"
    if pair_id(norm.text, row.get("warp_version"), row.get("codegen_options")) != row.get("pair_id"):
        return "pair_id does not match python + warp_version + codegen_options"
    checks = row.get("checks") or []
    if not checks or not all(ch.get("passed") is True for ch in checks):
        return "stored device checks are missing or not all passed"
    for ch in checks:
        device = str(ch.get("device", "?"))
        if "~" not in device:
            why = written_evidence(device, ch.get("written_arrays"))
            if why:
                return f"stored check: {why}"
    if row.get("gradient_check") == "mismatch":
        return "stored gradient check is a mismatch"
    return None


def case_from_record(row: dict[str, Any]) -> KernelCase:
    """Rebuild the KernelCase (source, parameters, launch dims) a record was checked with."""
    spec = json.loads(row["input_spec"]) if isinstance(row["input_spec"], str) else row["input_spec"]
    source = str(row["python"])
    if source.startswith(MODULE_HEADER):
        source = source[len(MODULE_HEADER) :]
    return KernelCase(
        kernel_name=row["kernel_name"],
        source=source,
        family=row["family"],
        seed=int(row["seed"]),
        generator_version=row["generator_version"],
        params=tuple(ParamSpec.from_json(p) for p in spec["params"]),
        dim=tuple(spec["dim"]),
        constructs=tuple(row.get("constructs") or ()),
    )


def _batches(rows: list[dict[str, Any]], size: int) -> list[list[dict[str, Any]]]:
    """Batches of rows with distinct kernel names (one Warp module cannot hold two `k_7`)."""
    out: list[list[dict[str, Any]]] = []
    for row in rows:
        for b in out:
            if len(b) < size and all(r["kernel_name"] != row["kernel_name"] for r in b):
                b.append(row)
                break
        else:
            out.append([row])
    return out


def verify_dataset(root: str, options: VerifyOptions | None = None) -> VerifyReport:
    """Check `root` (files, card, then `options.sample` rebuilt and re-run records)."""
    import warp as wp

    import grammar

    opt = options or VerifyOptions()
    t0 = time.perf_counter()
    report = VerifyReport(dataset=root, devices=opt.devices, generator_version=grammar.GENERATOR_VERSION)
    shards = _check_files(root, report)
    report.rows = sum(n for _, _, n in shards)
    n = min(opt.sample, report.rows)
    report.requested = n
    picks = sorted(random.Random(opt.seed).sample(range(report.rows), n))
    chosen: list[tuple[dict[str, Any], str]] = []
    base = 0
    for path, split, rows in shards:
        want = [i - base for i in picks if base <= i < base + rows]
        if want:
            data = read_rows(os.path.join(root, path))
            if len(data) != rows:
                report.problems.append(f"{path}: holds {len(data)} rows, the manifest says {rows}")
            chosen += [(data[i], split) for i in want if i < len(data)]
        base += rows
    runnable: list[dict[str, Any]] = []
    for row, split in chosen:
        why = _consistency(row, split)
        if why:
            report.records.append(
                RecordCheck(row.get("pair_id", "?"), row.get("kernel_name", "?"), int(row.get("seed", -1)), split, False, "inconsistent", why)
            )  # fmt: skip
        else:
            runnable.append(row)
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in runnable:
        opts = row.get("codegen_options") or {}
        groups.setdefault(json.dumps(opts, sort_keys=True), []).append(row)
    work = opt.work_dir or tempfile.mkdtemp(prefix="warpfuzz-verify-")
    try:
        _rerun(groups, work, opt, report, str(wp.__version__))
    finally:
        if opt.work_dir is None:
            shutil.rmtree(work, ignore_errors=True)
    report.seconds = time.perf_counter() - t0
    return report


def _rerun(
    groups: dict[str, list[dict[str, Any]]],
    work: str,
    opt: VerifyOptions,
    report: VerifyReport,
    warp_version: str,
) -> None:
    """Compile and check the rows again, one BatchRunner per codegen-option group."""
    from fuzz.engine.runner import BatchRunner
    from fuzz.engine.settings import WorkerSettings

    for key, rows in groups.items():
        opts = json.loads(key)
        settings = WorkerSettings(
            run_dir=work,
            devices=opt.devices,
            enable_backward=bool(opts.get("enable_backward", True)),
            registry_factory=opt.registry_factory,
        )
        runner = BatchRunner(settings, os.path.join(work, "w"), tag="verify")
        for batch in _batches(rows, opt.batch):
            try:
                cases = [case_from_record(r) for r in batch]
            except (KeyError, TypeError, ValueError) as e:
                for r in batch:
                    report.records.append(RecordCheck(r["pair_id"], r["kernel_name"], int(r["seed"]), r["split"], False, "unreadable", f"input_spec: {e}"))  # fmt: skip
                continue
            results, _ = runner.run(cases)
            for r, res in zip(batch, results, strict=True):
                report.records.append(_judge_rerun(r, res, warp_version))


def _judge_rerun(row: dict[str, Any], res: Any, warp_version: str) -> RecordCheck:
    rc = RecordCheck(row["pair_id"], row["kernel_name"], int(row["seed"]), row["split"], False, res.verdict)
    rc.generator_version = str(row.get("generator_version") or "")
    if res.verdict != Verdict.VERIFIED:
        rc.detail = (res.message.splitlines() or [""])[0][:300]
        return rc
    same_codegen = row.get("warp_version") == warp_version and row.get("codegen_options") is not None
    if same_codegen:
        # every code field both the record and the rerun have (CUDA only where this machine has a GPU)
        for k in CODE_KEYS:
            if row.get(k) is None or res.code.get(k) is None:
                continue
            rc.code_compared = True
            fresh = rebase_line_markers(res.code.get(k), row["kernel_name"], row["python"])
            # Warp numbers a helper's native name per process (k_7_gen_0, then _1 when another
            # module of the same process defines it): that counter is not the code
            fresh = canonical_function_ids(fresh, row["python"])
            if _code_key(fresh) != _code_key(canonical_function_ids(row[k], row["python"])):
                rc.detail = f"{k} regenerated by warp {warp_version} differs from the record"
                return rc
    rc.ok = True
    return rc
