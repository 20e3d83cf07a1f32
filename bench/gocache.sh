#!/usr/bin/env bash
# `modlens gocache verify` against its peers, in one run: sha256sum of the same output files
# with `xargs -P <cores>`, and `openssl dgst -sha256` the same way (it uses the CPU's SHA
# instructions, as modlens does; sha256sum does not), hashing only, while modlens also parses
# every action entry and judges the cache. Warm page cache. Also the peak memory of modlens.
#
# Usage: bench/gocache.sh GOCACHE_DIR [RUNS]   (e.g. /tmp/gcb/gocache from make-build-cache.sh)
set -euo pipefail
cache=$(cd "${1:?usage: gocache.sh GOCACHE_DIR [RUNS]}" && pwd)
runs=${2:-5}
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin=$PWD/target/release/modlens
command -v hyperfine >/dev/null || { echo "needs hyperfine (apt-get install hyperfine)"; exit 2; }
cores=$(nproc)
out=$(mktemp)
trap 'rm -f "$out"' EXIT
echo "cache: $(du -sh "$cache" | cut -f1), $(find "$cache" -name '*-d' | wc -l) outputs, $cores cores"
# Outputs written in the last minute are not hashed by modlens: make sure there are none.
find "$cache" -type f -newermt '-1 minute' -exec touch -d '-2 minutes' {} +
hyperfine -N --warmup 1 --runs "$runs" --export-json "$out" \
  -n 'modlens gocache verify' "$bin gocache verify --dir $cache" \
  -n "sha256sum, xargs -P $cores" "sh -c 'find $cache -name \"*-d\" -print0 | xargs -0 -P $cores -n 64 sha256sum > /dev/null'" \
  -n "openssl dgst -sha256, xargs -P $cores" "sh -c 'find $cache -name \"*-d\" -print0 | xargs -0 -P $cores -n 64 openssl dgst -sha256 > /dev/null'"
python3 - "$out" <<'PY'
import json, sys
r = [x["mean"] for x in json.load(open(sys.argv[1]))["results"]]
print(f"modlens gocache verify: {r[0]:.2f} s; sha256sum: {r[1]:.2f} s (modlens/sha256sum {r[0]/r[1]:.2f}); "
      f"openssl: {r[2]:.2f} s (modlens/openssl {r[0]/r[2]:.2f})")
PY
/usr/bin/time -f 'modlens gocache verify: peak memory %M KiB' "$bin" gocache verify --dir "$cache" > /dev/null
