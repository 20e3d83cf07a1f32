# Sourced by the benchmarks that fill a module cache with the real go from a generated
# file:// proxy (doctor.sh, vendor.sh), with $dir set to their absolute working directory and
# the repository as the current directory: builds modlens (as $bin) and the proxy generator,
# checks for hyperfine, points go at $dir only, and defines `wipe` (go's trees are read-only).
cargo build --release --quiet
cargo build --release --quiet --example gen_proxy
bin=$PWD/target/release/modlens
command -v hyperfine >/dev/null || { echo "needs hyperfine (apt-get install hyperfine)"; exit 2; }
export GOPROXY=file://$dir/proxy GOSUMDB=off GOFLAGS=-mod=mod GOTOOLCHAIN=local GOENV=off
export GOPATH=$dir/gopath GOCACHE=$dir/gocache GOMODCACHE=$dir/modcache
wipe() { [ -e "$1" ] && chmod -R u+w "$1" && rm -rf "$1"; true; }
