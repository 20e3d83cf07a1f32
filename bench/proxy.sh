#!/usr/bin/env bash
# Times `modlens proxy verify` of a store (the module cache go filled, whose cache/download is a
# store in go's proxy layout) against go's own hashing of the same zips in one run:
# `dirhash.HashZip`, from the golang.org/x/mod vendored in GOROOT, one goroutine per core.
# The go.sum modlens checks against is go's own (`go mod download -json`). Also compares
# modlens with the work no verifier can skip, inflating every entry and hashing each byte
# once: floor = (bytes / single-core inflate + bytes / single-core SHA-256) / cores; and
# reports modlens's peak memory.
#
# Usage: bench/proxy.sh DIR [RUNS]   (DIR from bench/make-scale-cache.sh)
set -euo pipefail
dir=$(cd "${1:?usage: proxy.sh DIR (from make-scale-cache.sh) [RUNS]}" && pwd)
runs=${2:-3}
cache=$dir/modcache
cd "$(dirname "$0")/.."
cargo build --release --quiet
cargo build --release --quiet --example sha_throughput --example inflate_throughput
bin=$PWD/target/release/modlens
export GOMODCACHE=$cache GOPROXY=off GOSUMDB=off GOFLAGS=-mod=mod GOTOOLCHAIN=local GOENV=off
export GOPATH=$dir/gopath GOCACHE=$dir/gocache

# go.sum, from go.
project=$dir/proxy-project
rm -rf "$project" && mkdir -p "$project"
printf 'module bench.example/store\n\ngo 1.18\n' > "$project/go.mod"
(cd "$dir/work" && xargs -n 200 go mod download -json < "$dir/proxy/targets.txt") |
  python3 -c '
import json, sys
dec, text, i = json.JSONDecoder(), sys.stdin.read(), 0
with open(sys.argv[1], "w") as out:
    while i < len(text):
        while i < len(text) and text[i].isspace():
            i += 1
        if i == len(text):
            break
        d, i = dec.raw_decode(text, i)
        path, version = d["Path"], d["Version"]
        out.write(path + " " + version + " " + d["Sum"] + "\n")
        out.write(path + " " + version + "/go.mod " + d["GoModSum"] + "\n")
' "$project/go.sum"

# go's hashing, built from the x/mod in GOROOT.
peer=$dir/hashzip
rm -rf "$peer" && mkdir -p "$peer"
goroot=$(go env GOROOT)
cp -r "$goroot/src/cmd/vendor/golang.org/x/mod" "$peer/xmod"
printf 'module golang.org/x/mod\n\ngo 1.18\n' > "$peer/xmod/go.mod"
printf 'module hashzip\n\ngo 1.18\n\nrequire golang.org/x/mod v0.0.0\n\nreplace golang.org/x/mod => ./xmod\n' > "$peer/go.mod"
cat > "$peer/main.go" <<'GO'
package main

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"golang.org/x/mod/sumdb/dirhash"
)

func main() {
	var zips []string
	filepath.WalkDir(os.Args[1], func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".zip") {
			zips = append(zips, p)
		}
		return nil
	})
	work := make(chan string)
	var wg sync.WaitGroup
	for i := 0; i < runtime.NumCPU(); i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for z := range work {
				if _, err := dirhash.HashZip(z, dirhash.Hash1); err != nil {
					fmt.Fprintln(os.Stderr, z, err)
				}
			}
		}()
	}
	for _, z := range zips {
		work <- z
	}
	close(work)
	wg.Wait()
	fmt.Println(len(zips))
}
GO
(cd "$peer" && GOFLAGS=-mod=mod go build -o hashzip .)

# Both, alternately, RUNS times each; the mean of each.
python3 - "$runs" "$bin" "$cache" "$project" "$peer/hashzip" <<'PY' > "$dir/proxy-times"
import subprocess, sys, time
runs, bin, cache, project, peer = int(sys.argv[1]), *sys.argv[2:]
ml = [bin, "proxy", "verify", cache, "--project", project]
go = [peer, cache + "/cache/download"]
subprocess.run(ml, stdout=subprocess.DEVNULL, check=True)  # warm-up
subprocess.run(go, stdout=subprocess.DEVNULL, check=True)
t = {"ml": [], "go": []}
for _ in range(runs):
    for name, cmd in (("ml", ml), ("go", go)):
        start = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, check=True)
        t[name].append(time.perf_counter() - start)
print(sum(t["ml"]) / runs, sum(t["go"]) / runs)
PY
read -r ml go < "$dir/proxy-times"
rss=$( { /usr/bin/time -f '%M' "$bin" proxy verify "$cache" --project "$project" >/dev/null; } 2>&1 | tail -1)
bytes=$(python3 -c '
import sys, zipfile, pathlib
print(sum(i.file_size for z in pathlib.Path(sys.argv[1]).rglob("*.zip") for i in zipfile.ZipFile(z).infolist()))
' "$cache/cache/download")
zips=$(find "$cache/cache/download" -name '*.zip' | wc -l)
sha=$(./target/release/examples/sha_throughput 512)
inflate=$(./target/release/examples/inflate_throughput "$cache")
cores=$(nproc)
python3 - "$ml" "$go" "$bytes" "$sha" "$inflate" "$cores" "$rss" "$zips" <<'PY'
import sys
ml, go, nbytes, sha, inflate = map(float, sys.argv[1:6])
cores, rss, zips = int(sys.argv[6]), int(sys.argv[7]), int(sys.argv[8])
floor = (nbytes / inflate + nbytes / sha) / cores
print(f"store: {zips} zips, {nbytes/2**20:.0f} MiB uncompressed; cores: {cores}")
print(f"modlens proxy verify:        {ml*1000:8.0f} ms (peak memory {rss/1024:.0f} MiB)")
print(f"go dirhash.HashZip, {cores} goroutines: {go*1000:8.0f} ms")
print(f"speed-up over go's hashing: {go/ml:.1f}x (goal >= 4)")
print(f"inflate-and-hash-once floor: {floor*1000:.0f} ms; modlens / floor: {ml/floor:.1f}x (goal <= 1.5)")
PY
