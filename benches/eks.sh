#!/usr/bin/env bash
# `iamidmap get --cluster demo` on a cluster with N access entries (default 200) and the example aws-auth,
# against the project's test EKS API and test API server (127.0.0.1 only): DescribeCluster, ListAccessEntries
# page by page, then DescribeAccessEntry and ListAssociatedAccessPolicies for every entry, 16 at a time.
# Wall time per run (mean of RUNS), without and with a simulated round trip per EKS request, and the number
# of EKS requests. Target (docs/performance.md): under 300 ms for 200 entries.
# Usage: benches/eks.sh [RUNS] [ENTRIES]
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-20}"
entries="${2:-200}"
target="${CARGO_TARGET_DIR:-target}"
cargo build --release -q --bin iamidmap --example test-apiserver
bin="$target/release/iamidmap"
export AWS_ACCESS_KEY_ID=AKIDBENCH AWS_SECRET_ACCESS_KEY=bench AWS_REGION=us-east-1 \
  AWS_ENDPOINT_URL=http://127.0.0.1:9 AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null \
  AWS_EC2_METADATA_DISABLED=true
unset AWS_PROFILE AWS_SESSION_TOKEN KUBECONFIG
now() { date +%s%N; }
for latency in 0 5; do
  work="$(mktemp -d)"
  "$target/release/examples/test-apiserver" --eks "$entries" --latency-ms "$latency" > "$work/out" &
  server=$!
  for _ in $(seq 200); do [ "$(wc -l < "$work/out")" -ge 3 ] && break; sleep 0.05; done
  export AWS_ENDPOINT_URL_EKS="$(sed -n 3p "$work/out")"
  rows="$("$bin" get --cluster demo --region us-east-1 -o json 2>/dev/null | grep -c '"principalArn"')"
  [ "$rows" -eq "$entries" ] || { echo "expected $entries access entries, got $rows" >&2; kill $server; exit 1; }
  start=$(now)
  for _ in $(seq "$runs"); do "$bin" get --cluster demo --region us-east-1 > /dev/null 2>&1; done
  end=$(now)
  mean=$(awk -v s="$start" -v e="$end" -v n="$runs" 'BEGIN { printf "%.1f", (e - s) / n / 1e6 }')
  echo "get --cluster, $entries access entries, ${latency} ms per EKS request: $mean ms (mean of $runs)"
  kill $server 2>/dev/null
  rm -rf "$work"
done
