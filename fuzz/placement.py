"""Which devices each campaign worker runs: the `--devices` text read against the host's CUDA
device count, and the workers spread over the chosen GPUs.

Cases are independent, so using every GPU of a host is a matter of placement: each worker owns
exactly one CUDA device (round robin over the chosen ones, so the GPUs' worker counts differ by at
most one) and runs the CPU as well when the CPU is chosen. Everything here is pure (the CUDA
device count comes in as a number), so it is tested without a GPU; `fuzz.cliutil.resolve_devices`
asks Warp for the count.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

_CUDA_ORDINAL = re.compile(r"cuda:(\d+)")


class DeviceSpecError(ValueError):
    """A `--devices` text or a worker count that cannot be placed; the message says what to do."""


def is_cuda(device: str) -> bool:
    return device == "cuda" or device.startswith("cuda:")


def device_order(device: str) -> tuple[int, int, str]:
    """Sort key: the CPU (and other non-CUDA devices) first, then CUDA devices by ordinal."""
    m = _CUDA_ORDINAL.fullmatch(device)
    return (1, int(m.group(1)), "") if m else (0, 0, device)


def cuda_names(count: int) -> tuple[str, ...]:
    return tuple(f"cuda:{i}" for i in range(count))


def parse_devices(text: str, cuda_count: int, *, every_gpu: bool = True) -> tuple[str, ...]:
    """The devices `text` names on a host with `cuda_count` CUDA devices, in the order given,
    without repeats.

    `auto`: the CPU plus the CUDA devices (the CPU alone without any); `cuda`: the CUDA devices
    (an error without any); `cuda:N`: that one. `every_gpu=False` makes `auto` and `cuda` mean
    `cuda:0` only (for commands that check in one process, where every GPU would only repeat the
    same launch)."""
    spec = text.strip()
    gpus = cuda_names(cuda_count if every_gpu else min(cuda_count, 1))
    if spec == "auto":
        return ("cpu", *gpus)
    devs: list[str] = []
    for d in (x.strip() for x in spec.split(",") if x.strip()):
        if d == "cpu":
            devs.append(d)
        elif d == "cuda":
            if not cuda_count:
                raise DeviceSpecError(
                    f"--devices {spec}: no CUDA device is available here (Warp found none: no NVIDIA "
                    "driver, or no GPU visible to this process, e.g. CUDA_VISIBLE_DEVICES); use --devices cpu"
                )
            devs.extend(gpus)
        elif m := _CUDA_ORDINAL.fullmatch(d):
            if int(m.group(1)) >= cuda_count:
                have = (
                    f"{cuda_count} CUDA device(s) ({', '.join(cuda_names(cuda_count))})"
                    if cuda_count
                    else "no CUDA device"
                )
                raise DeviceSpecError(
                    f"--devices {spec}: {d} does not exist, this host has {have}; "
                    + ("name one of them, or cuda for all" if cuda_count else "use --devices cpu")
                )
            devs.append(f"cuda:{int(m.group(1))}")  # cuda:01 -> cuda:1
        else:
            raise DeviceSpecError(
                f"--devices {spec}: unknown device {d!r}; use cpu, cuda (every CUDA device), cuda:N, "
                "a comma-separated list of them (cpu,cuda:0,cuda:2) or auto"
            )
    if not devs:
        raise DeviceSpecError("--devices: name at least one device (cpu, cuda, cuda:N or auto)")
    return tuple(dict.fromkeys(devs))


def assign_devices(devices: Sequence[str], workers: int) -> tuple[tuple[str, ...], ...]:
    """Each worker's devices: every non-CUDA device of `devices` (the CPU) and exactly one of its
    CUDA devices, worker i taking the (i mod GPUs)-th, in the order of `devices`.

    Fewer workers than GPUs is an error rather than idle GPUs: the user asked for those GPUs, and a
    campaign that quietly leaves some unused measures less than it claims."""
    if workers < 1:
        raise DeviceSpecError(f"--workers must be at least 1, got {workers}")
    gpus = [d for d in devices if is_cuda(d)]
    if len(gpus) > workers:
        raise DeviceSpecError(
            f"--workers {workers} is fewer than the {len(gpus)} CUDA devices chosen ({', '.join(gpus)}): each "
            f"worker runs one GPU, so use --workers {len(gpus)} or more, or choose fewer GPUs "
            f"(--devices {','.join([d for d in devices if not is_cuda(d)] + gpus[:workers])})"
        )
    out = []
    for i in range(workers):
        own = gpus[i % len(gpus)] if gpus else None
        out.append(tuple(d for d in devices if not is_cuda(d) or d == own))
    return tuple(out)


def default_workers(cores: int, gpu_count: int) -> int:
    """One worker per core (compilation is CPU work), but at least one per GPU and, with GPUs, a
    multiple of their count so that every GPU gets the same number of workers."""
    n = max(1, cores)
    if gpu_count <= 0:
        return n
    return max(gpu_count, n - n % gpu_count)


def workers_per_device(assignment: Sequence[Sequence[str]]) -> dict[str, int]:
    """How many workers run each device, in the order devices first appear."""
    counts: Counter[str] = Counter()
    for devs in assignment:
        counts.update(devs)
    return dict(counts)


def describe(assignment: Sequence[Sequence[str]]) -> str:
    """One line for the campaign's start: "2 workers: cpu x2, cuda:0 x1, cuda:1 x1"."""
    per = ", ".join(f"{d} x{n}" for d, n in workers_per_device(assignment).items())
    return f"{len(assignment)} worker(s): {per}"
