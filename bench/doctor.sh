#!/usr/bin/env bash
# The project doctor against go's own cure, in one run: a project needing 200 module versions
# (100 files each, real Go sources when GEN_SOURCES is set), 3 of them broken in the cache (a
# tree file edited, a zip replaced by garbage, a version deleted). Timed, from the same broken
# cache each run (restored by hyperfine --prepare, untimed) and the same file:// proxy:
#   1. modlens doctor --fix --yes
#   2. go clean -modcache && go mod download
# Also reported: the bytes each put back into cache/download (what a real proxy would send).
#
# Usage: bench/doctor.sh DIR [RUNS]   (DIR is created; default 5 runs)
set -euo pipefail
dir=${1:?usage: doctor.sh DIR [RUNS]}
runs=${2:-5}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
cd "$(dirname "$0")/.."
. bench/sandbox.sh

wipe "$dir/modcache"; wipe "$dir/broken"; rm -rf "$dir/proxy" "$dir/project"
./target/release/examples/gen_proxy "$dir/proxy" 200 1 100 >/dev/null
mkdir -p "$dir/project"
{
  printf 'module bench.example/project\n\ngo 1.18\n\nrequire (\n'
  sed 's/@/ /; s/^/\t/' "$dir/proxy/targets.txt"
  printf ')\n'
} > "$dir/project/go.mod"
(cd "$dir/project" && xargs go mod download < <(cut -d@ -f1 "$dir/proxy/targets.txt"))

# Three broken versions.
mapfile -t targets < "$dir/proxy/targets.txt"
esc() { python3 -c 'import re,sys; print(re.sub(r"[A-Z]", lambda m: "!" + m.group(0).lower(), sys.argv[1]))' "$1"; }
one=${targets[10]} two=${targets[100]} three=${targets[190]}
tree=$GOMODCACHE/$(esc "${one%@*}")@${one#*@}
chmod -R u+w "$tree"
f=$(find "$tree" -name '*.go' -print -quit); echo '// edited' >> "$f"
echo garbage > "$GOMODCACHE/cache/download/$(esc "${two%@*}")/@v/${two#*@}.zip"
chmod -R u+w "$GOMODCACHE/$(esc "${three%@*}")@${three#*@}"
rm -rf "$GOMODCACHE/$(esc "${three%@*}")@${three#*@}" "$GOMODCACHE/cache/download/$(esc "${three%@*}")"
cp -a "$GOMODCACHE" "$dir/broken"

restore="chmod -R u+w $GOMODCACHE 2>/dev/null; rm -rf $GOMODCACHE; cp -a $dir/broken $GOMODCACHE"
cd "$dir/project"
hyperfine --runs "$runs" --export-json "$dir/doctor.json" \
  --prepare "$restore" \
  -n 'modlens doctor --fix' "$bin doctor --fix --yes --cache $GOMODCACHE" \
  -n 'go clean -modcache && go mod download' 'go clean -modcache && go mod download'

bytes() { find "$GOMODCACHE/cache/download" -type f \( -name '*.zip' -o -name '*.mod' -o -name '*.info' \) -newer "$dir/stamp" -printf '%s\n' | awk '{s+=$1} END {print s+0}'; }
bash -c "$restore"; touch "$dir/stamp"; sleep 1
"$bin" doctor --fix --yes --json --cache "$GOMODCACHE" > "$dir/fix.json" || true
modlens_bytes=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["fix"]["bytes_downloaded"])' "$dir/fix.json")
bash -c "$restore"; touch "$dir/stamp"; sleep 1
go clean -modcache && go mod download
go_bytes=$(bytes)
python3 - "$dir/doctor.json" "$modlens_bytes" "$go_bytes" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
m = r["modlens doctor --fix"]["mean"]; g = r["go clean -modcache && go mod download"]["mean"]
mb, gb = int(sys.argv[2]), int(sys.argv[3])
print(f"modlens doctor --fix: {m*1000:.0f} ms, {mb} bytes downloaded")
print(f"go clean -modcache && go mod download: {g*1000:.0f} ms, {gb} bytes downloaded")
print(f"time ratio: {g/m:.1f}x faster; bytes ratio: {gb/max(mb,1):.0f}x fewer")
PY
