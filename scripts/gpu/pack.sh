#!/usr/bin/env bash
# scripts/gpu/pack.sh: make the bundle that a GPU run (scripts/gpu/run.sh) needs, on a machine that
# has what the GPU machine lacks (Node.js, the npm registry). docs/cuda.md says how it is used.
#
#   bash scripts/gpu/pack.sh [--provider none|asus4] [--keep-sm 90|all] [--out DIR]
#                            [--part-size 60M] [--xz-level 6]
#
# Writes DIR (default .gpu-bundle/, git-ignored):
#   parts/base.tar.xz.NN      Node.js (this machine's process.execPath, stripped), the built dist/, bin/,
#                             package.json, examples/ and production node_modules (npm ci
#                             --omit=dev, ONNXRUNTIME_NODE_INSTALL=skip; onnxruntime-node's native
#                             files for linux/x64 only)
#   parts/provider.tar.xz.NN  (--provider asus4 only) ONNX Runtime's CUDA provider libraries, to
#                             unpack over base: libonnxruntime_providers_{cuda,shared}.so
#   parts/SHA256SUMS, MANIFEST.txt (what went in), stage/ (the unpacked tree, for a run here)
# and prints the measured sizes. Each part is at most --part-size, so a device call (64 MiB of
# working tree) can carry one or more of them.
#
# --provider none   (default) no CUDA provider: a run falls back to CPU. For tests of the runner.
# --provider asus4  com.github.asus4.onnxruntime.linux-x64-gpu@0.4.9 from the npm registry, the
#                   only npm-hosted CUDA provider build: it is built for onnxruntime 1.29.0 (CUDA 13,
#                   cuDNN 9) and loads only next to that exact version's binding, so the bundle then
#                   holds onnxruntime-node@1.29.0 instead of the project's 1.30.0.
# --keep-sm 90      (default, with asus4) keep only the sm_90 (H100/H200) kernels in the provider
#                   (scripts/gpu/prune-fatbin.py: 230 MB → the same size but mostly zeros, which xz
#                   compresses away); --keep-sm all keeps every architecture.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
OUTDIR=$ROOT/.gpu-bundle
PROVIDER=none
KEEP_SM=90
PART_SIZE=60M
XZ_LEVEL=6
ASUS4_PKG=com.github.asus4.onnxruntime.linux-x64-gpu@0.4.9
ASUS4_ORT=1.29.0

while [ $# -gt 0 ]; do
  case "$1" in
    --provider) PROVIDER=$2; shift 2 ;;
    --keep-sm) KEEP_SM=$2; shift 2 ;;
    --out) OUTDIR=$(mkdir -p "$2" && cd "$2" && pwd); shift 2 ;;
    --part-size) PART_SIZE=$2; shift 2 ;;
    --xz-level) XZ_LEVEL=$2; shift 2 ;;
    -h|--help) sed -n '2,27p' "$0"; exit 0 ;;
    *) echo "pack.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
case "$PROVIDER" in none|asus4) ;; *) echo "pack.sh: --provider must be none or asus4" >&2; exit 2 ;; esac

say() { printf '[pack %s] %s\n' "$(date -u +%H:%M:%S)" "$*"; }
mib() { awk -v b="$1" 'BEGIN { printf "%.1f MiB", b / 1048576 }'; }
size_of() { du -sb "$1" | cut -f1; }

[ -f "$ROOT/dist/cli/main.js" ] && [ -f "$ROOT/dist/index.js" ] ||
  { echo "pack.sh: dist/ is not built (npm ci or npm run build first)" >&2; exit 2; }
NODE_BIN=$(node -p process.execPath)
if ldd "$NODE_BIN" | grep -q 'not found'; then echo "pack.sh: $NODE_BIN misses shared libraries" >&2; exit 2; fi
# The GPU machine's glibc must be at least the newest symbol version node asks for.
GLIBC_NEED=$(objdump -T "$NODE_BIN" 2>/dev/null | grep -o 'GLIBC_[0-9.]*' | sort -uV | tail -1 || true)

STAGE=$OUTDIR/stage
CACHE=$OUTDIR/cache
PARTS=$OUTDIR/parts
rm -rf "$STAGE" "$PARTS"
mkdir -p "$STAGE/base/node/bin" "$STAGE/base/app" "$CACHE" "$PARTS"
APP=$STAGE/base/app

say "node: $NODE_BIN ($(node --version)); needs ${GLIBC_NEED:-?}, libstdc++, libgcc_s (ldd)"
# The official binary carries its symbol table and some debug info (~12 MB): strip a copy.
if command -v strip >/dev/null && strip -o "$STAGE/base/node/bin/node" "$NODE_BIN" && "$STAGE/base/node/bin/node" -e 0; then
  say "node: stripped copy"
else
  cp "$NODE_BIN" "$STAGE/base/node/bin/node"
fi

say "app: dist/ bin/ package.json package-lock.json examples/"
cp -r "$ROOT/dist" "$ROOT/bin" "$ROOT/examples" "$APP/"
cp "$ROOT/package.json" "$ROOT/package-lock.json" "$APP/"
find "$APP/dist" -name '*.map' -delete
find "$APP/dist" -name '*.d.ts' -delete

