#!/usr/bin/env bash
# Delete and refetch benchmarks on the scale cache, each against its peer in the same run:
#   1. `modlens clean` of 1,000 module versions vs `chmod -R u+w` + `rm -rf` of the same files;
#   2. `modlens refetch` of 100 versions whose zips and trees are broken vs `go mod download` of
#      the same 100 versions after removing them, both from the local file:// proxy; and, for
#      comparison, `modlens refetch` of the same versions with only their zips broken, which it
#      repairs offline by rebuilding the zips from the trees.
# Every run starts from the same state: the versions a run touches are restored from the
# pristine cache before it (hyperfine --prepare, not timed).
#
# Usage: bench/ops.sh DIR [RUNS]   (the DIR given to bench/make-scale-cache.sh; default 3 runs)
set -euo pipefail
dir=$(cd "${1:?usage: ops.sh DIR [RUNS]}" && pwd)
runs=${2:-3}
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin=$PWD/target/release/modlens
command -v hyperfine >/dev/null || { echo "needs hyperfine (apt-get install hyperfine)"; exit 2; }
src=$dir/modcache work=$dir/work-cache
export GOPROXY=file://$dir/proxy GOSUMDB=off GOFLAGS=-mod=mod GOTOOLCHAIN=local GOENV=off
export GOPATH=$dir/gopath GOCACHE=$dir/gocache

# The versions: the first 1,000 (and 100) in list order, with their paths on disk.
"$bin" list --json --cache "$src" | python3 -c '
import json, sys
d = json.load(sys.stdin)
es = d["entries"]
def files(e):
    at_v = e["zip"].rsplit("/", 1)[0]
    stem = e["zip"].rsplit("/", 1)[1][:-len(".zip")]
    return [e["dir"]] + [f"{at_v}/{stem}.{x}" for x in ("zip", "ziphash", "info", "mod")]
root = d["cache"]
rel = lambda p: p[len(root) + 1:]
with open(sys.argv[5], "w") as f:
    f.writelines(rel(p) + "\n" for e in es[:1000] for p in files(e))
with open(sys.argv[6], "w") as f:
    f.writelines(rel(p) + "\n" for e in es[:100] for p in files(e))
with open(sys.argv[1], "w") as f:
    f.writelines(e["path"] + "@" + e["version"] + "\n" for e in es[:1000])
with open(sys.argv[2], "w") as f:
    f.writelines(p.replace(root, "WORK") + "\n" for e in es[:1000] for p in files(e))
with open(sys.argv[3], "w") as f:
    f.writelines(e["path"] + "@" + e["version"] + "\n" for e in es[:100])
with open(sys.argv[4], "w") as f:
    f.writelines(p.replace(root, "WORK") + "\n" for e in es[:100] for p in files(e))
'  "$dir/del-keys" "$dir/del-files" "$dir/fetch-keys" "$dir/fetch-files" "$dir/del-rel" "$dir/fetch-rel"
sed "s|^WORK|$work|" "$dir/del-files" > "$dir/del-paths"
sed "s|^WORK|$work|" "$dir/fetch-files" > "$dir/fetch-paths"

# One full copy; then each run restores only what it touches.
[ -e "$work" ] && chmod -R u+w "$work" && rm -rf "$work"
cp -a "$src" "$work"
cat > "$dir/restore.sh" <<SH
#!/usr/bin/env bash
# Puts back the versions listed in \$1 (paths relative to the cache root) from the pristine cache.
set -e
cd "$work"
while read -r p; do [ -e "\$p" ] && chmod -R u+w "\$p" && rm -rf "\$p"; done < "\$1"
(cd "$src" && tar cf - -T "\$1") | tar xf -
sync
SH
cat > "$dir/restore-del.sh" <<SH
#!/usr/bin/env bash
exec "$dir/restore.sh" "$dir/del-rel"
SH
cat > "$dir/rm-peer.sh" <<SH
#!/usr/bin/env bash
grep '@v[^/]*$' "$dir/del-paths" | xargs chmod -R u+w
xargs rm -rf < "$dir/del-paths"
SH
# Broken zips beside intact trees are rebuilt from the trees (re-zip), offline; to measure a
# re-fetch, each tree gets a planted file too, so that nothing local can be trusted.
cat > "$dir/break-zips-only.sh" <<SH
#!/usr/bin/env bash
"$dir/restore.sh" "$dir/fetch-rel"
grep '\.zip$' "$dir/fetch-paths" | while read -r z; do echo garbage > "\$z"; done
SH
cat > "$dir/break-zips.sh" <<SH
#!/usr/bin/env bash
"$dir/break-zips-only.sh"
grep -v '/@v/' "$dir/fetch-paths" | while read -r d; do
  chmod u+w "\$d" && echo 'package planted' > "\$d/planted.go"
done
SH
cat > "$dir/remove-fetch.sh" <<SH
#!/usr/bin/env bash
"$dir/restore.sh" "$dir/fetch-rel"
grep '@v[^/]*$' "$dir/fetch-paths" | xargs chmod -R u+w
xargs rm -rf < "$dir/fetch-paths"
mkdir -p "$dir/empty"
SH
chmod +x "$dir"/*.sh

json1=$(mktemp) json2=$(mktemp)
hyperfine -N --runs "$runs" --prepare "$dir/restore-del.sh" --export-json "$json1" \
  "$bin clean --yes --cache $work $(tr '\n' ' ' < "$dir/del-keys")" \
  "$dir/rm-peer.sh" >/dev/null
hyperfine -N --runs "$runs" --export-json "$json2" \
  --prepare "$dir/break-zips.sh" "$bin refetch --yes --cache $work $(tr '\n' ' ' < "$dir/fetch-keys")" \
  --prepare "$dir/remove-fetch.sh" "bash -c 'cd $dir/empty && GOMODCACHE=$work go mod download $(tr '\n' ' ' < "$dir/fetch-keys")'" \
  --prepare "$dir/break-zips-only.sh" "$bin refetch --yes --cache $work $(tr '\n' ' ' < "$dir/fetch-keys")" \
  >/dev/null
python3 - "$json1" "$json2" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))["results"]
f = json.load(open(sys.argv[2]))["results"]
ms = lambda r: f"{r['mean']*1000:7.0f} ms ± {r['stddev']*1000:.0f}"
print(f"delete 1,000 versions:  modlens clean {ms(d[0])}   rm -rf {ms(d[1])}   ratio {d[0]['mean']/d[1]['mean']:.2f}")
print(f"refetch 100 versions:   modlens refetch {ms(f[0])}   go mod download {ms(f[1])}   ratio {f[0]['mean']/f[1]['mean']:.2f}")
print(f"re-zip 100 versions:    modlens refetch {ms(f[2])}   (broken zips, intact trees: no download)")
PY
rm -f "$json1" "$json2"
chmod -R u+w "$work" && rm -rf "$work"
