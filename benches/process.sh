#!/usr/bin/env bash
# Whole-process timing of `iamidmap validate` and `get -o json` on the 1 MiB templated aws-auth (the shape of
# benches/document.rs `generate_templated_mib`): median and minimum of N runs, wall time and peak memory.
#   benches/process.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-15}"
cargo build --release -q
bin=target/release/iamidmap
file=$(mktemp --suffix=.yaml)
trap 'rm -f "$file"' EXIT
python3 - "$file" <<'PY'
import sys
out = ["apiVersion: v1", "kind: ConfigMap", "metadata:", "  name: aws-auth", "  namespace: kube-system",
       "data:", "  mapRoles: |"]
body, i = [], 0
while sum(map(len, body)) < 1024 * 1024 - 400:
    body.append(f"    # team {i} owns this role\n    - rolearn: arn:aws:iam::111122223333:role/team-{i:05}-role\n"
                f"      username: \"team-{i:05}:{{{{SessionName}}}}\"\n      groups:\n        - team-{i:05}\n")
    i += 1
open(sys.argv[1], "w").write("\n".join(out) + "\n" + "".join(body))
PY
for cmd in "validate -f $file" "get -f $file -o json"; do
  python3 - "$runs" $bin $cmd <<'PY'
import subprocess, sys, time, statistics, resource
runs, cmd = int(sys.argv[1]), sys.argv[2:]
times = []
for _ in range(runs):
    t = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    times.append(time.perf_counter() - t)
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(f"{' '.join(cmd[1:2])}: median {statistics.median(times)*1000:.1f} ms, min {min(times)*1000:.1f} ms, peak {peak/1024:.1f} MB ({runs} runs)")
PY
done
