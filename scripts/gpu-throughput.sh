#!/usr/bin/env bash
# On a GPU machine: the CPU+CUDA throughput figures of docs/throughput.md, one step per call
# (a device call may run 10 minutes). Results go to $OUT (default runs/gpu-throughput).
#   bash scripts/gpu-throughput.sh bench BUDGET [WORKERS ...]
#       bench --devices cpu,cuda at each worker count ("default": the campaign's own count)
#   bash scripts/gpu-throughput.sh campaign BUDGET SEED OLD_KERNELS OLD_BUDGET
#       a CPU+CUDA campaign on the default path (reductions on), then the path before issue #22
#       (one worker per core, CPU code at Warp's -O2, no reductions) on the first OLD_KERNELS of
#       the same seeds; prints both summaries and compares their verdicts seed by seed
#   bash scripts/gpu-throughput.sh sweep BUDGET SEED NAMES
#       a CPU+CUDA campaign with --settings-sweep NAMES; prints the setting_mismatch messages
#   bash scripts/gpu-throughput.sh machine [BATCHES]
#       what the machine's CPUs give one worker: lscpu, the cgroup CPU quota, and one process's
#       per-stage seconds for BATCHES (default 2) batches of 16 compiled for CPU and CUDA
#       (scripts/profile_worker.py; without a GPU, --cuda-arch 90); compare per-kernel compile
#       seconds with another machine's before reading its campaign rates
set -uo pipefail
cd "$(dirname "$0")/.."
out="${OUT:-runs/gpu-throughput}"
mkdir -p "$out"
step="${1:?step: bench, campaign, sweep or machine}"
shift
summary() {  # RUN_DIR: the figures a closing note quotes
    python - "$1" <<'PY'
import json, sys
s = json.load(open(f"{sys.argv[1]}/summary.json"))
keep = ("kernels", "verified", "elapsed_s", "verified_per_s", "kernels_per_s", "verdicts", "settings_sweep")
print(json.dumps({k: s.get(k) for k in keep}))
ses = s.get("session", {})
print("session:", json.dumps({k: ses.get(k) for k in ("workers", "worker_restarts", "reduction")}))
st = s.get("session", {}).get("stage_seconds", {})
print("stage_seconds:", json.dumps({k: round(v) for k, v in sorted(st.items()) if v >= 1}))
PY
}
case "$step" in
bench)
    budget="${1:?budget}"
    shift
    for w in "${@:-default}"; do
        args=()
        [ "$w" = default ] || args=(--workers "$w")
        echo "== bench --budget $budget --devices cpu,cuda ${args[*]}"
        python -m fuzz bench --budget "$budget" --devices cpu,cuda "${args[@]}" --out "$out/bench-$w.json" \
            2>&1 | grep -v -E '^\s*$' | tail -45
    done
    ;;
campaign)
    budget="${1:?budget}" seed="${2:?seed}" old_n="${3:?old kernels}" old_budget="${4:?old budget}"
    echo "== default path: run --budget $budget --devices cpu,cuda --seed $seed"
    python -m fuzz run --budget "$budget" --devices cpu,cuda --seed "$seed" --no-progress --out "$out/new" \
        > "$out/new.log" 2>&1
    tail -5 "$out/new.log"
    summary "$out/new"
    echo "== old path: --workers $(nproc) --cpu-opt-level warp --no-reduce --max-kernels $old_n"
    python -m fuzz run --budget "$old_budget" --devices cpu,cuda --seed "$seed" --workers "$(nproc)" \
        --cpu-opt-level warp --no-reduce --max-kernels "$old_n" --no-progress --out "$out/old" \
        > "$out/old.log" 2>&1
    tail -5 "$out/old.log"
    summary "$out/old"
    python scripts/verdict_snapshot.py "$out/new" > "$out/new.jsonl"
    python scripts/verdict_snapshot.py "$out/old" > "$out/old.jsonl"
    echo "== verdicts, same seeds"
    python scripts/verdict_snapshot.py --compare --common --fields verdict,stage,device,signature \
        "$out/old.jsonl" "$out/new.jsonl" | head -40
    echo "== verdicts, messages and emitted code, same seeds"
    python scripts/verdict_snapshot.py --compare --common \
        --fields verdict,stage,device,signature,message,cpp_forward,cpp_backward,cuda_forward,cuda_backward \
        "$out/old.jsonl" "$out/new.jsonl" | head -20
    rm -rf "$out/new/cache" "$out/old/cache"
    ;;
sweep)
    budget="${1:?budget}" seed="${2:?seed}" names="${3:?names}"
    echo "== run --budget $budget --devices cpu,cuda --seed $seed --settings-sweep $names"
    python -m fuzz run --budget "$budget" --devices cpu,cuda --seed "$seed" --settings-sweep "$names" \
        --no-progress --out "$out/sweep" > "$out/sweep.log" 2>&1
    grep -E '^note' "$out/sweep.log" | head
    tail -5 "$out/sweep.log"
    summary "$out/sweep"
    python - "$out/sweep" <<'PY'
import sqlite3, sys
db = sqlite3.connect(f"{sys.argv[1]}/campaign.db")
for seed, msg in db.execute("SELECT seed, message FROM cases WHERE verdict='setting_mismatch' ORDER BY seed"):
    print(f"-- seed {seed}: " + "\n   ".join(msg.splitlines()[:3]))
PY
    ;;
machine)
    batches="${1:-2}"
    echo "== nproc $(nproc); cgroup cpu.max: $(cat /sys/fs/cgroup/cpu.max 2>/dev/null || echo none)"
    lscpu | grep -E "Model name|Thread\(s\)|Core\(s\)|Socket|MHz" || true
    target=(--devices cpu,cuda:0)
    python -c "import warp as wp; wp.config.quiet = True; wp.init(); raise SystemExit(0 if wp.is_cuda_available() else 1)" \
        || target=(--devices cpu --cuda-arch 90)
    echo "== profile_worker.py --seed 0 --batches $batches --no-profile ${target[*]}"
    python scripts/profile_worker.py --seed 0 --batches "$batches" --no-profile "${target[@]}" 2>&1 | head -40
    ;;
*)
    echo "unknown step $step" >&2
    exit 2
    ;;
esac
