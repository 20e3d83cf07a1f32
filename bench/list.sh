#!/usr/bin/env bash
# Times `modlens list` against `du -s` of the same cache in one run, and measures modlens's
# peak memory. With a second cache, it also reports the memory cost per module version as the
# slope between the two caches, which separates it from the fixed base.
#
# Usage: bench/list.sh CACHE [SECOND_CACHE]
# Build caches with bench/make-scale-cache.sh first, e.g.
#   bench/make-scale-cache.sh /tmp/scale            # 2,000 versions, 200,000 files
#   bench/make-scale-cache.sh /tmp/wide 2000 10 2    # 20,000 versions, 40,000 files
#   bench/list.sh /tmp/scale/modcache /tmp/wide/modcache
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin=$PWD/target/release/modlens
command -v hyperfine >/dev/null || { echo "needs hyperfine (apt-get install hyperfine)"; exit 2; }

versions() { "$bin" list --json --cache "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["totals"]["versions"])'; }
peak_kib() {
  local best=0 kib
  for _ in 1 2 3; do
    kib=$( { /usr/bin/time -f %M "$bin" list --cache "$1" >/dev/null; } 2>&1 | tail -1)
    [ "$kib" -gt "$best" ] && best=$kib
  done
  echo "$best"
}

cache=$1
files=$(find "$cache" -type f | wc -l)
n=$(versions "$cache")
echo "cache $cache: $n versions, $files files, $(nproc) cores"
du -s "$cache" >/dev/null  # warm the dentry and inode caches
json=$(mktemp)
hyperfine -N --warmup 2 --runs 10 --export-json "$json" \
  "du -s $cache" "$bin list --cache $cache" >/dev/null
python3 - "$json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
du, ml = r[0]["mean"], r[1]["mean"]
print(f"du -s:        {du*1000:8.1f} ms ± {r[0]['stddev']*1000:.1f}")
print(f"modlens list: {ml*1000:8.1f} ms ± {r[1]['stddev']*1000:.1f}")
print(f"ratio modlens/du: {ml/du:.2f} (target <= 1.5)")
PY
rm -f "$json"
peak=$(peak_kib "$cache")
echo "peak RSS: $peak KiB"
# Cross-check: modlens's total must equal du's.
total=$("$bin" list --json --cache "$cache" | python3 -c 'import json,sys; print(json.load(sys.stdin)["totals"]["disk_bytes"])')
echo "total on disk: modlens $total, du $(du -sB1 "$cache" | cut -f1)"

if [ $# -ge 2 ]; then
  second=$2
  n2=$(versions "$second")
  peak2=$(peak_kib "$second")
  echo "second cache $second: $n2 versions, peak RSS $peak2 KiB"
  python3 -c "
a, b, na, nb = $peak, $peak2, $n, $n2
slope = (b - a) * 1024 / (nb - na)
print(f'memory per version: {slope:.0f} bytes (target < 1024), base about {(a*1024 - slope*na)/1024:.0f} KiB')
"
fi
