#!/usr/bin/env bash
# Remembered verdicts, one run each against its peers: on the scale cache (DIR/modcache from
# bench/make-scale-cache.sh, with DIR/projects/p* from bench/verify.sh), warm page cache,
#   1. modlens verify --full      (hashes everything, as a first run does)
#   2. modlens verify             (nothing changed: remembered verdicts)
#   3. modlens list               (the walk that takes every file's state)
#   4. go mod verify in the five projects covering the same versions (go's hashing)
# and the state database's size per 1,000 versions. Where the page cache can be dropped (root:
# /proc/sys/vm/drop_caches), the first three run again cold, each after dropping it, as a first
# run on a cache that is not in memory and a later run days after.
#
# Usage: bench/remember.sh DIR [RUNS]   (default 5 runs)
set -euo pipefail
dir=$(cd "${1:?usage: remember.sh DIR [RUNS]}" && pwd)
runs=${2:-5}
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin=$PWD/target/release/modlens
command -v hyperfine >/dev/null || { echo "needs hyperfine (apt-get install hyperfine)"; exit 2; }
state=$dir/remember-state.db
rm -f "$state" "$state-wal" "$state-shm"
export GOMODCACHE=$dir/modcache GOPROXY=off GOSUMDB=off GOFLAGS=-mod=mod GOTOOLCHAIN=local GOENV=off
"$bin" verify --cache "$GOMODCACHE" --state "$state" >/dev/null
cat > "$dir/go-verify-all.sh" <<'SH'
#!/usr/bin/env bash
set -e
for p in "$1"/projects/p*; do (cd "$p" && go mod verify >/dev/null); done
SH
hyperfine -N --warmup 1 --runs "$runs" --export-json "$dir/remember.json" \
  -n 'modlens verify --full' "$bin verify --full --cache $GOMODCACHE --state $state" \
  -n 'modlens verify (remembered)' "$bin verify --cache $GOMODCACHE --state $state" \
  -n 'modlens list' "$bin list --cache $GOMODCACHE --no-state" \
  -n 'go mod verify x5' "bash $dir/go-verify-all.sh $dir"
versions=$("$bin" list --json --cache "$GOMODCACHE" --no-state | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["entries"]))')
bytes=$(stat -c %s "$state")
python3 - "$dir/remember.json" "$versions" "$bytes" <<'PY'
import json, sys
r = {x["command"]: x["mean"] for x in json.load(open(sys.argv[1]))["results"]}
full, again, lst, go = (r["modlens verify --full"], r["modlens verify (remembered)"],
                        r["modlens list"], r["go mod verify x5"])
print(f"second verify: {again*1000:.0f} ms; {full/again:.1f}x faster than a full one ({full*1000:.0f} ms), "
      f"{again/lst:.2f}x modlens list ({lst*1000:.0f} ms), {go/again:.0f}x faster than go mod verify x5 ({go:.2f} s)")
print(f"state database: {int(sys.argv[3])/1024:.0f} KiB for {sys.argv[2]} versions, "
      f"{int(sys.argv[3])/int(sys.argv[2]):.0f} bytes per version")
PY

if { sync && echo 3 > /proc/sys/vm/drop_caches; } 2>/dev/null; then
  hyperfine -N --runs "$runs" --prepare 'sh -c "sync; echo 3 > /proc/sys/vm/drop_caches"' \
    --export-json "$dir/remember-cold.json" \
    -n 'modlens verify --full' "$bin verify --full --cache $GOMODCACHE --state $state" \
    -n 'modlens verify (remembered)' "$bin verify --cache $GOMODCACHE --state $state" \
    -n 'modlens list' "$bin list --cache $GOMODCACHE --no-state"
  python3 - "$dir/remember-cold.json" <<'PY'
import json, sys
r = {x["command"]: x["mean"] for x in json.load(open(sys.argv[1]))["results"]}
full, again, lst = (r["modlens verify --full"], r["modlens verify (remembered)"], r["modlens list"])
print(f"cold page cache: second verify {again*1000:.0f} ms; {full/again:.1f}x faster than a full one "
      f"({full*1000:.0f} ms), {again/lst:.2f}x modlens list ({lst*1000:.0f} ms)")
PY
else
  echo "cold runs skipped: the page cache cannot be dropped here (needs root)"
fi
