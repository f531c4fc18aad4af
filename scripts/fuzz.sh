#!/usr/bin/env bash
# The long fuzzing run: test/fuzz.test.ts with 100,000 mutated sources (and a tenth of that over the
# size limits) instead of CI's 10,000. Results are recorded in docs/fuzzing.md.
#   scripts/fuzz.sh                 100,000 cases, the CI seed (its first 10,000 cases are CI's)
#   scripts/fuzz.sh 1000000         more cases
#   FUZZ_SEED=7 scripts/fuzz.sh     other cases than CI's
# A failure prints fast-check's seed, shrink path and smallest failing source; to replay it, run
# with the same FUZZ_RUNS and FUZZ_SEED.
set -euo pipefail
cd "$(dirname "$0")/.."
export FUZZ_RUNS="${1:-${FUZZ_RUNS:-100000}}"
export FUZZ_SEED="${FUZZ_SEED:-20261122}"
echo "fuzzing checkSource: FUZZ_RUNS=$FUZZ_RUNS FUZZ_SEED=$FUZZ_SEED"
# No per-test time limit: the run's length grows with FUZZ_RUNS (vitest's default here is 2 minutes).
exec npx vitest run test/fuzz.test.ts --testTimeout=0
