#!/usr/bin/env bash
# Times `modlens verify` of a whole cache against `go mod verify` over the same module versions
# in one run, and compares modlens with the machine's hashing limit:
#   limit = bytes hashed / (single-core SHA-256 throughput x cores);
# and with the work no verifier can skip: inflating every zip entry (half the bytes covered, on
# these caches where every version has zip and tree) and hashing each byte once:
#   floor = (bytes/2 / single-core inflate throughput + bytes/2 / SHA-256 throughput) / cores.
#
# `go mod verify` checks one project's build list, and a project can require only one version
# of each module, so the script writes one project per version index (all modules at v1.K.0)
# and runs go mod verify in each, one after the other. Each go mod verify hashes in parallel.
#
# Usage: bench/verify.sh CACHE_DIR   (the DIR given to bench/make-scale-cache.sh)
set -euo pipefail
dir=$(cd "${1:?usage: verify.sh DIR (from make-scale-cache.sh)}" && pwd)
cache=$dir/modcache
cd "$(dirname "$0")/.."
cargo build --release --quiet
cargo build --release --quiet --example sha_throughput --example inflate_throughput
bin=$PWD/target/release/modlens
command -v hyperfine >/dev/null || { echo "needs hyperfine (apt-get install hyperfine)"; exit 2; }
export GOMODCACHE=$cache GOPROXY=off GOSUMDB=off GOFLAGS=-mod=mod GOTOOLCHAIN=local GOENV=off
export GOPATH=$dir/gopath GOCACHE=$dir/gocache

# One project per version index; go.sum written by go itself from the cache.
projects=$dir/projects
rm -rf "$projects"
"$bin" list --json --cache "$cache" | python3 -c '
import json, sys, collections, os
by_index = collections.defaultdict(list)
versions = collections.defaultdict(list)
for e in json.load(sys.stdin)["entries"]:
    versions[e["path"]].append(e["version"])
for path, vs in versions.items():
    for k, v in enumerate(sorted(vs)):
        by_index[k].append((path, v))
root = sys.argv[1]
for k, mods in by_index.items():
    d = os.path.join(root, f"p{k}")
    os.makedirs(d)
    with open(os.path.join(d, "go.mod"), "w") as f:
        f.write(f"module bench.example/p{k}\n\ngo 1.18\n\nrequire (\n")
        f.writelines(f"\t{p} {v}\n" for p, v in mods)
        f.write(")\n")
    with open(os.path.join(d, "paths"), "w") as f:
        f.writelines(f"{p}\n" for p, _ in mods)
' "$projects"
for p in "$projects"/p*; do (cd "$p" && xargs go mod download < paths); done
nproj=$(ls -d "$projects"/p* | wc -l)

cat > "$dir/go-verify-all.sh" <<SH
#!/usr/bin/env bash
set -e
for p in $projects/p*; do (cd "\$p" && go mod verify >/dev/null); done
SH
chmod +x "$dir/go-verify-all.sh"

json=$(mktemp)
hyperfine -N --warmup 1 --runs 5 --export-json "$json" \
  "$bin verify --cache $cache" "$dir/go-verify-all.sh" >/dev/null
hashed=$("$bin" verify --json --cache "$cache" | python3 -c 'import json,sys; print(json.load(sys.stdin)["summary"]["bytes_hashed"])')
sha=$(./target/release/examples/sha_throughput 512)
inflate=$(./target/release/examples/inflate_throughput "$cache")
cores=$(nproc)
python3 - "$json" "$hashed" "$sha" "$cores" "$nproj" "$inflate" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
hashed, sha, cores, nproj = int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
inflate = float(sys.argv[6])
ml, go = r[0]["mean"], r[1]["mean"]
limit = hashed / (sha * cores)
print(f"modlens verify (whole cache): {ml*1000:8.0f} ms ± {r[0]['stddev']*1000:.0f}")
print(f"go mod verify ({nproj} projects): {go*1000:8.0f} ms ± {r[1]['stddev']*1000:.0f}")
print(f"speed-up over go mod verify: {go/ml:.1f}x (target >= 5)")
print(f"bytes hashed: {hashed/2**20:.0f} MiB; single-core SHA-256: {sha/2**20:.0f} MiB/s; cores: {cores}")
print(f"hashing limit: {limit*1000:.0f} ms; modlens / limit: {ml/limit:.1f}x (target <= 1.5)")
floor = (hashed / 2 / inflate + hashed / 2 / sha) / cores
print(f"single-core inflate: {inflate/2**20:.0f} MiB/s; inflate-and-hash-once floor: {floor*1000:.0f} ms; modlens / floor: {ml/floor:.1f}x")
PY
rm -f "$json"
