"""Worker process: keeps Warp (and its compiler) warm and runs batches sent by the campaign.

Generation happens here too, from seeds, so the campaign process stays light. Messages:
main -> worker: ("seeds", batch_id, [seed, ...]) | ("cases", batch_id, [case_json, ...])
               | ("reduce", batch_id, [[corpus_folder, ...], budget_s]) | ("stop",)
               (a reduction answers "done" with no results and stats {"reduce": seconds,
               "reduced": n, "failed": n}; its candidates compile in this process, the
               candidates of all its folders batched into one module per round, or in child
               processes for crash and timeout cases)
worker -> main: ("ready", pid, memory) | ("done", batch_id, [result_json, ...], stats, memory)
               | ("fatal", batch_id, message)  (CUDA context poisoned; the worker exits next)
               | ("storage", batch_id, message)  (the run folder's disk is full or read-only: the
                 batch's verdicts would be false compile errors, so none is reported)
`memory` is a `fuzz.memory.MemorySample` as JSON, taken after the heap is trimmed; its peak covers
the batch just done (or start-up, for "ready").
"""

from __future__ import annotations

import os
import traceback
from typing import Any

from fuzz import memory
from fuzz.engine.result import CaseResult
from fuzz.engine.settings import WorkerSettings
from fuzz.engine.verdict import Stage, Verdict


def generate_case(seed: int, gen_config: dict[str, Any]) -> Any:
    """The case for `seed` under the campaign's generator settings."""
    import warp as wp

    import grammar

    # target the installed release: constructs it lacks are never generated (grammar.gates)
    cfg = grammar.GenConfig(**gen_config, warp_version=str(wp.__version__))
    return grammar.generate(seed, cfg)


STORAGE_ERRORS = ("No space left on device", "Disk quota exceeded", "Read-only file system")


def storage_failure(message: str) -> bool:
    """A verdict caused by the work folder's disk (full, read-only), not by the kernel."""
    return any(e in message for e in STORAGE_ERRORS)


def _redirect_output(path: str) -> None:
    """Send this process's stdout/stderr (compiler warnings, native messages) to a log file.

    The file descriptors themselves are redirected, so output of native code lands there too and
    the campaign's terminal keeps only the progress display.
    """
    import sys

    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    sys.stdout.flush()
    sys.stderr.flush()
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)


def reduce_job(paths: list[str], budget_s: float, settings: WorkerSettings) -> dict[str, float]:
    """Reduce saved failures (each `path/reduced/`) judged like the campaign's batches, side by
    side where they can share modules; a folder that does not reproduce or breaks the reducer is
    logged (worker.log) and counted unreduced."""
    import time

    from corpus.reduce import ReduceError, reduce_folders

    t = time.perf_counter()
    ok = 0
    try:
        for path, res in zip(paths, reduce_folders(paths, settings=settings, budget_s=budget_s), strict=True):
            if isinstance(res, ReduceError):
                print(f"reduce {path}: {res}", flush=True)
            else:
                ok += 1
    except Exception:
        print(f"reduce {', '.join(paths)}: reducer failed\n{traceback.format_exc()[-3000:]}", flush=True)
    return {"reduce": time.perf_counter() - t, "reduced": float(ok), "failed": float(len(paths) - ok)}


def use_own_gpu(devices: tuple[str, ...]) -> None:
    """Make the worker's CUDA device (the pool gives each worker one, `fuzz.placement`) Warp's
    default, so nothing that allocates without naming a device creates a context on another GPU
    (Warp acquires a device's context on its first use; its default after `wp.init()` is cuda:0)."""
    gpu = next((d for d in devices if d.startswith("cuda")), None)
    if gpu is not None:
        import warp as wp

        wp.set_device(gpu)


def worker_main(conn: Any, settings: WorkerSettings, index: int) -> None:
    import signal
    import time

    # Ctrl-C reaches the whole process group: the campaign stops its workers itself, in order
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    from fuzz.engine.runner import BatchRunner, DevicePoisoned
    from grammar.case import KernelCase

    work_dir = os.path.join(settings.run_dir, "work", f"w{index}")
    os.makedirs(work_dir, exist_ok=True)
    _redirect_output(os.path.join(work_dir, "worker.log"))
    runner = BatchRunner(settings, work_dir, tag=f"w{index}")  # initialises Warp
    use_own_gpu(settings.devices)
    conn.send(("ready", os.getpid(), memory.after_batch().to_json()))
    log_path = os.path.join(work_dir, "worker.log")
    while True:
        if os.path.getsize(log_path) > 20 * 2**20:  # compiler warnings pile up over hours
            os.truncate(log_path, 0)
        try:
            msg = conn.recv()
        except EOFError:
            return
        if msg[0] == "stop":
            return
        kind, batch_id, payload = msg
        if kind == "reduce":
            stats = reduce_job([str(p) for p in payload[0]], float(payload[1]), settings)
            conn.send(("done", batch_id, [], stats, memory.after_batch().to_json()))
            continue
        cases = []
        failed: list[CaseResult] = []
        t = time.perf_counter()
        for item in payload:
            if kind == "cases":
                cases.append(KernelCase.from_json(item))
                continue
            try:
                cases.append(generate_case(int(item), settings.gen_config))
            except Exception as e:
                message = f"{type(e).__name__}: {e}\n{traceback.format_exc()[-3000:]}"
                failed.append(
                    CaseResult.without_case(int(item), Verdict.INTERNAL_ERROR, Stage.GENERATE, message)
                )
        gen_s = time.perf_counter() - t
        try:
            results, stats = runner.run(cases) if cases else ([], {})
        except DevicePoisoned as e:
            # the CUDA context is unusable: report, then let the pool replace this process
            conn.send(("fatal", batch_id, str(e)))
            conn.close()
            os._exit(3)
        stats["generate"] = stats.get("generate", 0.0) + gen_s
        full = next((r.message for r in results if storage_failure(r.message)), None)
        if full is not None:
            conn.send(("storage", batch_id, f"{work_dir}: {full.splitlines()[0][:500]}"))
            continue
        payload = [r.to_json() for r in results + failed]
        del cases, results, failed
        conn.send(("done", batch_id, payload, stats, memory.after_batch().to_json()))
