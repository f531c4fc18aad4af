#!/usr/bin/env bash
# scripts/gpu/run.sh [OUTDIR]: the one command of a GPU session (docs/cuda.md). Unpacks the bundle
# scripts/gpu/pack.sh made, points LD_LIBRARY_PATH at the CUDA 13 libraries of the machine's Python
# packages, and within a time budget (default 8 minutes) runs, on CUDA:
#   1. handwire verify --device cuda --json on the 6p and 130p designs (expect 10,010/10,010)
#   2. scripts/gpu/compare-logits.mjs: CPU vs CUDA logits, max abs difference per dtype
#   3. scripts/gpu/sweep.mjs: additions/s over batch sizes × float32/float64 × CPU/CUDA
# Everything goes to OUTDIR (default $OUT, else ./gpu-out): run.log (all of the output), verify-*.json,
# compare.json, sweep.json; at most 8 files, as a device call brings back. Where CUDA cannot be
# loaded, handwire falls back to CPU with a one-line notice and this script says so at the end
# (exit status 0 all the same: the fallback is a result; 1 only if a verify found wrong answers).
#
# Environment (all optional):
#   HW_PARTS      folder of the bundle's parts (default: .gpu-bundle/parts in this repository)
#   HW_WORK       where to unpack (default /tmp/handwire-gpu; reused if its MANIFEST matches)
#   HW_BUDGET_S   seconds for the whole run (default 480)
#   HW_TESTS      random pairs per verify (default 10000: the protocol's 10,010 cases)
#   HW_COMPARE_CASES, HW_SWEEP_CASES, HW_SWEEP_BATCHES, HW_SWEEP_REPS, HW_CPU_THREADS: sizes of
#                 steps 2 and 3 (defaults 1000; 10010; 256,1024,4096,10010; 3; 1)
#   HW_STAGE_ONLY=1  unpack only (the first of two calls, when the parts do not fit one; docs/cuda.md)
#   HW_QUICK=1    a small run for tests on a CPU machine (HW_TESTS=200, 300 cases, batches 64,300, 1 rep)
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
OUTDIR=${1:-${OUT:-$ROOT/gpu-out}}
mkdir -p "$OUTDIR" && OUTDIR=$(cd "$OUTDIR" && pwd)
PARTS=${HW_PARTS:-$ROOT/.gpu-bundle/parts}
WORK=${HW_WORK:-/tmp/handwire-gpu}
BUDGET=${HW_BUDGET_S:-480}
if [ "${HW_QUICK:-0}" = 1 ]; then
  : "${HW_TESTS:=200}" "${HW_COMPARE_CASES:=300}" "${HW_SWEEP_CASES:=300}" "${HW_SWEEP_BATCHES:=64,300}" "${HW_SWEEP_REPS:=1}"
fi
TESTS=${HW_TESTS:-10000}
START=$(date +%s)
DEADLINE=$((START + BUDGET))
left() { echo $((DEADLINE - $(date +%s))); }

exec > >(tee "$OUTDIR/run.log") 2>&1
say() { printf '[run %s +%ss] %s\n' "$(date -u +%H:%M:%S)" "$(($(date +%s) - START))" "$*"; }

say "handwire GPU run; budget ${BUDGET}s; output in $OUTDIR"
echo "host: $(uname -srm); $(nproc) CPUs; $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
if command -v nvidia-smi >/dev/null; then
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>&1 | sed 's/^/gpu: /'
else
  echo "gpu: no nvidia-smi on this machine"
fi

# --- 1. unpack -----------------------------------------------------------------------------------
[ -d "$PARTS" ] || { say "no bundle parts at $PARTS (scripts/gpu/pack.sh makes them)"; exit 2; }
if [ -f "$PARTS/SHA256SUMS" ]; then
  missing=$(cd "$PARTS" && for f in $(cut -d' ' -f3 SHA256SUMS); do [ -f "$f" ] || echo "$f"; done)
  (cd "$PARTS" && sha256sum -c --quiet --ignore-missing SHA256SUMS) || { say "a bundle part is damaged (sha256)"; exit 2; }
  [ -z "$missing" ] || say "parts missing (not carried, or lost with a cold machine): $(echo $missing)"
fi
unxz() { if command -v xz >/dev/null; then xz -dc; else python3 -c 'import lzma,shutil,sys; shutil.copyfileobj(lzma.open(sys.stdin.buffer), sys.stdout.buffer, 1 << 20)'; fi; }
unpack() { # name: cat its parts in order into tar
  local parts=("$PARTS/$1".tar.xz.*)
  [ -f "${parts[0]}" ] || return 1
  if [ "$1" = provider ] && [ -n "${missing:-}" ] && echo "$missing" | grep -q '^provider'; then
    say "provider parts incomplete: not unpacked"; return 1
  fi
  cat "${parts[@]}" | unxz | tar -xf - -C "$WORK"
}
# A warm machine keeps /tmp between calls: a base unpacked by an earlier call (whose parts this call
# need not carry again) is reused when its checksums match, or when no base part came this time.
base_sums=$(grep ' base\.tar\.xz\.' "$PARTS/SHA256SUMS" 2>/dev/null || true)
if [ -f "$WORK/.base-sums" ] && { [ "$(cat "$WORK/.base-sums")" = "$base_sums" ] || [ ! -f "$PARTS/base.tar.xz.00" ]; }; then
  say "base already unpacked in $WORK (by an earlier call)"
else
  rm -rf "$WORK" && mkdir -p "$WORK"
  unpack base || { say "no base parts in $PARTS and none unpacked in $WORK"; exit 2; }
  echo "$base_sums" > "$WORK/.base-sums"
  say "unpacked base into $WORK ($(du -sh "$WORK" | cut -f1))"
