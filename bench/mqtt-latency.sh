#!/usr/bin/env bash
# MQTT sink bench: two packaged appliances (one publishing to a real mosquitto on loopback, one
# without MQTT) take the same paced bursts of images in interleaved rounds; prints the
# verdict-to-subscriber latency p50/p99 and the appliance CPU per image with and without publishing.
#   bench/mqtt-latency.sh [images/s] [seconds per round] [rounds] [warm-up seconds]   (defaults: 200 10 3 20)
# Prerequisites: JDK 17, Debian's mosquitto (apt-get install mosquitto).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f target/quarkus-app/quarkus-run.jar ] || [ -n "$(find src/main pom.xml -newer target/quarkus-app/quarkus-run.jar -print -quit)" ]; then
  ./mvnw -B -q package -DskipTests -Dtrainer.skip=true
fi
./mvnw -q -B test -Dtrainer.skip=true -Dsurefire.failIfNoSpecifiedTests=false -Dtest=MqttLatencyBench \
  -Dlineside.bench=true -Dlineside.bench.rate="${1:-200}" -Dlineside.bench.seconds="${2:-10}" \
  -Dlineside.bench.rounds="${3:-3}" -Dlineside.bench.warmup="${4:-20}" | grep -E '^(round|MQTT bench|machine)'
echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(date -u +%Y-%m-%d)"
rm -rf target/bench-mqtt
