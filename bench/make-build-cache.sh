#!/usr/bin/env bash
# Fills a build cache with the real go: `go build -a std` for one target after another (a
# dozen GOOS/GOARCH pairs, then the same with optimizations off), about 100 MiB each, until
# it has built COUNT of them (default 24, about 2.5 GiB). Debian's go 1.19 needs about 20 s
# a target on 2 cores.
#
# Usage: bench/make-build-cache.sh DIR [COUNT]   (the cache is DIR/gocache)
set -euo pipefail
dir=${1:?usage: make-build-cache.sh DIR [COUNT]}
count=${2:-24}
mkdir -p "$dir/gocache"
targets=(linux/amd64 linux/386 linux/arm64 linux/arm windows/amd64 windows/386 darwin/amd64
         darwin/arm64 freebsd/amd64 linux/ppc64le linux/s390x linux/riscv64)
built=0
for flags in "" "-gcflags=all=-N -l"; do
  for target in "${targets[@]}"; do
    [ "$built" -ge "$count" ] && break 2
    GOCACHE="$dir/gocache" GOOS=${target%/*} GOARCH=${target#*/} GOFLAGS= CGO_ENABLED=0 \
      go build -a ${flags:+"$flags"} std
    built=$((built + 1))
  done
done
echo "build cache: $dir/gocache ($(find "$dir/gocache" -type f | wc -l) files, $(du -sh "$dir/gocache" | cut -f1))"
