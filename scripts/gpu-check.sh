#!/usr/bin/env bash
# On a GPU machine: run the CUDA tests and a short CPU+CUDA campaign, print the summary.
#   bash scripts/gpu-check.sh [BUDGET] [RUN_DIR]
# Results land in RUN_DIR (default runs/gpu-check); set OUT to also copy summary.json there.
set -uo pipefail
budget="${1:-5m}"
run_dir="${2:-runs/gpu-check}"
cd "$(dirname "$0")/.."
python -c "import warp as wp; wp.init(); assert wp.is_cuda_available(), 'no CUDA device'; print([str(d) for d in wp.get_devices()])" || exit 2
echo "== CUDA tests"
python -m pytest -m cuda -rs -q -p no:cacheprovider tests/test_cuda.py tests/test_sweep_cuda.py
tests_rc=$?
echo "== ${budget} CPU+CUDA campaign in ${run_dir}"
python -m fuzz --budget "$budget" --devices cpu,cuda --out "$run_dir" --no-progress
camp_rc=$?
python - "$run_dir" <<'PY'
import json, sqlite3, sys
run = sys.argv[1]
s = json.load(open(f"{run}/summary.json"))
print(json.dumps({k: s[k] for k in ("kernels", "verified", "verified_per_s", "verdicts", "devices", "device_facts")}, indent=1))
db = sqlite3.connect(f"{run}/campaign.db")
print("mismatch kinds (stage|device|verdict|what):")
for sig, n in db.execute("SELECT signature, COUNT(*) FROM cases WHERE verdict!='verified' GROUP BY signature ORDER BY 2 DESC LIMIT 30"):
    print(f"  {n:5d}  {sig}")
PY
[ -n "${OUT:-}" ] && cp "$run_dir/summary.json" "$OUT/gpu-summary.json"
exit $(( tests_rc != 0 || camp_rc != 0 ))
