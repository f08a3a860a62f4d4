#!/usr/bin/env bash
# Run every fuzz target for SECONDS each (default 60) with libFuzzer through cargo-fuzz, seeded from the
# shared corpus (when ../shared is there), the project's fixtures and the spec's vectors, and print one
# line per target: executions, corpus size, crashes. Crashes are left in fuzz/artifacts/<target>/.
# Usage: fuzz/run.sh [SECONDS] [TARGET...]     (needs `cargo install cargo-fuzz`)
set -euo pipefail
cd "$(dirname "$0")"
secs="${1:-60}"; shift || true
targets=("$@"); [ ${#targets[@]} -gt 0 ] || targets=(document inner_list edit token arn)
# cargo-fuzz passes -Z flags (sanitizer coverage); the stable toolchain accepts them with RUSTC_BOOTSTRAP.
export RUSTC_BOOTSTRAP=1
seed() { # target dir...
  local t="$1"; shift; mkdir -p "corpus/$t"
  for d in "$@"; do [ -d "$d" ] && cp -n "$d"/* "corpus/$t/" 2>/dev/null || true; done
}
shared=../../shared
seed document ../tests/fixtures "$shared/corpus/aws-auth" "$shared/corpus/aws-auth-templates"
seed edit ../tests/fixtures "$shared/corpus/aws-auth"
mkdir -p corpus/inner_list corpus/token corpus/arn
# Inner values: the text of every literal mapRoles/mapUsers block of the fixtures.
python3 - <<'PY'
import glob, os, re
n = 0
for f in glob.glob('../tests/fixtures/*.yaml') + glob.glob('../../shared/corpus/aws-auth/*'):
    text = open(f, errors='replace').read()
    for m in re.finditer(r'^(\s*)map(Roles|Users|Accounts): \|\n((?:\1\s+.*\n|\n)+)', text, re.M):
        n += 1
        open(f'corpus/inner_list/seed-{n}', 'w').write(m.group(3))
# Tokens and ARNs quoted in the project's own unit tests and fixtures (and, when the project's shared
# checkouts are beside the clone, in the authenticator spec's vectors too).
sources = glob.glob('../src/core/*_tests.rs') + glob.glob('../tests/fixtures/*')
if os.path.exists('../../shared/spec/authenticator.md'):
    sources.append('../../shared/spec/authenticator.md')
spec = ''.join(open(f, errors='replace').read() for f in sources if os.path.isfile(f))
for i, t in enumerate(sorted(set(re.findall(r'k8s-aws-v1\.[A-Za-z0-9_\-=.]*', spec)))):
    open(f'corpus/token/seed-{i}', 'w').write(t)
for i, a in enumerate(sorted(set(re.findall(r'arn:[A-Za-z0-9\-:/_.*+=,@{}]+', spec)))):
    open(f'corpus/arn/seed-{i}', 'w').write(a)
PY
printf '%-12s %12s %10s %8s\n' target executions corpus crashes
for t in "${targets[@]}"; do
  log="$(mktemp)"
  cargo fuzz run --release --sanitizer none "$t" "corpus/$t" -- -max_total_time="$secs" -print_final_stats=1 \
    > "$log" 2>&1 || true
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
  crashes=$(ls "artifacts/$t" 2>/dev/null | grep -c '^crash-' || true)
  printf '%-12s %12s %10s %8s\n' "$t" "${execs:-0}" "$(ls "corpus/$t" | wc -l)" "$crashes"
  grep -E '^(thread|==[0-9]+== ERROR|SUMMARY)' "$log" | head -5 || true
  rm -f "$log"
done
