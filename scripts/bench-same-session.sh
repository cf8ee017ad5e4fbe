#!/bin/bash
# Runs W4–W6 (or the workloads given as arguments) for us and for the peers in one session,
# alternating, so the VM's speed phase is the same for all (BENCHMARKS.md, "Same session").
#
# usage: VENV=/path/to/venv scripts/bench-same-session.sh [W4 W5 W6]
#   VENV: a Python venv with torch and jax[cpu] (pip install torch "jax[cpu]" numpy)
#   BENCH: the peers' benchmark directory (default ../shared/bench)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
V=${VENV:?set VENV to a venv with torch and jax}/bin/python
BENCH=${BENCH:-$root/../shared/bench}
workloads=("${@:-W4 W5 W6}")
read -r -a workloads <<< "${workloads[*]}"
only=$(IFS=,; echo "${workloads[*]}")
(cd "$root" && swift build -c release --product autograd >/dev/null)
A=$root/.build/release/autograd
cd "$BENCH"
for round in 1 2; do
  echo "=== round $round, 1 thread (pinned to CPU 0)"
  taskset -c 0 "$A" bench "${workloads[@]}" --threads 1 2>&1 | grep -E "^\[autograd"
  OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 taskset -c 0 "$V" bench_torch.py --threads 1 --only "$only" 2>&1 | grep -E "^\[torch"
  if [[ ",$only," == *",W4,"* ]]; then
    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 JAX_PLATFORMS=cpu \
      XLA_FLAGS="--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1" \
      taskset -c 0 "$V" bench_jax.py --mode jit --threads 1 --only W4 2>&1 | grep -E "^\[jax"
  fi
  echo "=== round $round, 2 threads"
  "$A" bench "${workloads[@]}" --threads 2 2>&1 | grep -E "^\[autograd"
  OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=2 MKL_NUM_THREADS=2 "$V" bench_torch.py --threads 2 --only "$only" 2>&1 | grep -E "^\[torch"
done
