#!/usr/bin/env bash
# Peak memory and time of every command on hostile caches, beside `du -s` (the peer that reads
# the same tree) in the same run. Goal: every modlens command under 256 MiB on every case.
#
# The base cache is written by the real go from a generated file:// proxy (3 small modules and
# one version of 100,000 files); each case is a copy of it, damaged one way:
#   sparse_ziphash  an 8 GiB sparse .ziphash          huge_info   an 8 GiB sparse .info
#   zero_link       .info is a symlink to /dev/zero   fifo_tree   a FIFO inside a tree
#   fifo_partial    a FIFO as .partial                deep_chain  1,200 nested directories
#   zip_bomb        a zip whose 1 entry claims 100 B and inflates to 256 MiB
#   many_files      the 100,000-file version alone
#
# Usage: bench/hostile.sh [DIR]   (default: a temp dir, removed afterwards)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin=$PWD/target/release/modlens
[ -x /usr/bin/time ] || { echo "needs GNU time (apt-get install time)"; exit 2; }
command -v go >/dev/null || { echo "needs go (apt-get install golang-go)"; exit 2; }
dir=${1:-$(mktemp -d)}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

python3 - "$dir/proxy" <<'PY'
import json, os, sys, zipfile
root = sys.argv[1]
def module(path, ver, files):
    d = f"{root}/{path}/@v"; os.makedirs(d, exist_ok=True)
    mod = f"module {path}\n\ngo 1.18\n"
    open(f"{d}/{ver}.mod", "w").write(mod)
    json.dump({"Version": ver, "Time": "2023-01-01T00:00:00Z"}, open(f"{d}/{ver}.info", "w"))
    with zipfile.ZipFile(f"{d}/{ver}.zip", "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(f"{path}@{ver}/go.mod", mod)
        for name, body in files:
            z.writestr(f"{path}@{ver}/{name}", body)
    open(f"{d}/list", "a").write(ver + "\n")
for m in "abc":
    module(f"example.com/{m}", "v1.0.0", [("x.go", "package x\n")])
module("example.com/many", "v1.0.0",
       [(f"d{i % 1000:03}/f{i}.go", f"package d // {i}\n") for i in range(100_000)])
PY
base=$dir/base
rm -rf "$base" && mkdir -p "$base" "$dir/work"
(cd "$dir/work" && GOMODCACHE=$base GOPROXY=file://$dir/proxy GOSUMDB=off GOFLAGS=-mod=mod \
  GOTOOLCHAIN=local GOENV=off GOPATH=$dir/gopath go mod download \
  example.com/a@v1.0.0 example.com/b@v1.0.0 example.com/c@v1.0.0 example.com/many@v1.0.0)
chmod -R u+w "$base"

at_v=cache/download/example.com/a/@v
damage() {  # case cache
  case $1 in
    sparse_ziphash) truncate -s 8G "$2/$at_v/v1.0.0.ziphash" ;;
    huge_info) truncate -s 8G "$2/$at_v/v1.0.0.info" ;;
    zero_link) rm "$2/$at_v/v1.0.0.info"; ln -s /dev/zero "$2/$at_v/v1.0.0.info" ;;
    fifo_tree) mkfifo "$2/example.com/a@v1.0.0/fifo" ;;
    fifo_partial) mkfifo "$2/$at_v/v1.0.0.partial" ;;
    deep_chain) mkdir -p "$2/example.com/a@v1.0.0/$(printf 'd/%.0s' $(seq 1200))" ;;
    zip_bomb) python3 - "$2/$at_v/v1.0.0.zip" <<'PY'
import struct, sys, zlib
real = 256 << 20
c = zlib.compressobj(1, zlib.DEFLATED, -15)
data = c.compress(bytes(real)) + c.flush()
name = b"example.com/a@v1.0.0/bomb.go"
crc = zlib.crc32(bytes(real))
local = struct.pack("<IHHHIIIIHH", 0x04034b50, 20, 0, 8, 0, crc, len(data), 100, len(name), 0) + name
cd = struct.pack("<IHHHHIIIIHHHHHII", 0x02014b50, 20, 20, 0, 8, 0, crc, len(data), 100,
                 len(name), 0, 0, 0, 0, 0, 0) + name
eocd = struct.pack("<IHHHHIIH", 0x06054b50, 0, 0, 1, 1, len(cd), len(local) + len(data), 0)
open(sys.argv[1], "wb").write(local + data + cd + eocd)
PY
      ;;
    many_files) ;;
  esac
}

peer_kib=1 peer_secs=1
measure() {  # label command...  (the first call of a case measures the peer)
  local kib secs
  /usr/bin/time -o "$dir/time.txt" -f '%M %e' timeout 120 "${@:2}" >/dev/null 2>&1 || true
  read -r kib secs < <(tail -1 "$dir/time.txt")
  if [ "$1" = "du -s (peer)" ]; then peer_kib=$kib peer_secs=$secs; fi
  printf '  %-44s %7.1f MiB (%5.1fx du) %6.2f s (%5.1fx du)\n' "$1" \
    "$(echo "$kib / 1024" | bc -l)" "$(echo "$kib / $peer_kib" | bc -l)" \
    "$secs" "$(echo "$secs / ($peer_secs + 0.005)" | bc -l)"
}

echo "hostile caches in $dir ($(nproc) cores); peak RSS and wall time"
for c in sparse_ziphash huge_info zero_link fifo_tree fifo_partial deep_chain zip_bomb many_files; do
  cache=$dir/case-$c
  [ -e "$cache" ] && chmod -R u+w "$cache" && rm -rf "$cache"
  cp -a "$base" "$cache"
  damage "$c" "$cache"
  echo "$c:"
  measure "du -s (peer)" du -s "$cache"
  measure "modlens list" "$bin" list --cache "$cache"
  measure "modlens verify" "$bin" verify --cache "$cache"
  measure "modlens clean --broken --leftovers --dry-run" \
    "$bin" clean --broken --leftovers --dry-run --cache "$cache"
  measure "modlens refetch --broken --yes (offline)" \
    env GOPROXY=off "$bin" refetch --broken --yes --cache "$cache"
done
[ -n "${1:-}" ] || { chmod -R u+w "$dir"; rm -rf "$dir"; }
