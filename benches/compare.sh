#!/usr/bin/env bash
# Side by side on the project's test API server (127.0.0.1 only): `iamidmap get` against
# `kubectl get cm aws-auth -n kube-system -o yaml`, then iamidmap create/delete against kubectl's read
# and replace; wall time per run (mean of RUNS) and the API requests each makes.
# Usage: benches/compare.sh [RUNS]    (kubectl: the one on PATH; .ci/run's venv has a pinned one)
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-30}"
target="${CARGO_TARGET_DIR:-target}"
cargo build --release -q --bin iamidmap --example test-apiserver
bin="$target/release/iamidmap"
work="$(mktemp -d)"
"$target/release/examples/test-apiserver" > "$work/port" &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 50); do [ -s "$work/port" ] && break; sleep 0.05; done
port="$(head -1 "$work/port")"
url="http://127.0.0.1:$port"
# The server writes a kubeconfig with the bearer token it requires (second line of its output).
for _ in $(seq 50); do [ "$(wc -l < "$work/port")" -ge 2 ] && break; sleep 0.05; done
export KUBECONFIG="$(sed -n 2p "$work/port")"
# Never reach AWS: dummy credentials and an endpoint where nothing listens (the guard's STS lookup and
# create's IAM lookup fail at once; --as-arn gives the guard its caller).
export AWS_ACCESS_KEY_ID=AKIDBENCH AWS_SECRET_ACCESS_KEY=bench AWS_REGION=us-east-1 \
  AWS_ENDPOINT_URL=http://127.0.0.1:9 AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null \
  AWS_EC2_METADATA_DISABLED=true
unset AWS_PROFILE AWS_SESSION_TOKEN
kubectl --cache-dir "$work/cache" apply -f examples/aws-auth.yaml > /dev/null

now() { date +%s%N; }
mean_ms() { # command... ; prints mean wall ms over $runs runs
  local start end
  start=$(now)
  for _ in $(seq "$runs"); do "$@" > /dev/null 2>&1; done
  end=$(now)
  awk -v s="$start" -v e="$end" -v n="$runs" 'BEGIN { printf "%.1f", (e - s) / n / 1e6 }'
}
requests() { # command... ; prints the number of API requests it made
  curl -s -X POST "$url/_test/reset-log" > /dev/null
  "$@" > /dev/null 2>&1
  curl -s "$url/_test/log" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'
}

kubectl_get=(kubectl --cache-dir "$work/cache" get cm aws-auth -n kube-system -o yaml)
kubectl_cold=(bash -c "kubectl --cache-dir \$(mktemp -d) get cm aws-auth -n kube-system -o yaml")
iam_get=("$bin" get)
iam_create=("$bin" -q --as-arn arn:aws:iam::111122223333:role/me --backup-dir "$work/backups" create --yes --skip-iam-check --skip-rbac-check --arn arn:aws:iam::111122223333:role/bench --group bench)
iam_create_checked=("$bin" -q --as-arn arn:aws:iam::111122223333:role/me --backup-dir "$work/backups" create --yes --skip-iam-check --arn arn:aws:iam::111122223333:role/bench2 --group bench)
iam_delete=("$bin" -q --as-arn arn:aws:iam::111122223333:role/me --backup-dir "$work/backups" delete --yes --arn arn:aws:iam::111122223333:role/bench)

t_iam=$(mean_ms "${iam_get[@]}")
t_kwarm=$(mean_ms "${kubectl_get[@]}")
t_kcold=$(mean_ms "${kubectl_cold[@]}")
r_iam=$(requests "${iam_get[@]}")
r_kwarm=$(requests "${kubectl_get[@]}")
r_kcold=$(requests "${kubectl_cold[@]}")
start=$(now)
for _ in $(seq "$runs"); do "${iam_create[@]}"; "${iam_delete[@]}"; done
end=$(now)
t_cd=$(awk -v s="$start" -v e="$end" -v n="$runs" 'BEGIN { printf "%.1f", (e - s) / n / 2 / 1e6 }')
r_create=$(requests "${iam_create[@]}")
r_delete=$(requests "${iam_delete[@]}")
r_checked=$(requests "${iam_create_checked[@]}")

echo "runs: $runs, server: $url, kubectl: $(kubectl version --client 2>/dev/null | head -1)"
printf '%-52s %10s %9s\n' "command" "mean ms" "requests"
printf '%-52s %10s %9s\n' "iamidmap get" "$t_iam" "$r_iam"
printf '%-52s %10s %9s\n' "kubectl get cm aws-auth -o yaml (warm cache)" "$t_kwarm" "$r_kwarm"
printf '%-52s %10s %9s\n' "kubectl get cm aws-auth -o yaml (cold cache)" "$t_kcold" "$r_kcold"
printf '%-52s %10s %9s\n' "iamidmap create / delete (each)" "$t_cd" "$r_create / $r_delete"
printf '%-52s %10s %9s\n' "iamidmap create with its RBAC check (binding lists)" "-" "$r_checked"
awk -v a="$t_iam" -v w="$t_kwarm" -v c="$t_kcold" 'BEGIN { printf "ratio: kubectl/iamidmap = %.1fx (warm), %.1fx (cold)\n", w / a, c / a }'