ORT_VERSION=$(node -p "require('$ROOT/node_modules/onnxruntime-node/package.json').version")
if [ "$PROVIDER" = asus4 ] && [ "$ORT_VERSION" != "$ASUS4_ORT" ]; then
  # The provider must match the binding exactly: bundle onnxruntime-node@1.29.0 in place of ours.
  say "provider $ASUS4_PKG is built for onnxruntime $ASUS4_ORT: bundling onnxruntime-node@$ASUS4_ORT, not $ORT_VERSION"
  node -e "const f='$APP/package.json',p=JSON.parse(require('fs').readFileSync(f));p.dependencies['onnxruntime-node']='$ASUS4_ORT';delete p.devDependencies;delete p.scripts;require('fs').writeFileSync(f,JSON.stringify(p,null,2)+'\n')"
  rm "$APP/package-lock.json"
  (cd "$APP" && ONNXRUNTIME_NODE_INSTALL=skip npm install --omit=dev --ignore-scripts --no-audit --no-fund --prefer-offline --loglevel=error >/dev/null)
  ORT_VERSION=$ASUS4_ORT
else
  say "node_modules: npm ci --omit=dev (onnxruntime-node $ORT_VERSION)"
  (cd "$APP" && ONNXRUNTIME_NODE_INSTALL=skip npm ci --omit=dev --ignore-scripts --no-audit --no-fund --prefer-offline --loglevel=error >/dev/null)
fi
# onnxruntime-node ships native files for every platform; the GPU machine is linux/x64.
ORT_BIN=$APP/node_modules/onnxruntime-node/bin/napi-v6
find "$ORT_BIN" -mindepth 1 -maxdepth 1 ! -name linux -exec rm -rf {} +
find "$ORT_BIN/linux" -mindepth 1 -maxdepth 1 ! -name x64 -exec rm -rf {} +
[ -f "$ORT_BIN/linux/x64/onnxruntime_binding.node" ] || { echo "pack.sh: no linux/x64 binding in onnxruntime-node" >&2; exit 2; }

if [ "$PROVIDER" = asus4 ]; then
  TGZ=$CACHE/${ASUS4_PKG%@*}-${ASUS4_PKG#*@}.tgz
  if [ ! -f "$TGZ" ]; then
    say "provider: npm pack $ASUS4_PKG (179 MB download)"
    (cd "$CACHE" && npm pack "$ASUS4_PKG" --loglevel=error >/dev/null)
  fi
  PDIR=$STAGE/provider/app/node_modules/onnxruntime-node/bin/napi-v6/linux/x64
  mkdir -p "$PDIR" "$CACHE/asus4"
  tar -xzf "$TGZ" -C "$CACHE/asus4"
  SRC=$CACHE/asus4/package/Plugins/Linux/x64
  cp "$SRC/libonnxruntime_providers_shared.so" "$PDIR/"
  if [ "$KEEP_SM" = all ]; then
    cp "$SRC/libonnxruntime_providers_cuda.so" "$PDIR/"
  else
    say "provider: keeping only sm_$KEEP_SM kernels (scripts/gpu/prune-fatbin.py)"
    python3 "$ROOT/scripts/gpu/prune-fatbin.py" --keep "$KEEP_SM" "$SRC/libonnxruntime_providers_cuda.so" "$PDIR/libonnxruntime_providers_cuda.so"
  fi
  chmod +x "$PDIR"/*.so
fi

{
  echo "handwire GPU bundle, packed $(date -u +%Y-%m-%dT%H:%M:%SZ) from commit $(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet HEAD -- src scripts 2>/dev/null || echo ' (+ uncommitted changes)')"
  echo "node $(node --version) ($NODE_BIN), needs ${GLIBC_NEED:-?}"
  echo "onnxruntime-node $ORT_VERSION"
  if [ "$PROVIDER" = asus4 ]; then echo "provider $ASUS4_PKG (onnxruntime $ASUS4_ORT, CUDA 13), kernels kept: sm_$KEEP_SM"; else echo "provider none (CPU only)"; fi
} > "$STAGE/base/MANIFEST.txt"
cp "$STAGE/base/MANIFEST.txt" "$OUTDIR/MANIFEST.txt"

compress() { # name dir
  say "compress $1: tar | xz -$XZ_LEVEL -T2, split into $PART_SIZE parts"
  tar -C "$2" -cf - . | xz -T2 "-$XZ_LEVEL" -c | split -b "$PART_SIZE" -d -a 2 - "$PARTS/$1.tar.xz."
}
compress base "$STAGE/base"
[ "$PROVIDER" = asus4 ] && compress provider "$STAGE/provider"
(cd "$PARTS" && sha256sum -- *.tar.xz.* > SHA256SUMS)

echo
echo "sizes (bytes, MiB):"
row() { printf '  %-52s %11d  %s\n' "$1" "$2" "$(mib "$2")"; }
row "node binary" "$(size_of "$STAGE/base/node/bin/node")"
row "app/dist + bin + examples + package.json" "$(( $(size_of "$APP") - $(size_of "$APP/node_modules") ))"
row "app/node_modules (production, linux/x64)" "$(size_of "$APP/node_modules")"
row "  of which onnxruntime-node native files" "$(size_of "$ORT_BIN/linux/x64")"
row "base, unpacked" "$(size_of "$STAGE/base")"
if [ "$PROVIDER" = asus4 ]; then
  row "provider, unpacked (cuda + shared .so)" "$(size_of "$STAGE/provider")"
fi
TOTAL=0
for f in "$PARTS"/*.tar.xz.*; do
  n=$(stat -c %s "$f"); TOTAL=$((TOTAL + n)); row "parts/$(basename "$f")" "$n"
done
row "all parts (what must reach the GPU machine)" "$TOTAL"
echo "  parts per device call (≤64 MiB of working tree each, the repo's own files included): see docs/cuda.md"
