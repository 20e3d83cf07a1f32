#!/usr/bin/env bash
# `modlens vendor verify` against the check CI runs today, `go mod vendor && git diff`, in one
# run: a project vendoring MODULES generated module versions (100 files each, in 8 packages,
# all imported; real Go sources when GEN_SOURCES is set), the module cache warm. Both answer
# "is vendor/ what go mod vendor writes?"; go's answer rewrites vendor/ to find out.
#
# Usage: bench/vendor.sh DIR [RUNS] [MODULES]   (DIR is created; default 5 runs, 200 modules)
set -euo pipefail
dir=${1:?usage: vendor.sh DIR [RUNS] [MODULES]}
runs=${2:-5}
modules=${3:-200}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
cd "$(dirname "$0")/.."
. bench/sandbox.sh
export MODLENS_STATE=$dir/state.db

wipe "$dir/modcache"; rm -rf "$dir/proxy" "$dir/project"
./target/release/examples/gen_proxy "$dir/proxy" "$modules" 1 100 >/dev/null
mkdir -p "$dir/project"
{
  printf 'module bench.example/project\n\ngo 1.18\n\nrequire (\n'
  sed 's/@/ /; s/^/\t/' "$dir/proxy/targets.txt"
  printf ')\n'
} > "$dir/project/go.mod"
{
  printf 'package main\n\nimport (\n'
  cut -d@ -f1 "$dir/proxy/targets.txt" | while read -r m; do
    for p in 0 1 2 3 4 5 6 7; do printf '\t_ "%s/pkg%s"\n' "$m" "$p"; done
  done
  printf ')\n\nfunc main() {}\n'
} > "$dir/project/main.go"
cd "$dir/project"
xargs go mod download < <(cut -d@ -f1 "$dir/proxy/targets.txt")
go mod vendor
git init -q . && git add -A && git -c user.email=b@b -c user.name=b commit -qm vendored
echo "vendor/: $(find vendor -type f | wc -l) files, $(du -sh vendor | cut -f1)"
"$bin" vendor verify --no-pager | tail -1

hyperfine --runs "$runs" --warmup 1 --export-json "$dir/vendor.json" \
  -n 'modlens vendor verify' "$bin vendor verify --no-pager" \
  -n 'go mod vendor && git diff --quiet' 'go mod vendor && git diff --quiet --exit-code -- vendor'
python3 - "$dir/vendor.json" <<'EOF'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
m, g = r["modlens vendor verify"], r["go mod vendor && git diff --quiet"]
print(f"modlens {m['mean']:.3f} s ± {m['stddev']:.3f}, go+git {g['mean']:.3f} s ± {g['stddev']:.3f}, "
      f"modlens/go+git = {m['mean'] / g['mean']:.2f}")
EOF
