#!/usr/bin/env bash
# Generates prometheusrule.yaml (Prometheus Operator CRD) from lineside-rules.yml, the one
# hand-edited copy of the rules: the CRD's spec is the rule file, indented under "spec:".
#   render-prometheusrule.sh           rewrite prometheusrule.yaml
#   render-prometheusrule.sh --stdout  print it (PrometheusRuleTest compares this with the file)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

render() {
  cat <<'HEADER'
# GENERATED from lineside-rules.yml by render-prometheusrule.sh: edit the rule file, then re-run
# the script. PrometheusRuleTest fails when this file is out of date.
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata:
  name: lineside
  labels:
    app.kubernetes.io/name: lineside
spec:
HEADER
  # Indent every non-empty line by two spaces; empty lines stay empty (no trailing blanks).
  sed -e 's/^\(.\)/  \1/' "$here/lineside-rules.yml"
}

if [[ "${1:-}" == "--stdout" ]]; then
  render
else
  render > "$here/prometheusrule.yaml"
fi
