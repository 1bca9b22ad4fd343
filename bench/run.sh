#!/usr/bin/env bash
# lineside benchmarks, from a fresh checkout: builds what is missing, then runs bench/bench.py.
#   bash bench/run.sh                         # everything, every model (about 20-30 min on 2 cores)
#   bash bench/run.sh latency --models conv-128 --rounds 3 --n 100
# Prerequisites: JDK 17, python3 (3.10+) with venv; pip reaches the packages in training/requirements.txt.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${BENCH_VENV:-target/trainer-venv}
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
  if [ -f training/requirements.txt ]; then
    "$VENV/bin/pip" install -q -r training/requirements.txt
  else
    "$VENV/bin/pip" install -q torch onnx onnxruntime numpy pillow tqdm
  fi
fi
if [ ! -f target/quarkus-app/quarkus-run.jar ] || [ -n "$(find src/main pom.xml -newer target/quarkus-app/quarkus-run.jar -print -quit)" ]; then
  ./mvnw -B -q package -DskipTests -Dtrainer.skip=true
fi
[ $# -gt 0 ] || set -- all
exec "$VENV/bin/python" bench/bench.py "$@"
