#!/usr/bin/env bash
# Builds the scale cache with the real go command: a generated file:// proxy of
# MODULES x VERSIONS module versions with FILES files each (defaults: 400 x 5 x 100 =
# 2,000 versions, 200,000 files), downloaded by `go mod download` into DIR/modcache.
#
# With GEN_SOURCES=DIR (e.g. "$(go env GOROOT)/src") the files hold real source code instead
# of generated comment lines, for realistic file sizes and compression.
#
# Usage: bench/make-scale-cache.sh DIR [MODULES VERSIONS FILES]
set -euo pipefail
dir=${1:?usage: make-scale-cache.sh DIR [MODULES VERSIONS FILES]}
modules=${2:-400} versions=${3:-5} files=${4:-100}
cd "$(dirname "$0")/.."
cargo build --release --quiet --example gen_proxy
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
if [ -e "$dir/modcache" ]; then
  chmod -R u+w "$dir/modcache" && rm -rf "$dir/modcache"
fi
rm -rf "$dir/proxy" "$dir/work"
mkdir -p "$dir/proxy" "$dir/work" "$dir/modcache"
./target/release/examples/gen_proxy "$dir/proxy" "$modules" "$versions" "$files"
cd "$dir/work"
# go mod download takes many arguments; xargs batches them.
xargs -n 200 env GOMODCACHE="$dir/modcache" GOPROXY="file://$dir/proxy" GOSUMDB=off \
  GOFLAGS=-mod=mod GOTOOLCHAIN=local GOENV=off GOPATH="$dir/gopath" GOCACHE="$dir/gocache" \
  go mod download < "$dir/proxy/targets.txt"
echo "cache: $dir/modcache ($(find "$dir/modcache" -type f | wc -l) files, $(du -sh "$dir/modcache" | cut -f1))"