fi
if [ -f "$PARTS/provider.tar.xz.00" ] && unpack provider; then say "unpacked the CUDA provider"; fi
if [ "${HW_STAGE_ONLY:-0}" = 1 ]; then say "HW_STAGE_ONLY=1: unpacked, stopping here"; "$WORK/node/bin/node" --version; exit 0; fi
sed 's/^/bundle: /' "$WORK/MANIFEST.txt"
NODE=$WORK/node/bin/node
APP=$WORK/app
"$NODE" --version >/dev/null || { say "the bundled node does not run here"; exit 2; }
export HANDWIRE_DIST=$APP/dist/index.js

# --- 2. CUDA libraries from the Python packages ----------------------------------------------------
PY=$(command -v python3 || true)
cuda_dirs=""
if [ -n "$PY" ]; then
  for sp in $("$PY" -c 'import site,sys; print(" ".join(site.getsitepackages() + [site.getusersitepackages()]))' 2>/dev/null); do
    [ -d "$sp/nvidia" ] || continue
    cuda_dirs+=$(find "$sp/nvidia" -name 'lib*.so*' -printf '%h\n' 2>/dev/null | sort -u | tr '\n' ':')
  done
fi
export LD_LIBRARY_PATH=${cuda_dirs}${LD_LIBRARY_PATH:-}
say "LD_LIBRARY_PATH: ${cuda_dirs:-(no nvidia/*/lib folders under the site-packages of python3)}"
for lib in libcudart.so.13 libcublas.so.13 libcublasLt.so.13 libcurand.so.10 libcufft.so.12 libcudnn.so.9; do
  hit=$(IFS=:; for d in $cuda_dirs; do [ -e "$d/$lib" ] && { echo "$d"; break; }; done)
  echo "  $lib: ${hit:-not found}"
done
PROV=$APP/node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime_providers_cuda.so
if [ -f "$PROV" ]; then
  nf=$(ldd "$PROV" 2>&1 | grep 'not found' || true)
  if [ -n "$nf" ]; then say "CUDA provider present but misses libraries:"; echo "$nf"; else say "CUDA provider present; ldd finds all its libraries"; fi
else
  say "no CUDA provider in the bundle (packed with --provider none): CUDA will fall back to CPU"
fi

hw() { "$NODE" "$APP/bin/handwire.js" "$@"; }
status=0

# --- 3. verify on CUDA ------------------------------------------------------------------------------
for design in adder-6p-rope19 adder-130p-nanogpt-sinpe11; do
  t=$(left); [ "$t" -gt 20 ] || { say "verify $design: skipped (budget spent)"; continue; }
  say "verify --device cuda --json --tests $TESTS $design (timeout $((t - 10))s)"
  timeout $((t - 10)) "$NODE" "$APP/bin/handwire.js" verify --device cuda --json --tests "$TESTS" "$APP/examples/adder/$design.hw" \
    > "$OUTDIR/verify-$design.json"
  rc=$?
  [ $rc -eq 1 ] && status=1
  "$NODE" -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    console.log(`  ${r.model} ${r.dtype} on ${r.device}: ${r.passed.toLocaleString("en-US")}/${r.total.toLocaleString("en-US")} passed, ` +
      `${r.seconds.toFixed(2)} s, ${Math.round(r.additions_per_second).toLocaleString("en-US")} add/s, cases_sha256 ${r.cases_sha256.slice(0, 16)}…`);
  ' "$OUTDIR/verify-$design.json" 2>/dev/null || say "  verify $design: exit $rc, no report"
done

# --- 4. CPU vs CUDA logits ----------------------------------------------------------------------------
D6=$APP/examples/adder/adder-6p-rope19.hw
D130=$APP/examples/adder/adder-130p-nanogpt-sinpe11.hw
t=$(left)
if [ "$t" -gt 30 ]; then
  say "compare-logits (timeout $((t - 20))s)"
  timeout $((t - 20)) "$NODE" "$ROOT/scripts/gpu/compare-logits.mjs" --cases "${HW_COMPARE_CASES:-1000}" --json "$OUTDIR/compare.json" "$D6" "$D130" || say "compare-logits: exit $?"
else say "compare-logits: skipped (budget spent)"; fi

# --- 5. throughput sweep ------------------------------------------------------------------------------
t=$(left)
if [ "$t" -gt 30 ]; then
  say "sweep (timeout $((t - 5))s; cells after $((t - 25))s are skipped)"
  timeout $((t - 5)) "$NODE" "$ROOT/scripts/gpu/sweep.mjs" --cases "${HW_SWEEP_CASES:-10010}" --batches "${HW_SWEEP_BATCHES:-256,1024,4096,10010}" \
    --reps "${HW_SWEEP_REPS:-3}" --cpu-threads "${HW_CPU_THREADS:-1}" --deadline-s $((t - 25)) --json "$OUTDIR/sweep.json" "$D6" "$D130" || say "sweep: exit $?"
else say "sweep: skipped (budget spent)"; fi

# --- summary ------------------------------------------------------------------------------------------
if grep -q 'CUDA could not be loaded' "$OUTDIR/run.log"; then
  say "RESULT: CUDA could NOT be loaded; every \"cuda\" run above ran on CPU (see the notice lines)"
elif grep -q ' on cuda:' "$OUTDIR/run.log"; then
  say "RESULT: ran on CUDA"
else
  say "RESULT: unclear (no verify report); read the log"
fi
say "done in $(($(date +%s) - START))s; exit $status"
exit $status
