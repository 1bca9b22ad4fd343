#!/usr/bin/env bash
# History index bench: writes a verdict journal of N records (default 1,000,000, about 590 MB under
# target/bench-journal, in 16 files), builds the history index over it with one forward scan, and
# times the queries GET /api/v1/inspections makes. Prints its figures, then removes that journal.
#   bench/history-index.sh [records]
set -euo pipefail
cd "$(dirname "$0")/.."
./mvnw -q -B test -Dtrainer.skip=true -Dsurefire.failIfNoSpecifiedTests=false \
  -Dtest=IndexedJournalBench -Dlineside.bench=true -Dlineside.bench.records="${1:-1000000}"
echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(date -u +%Y-%m-%d)"
rm -rf target/bench-journal
