#!/usr/bin/env bash
# Key-to-frame latency of the TUI while the full verification is hashing on every core.
#
# Runs modlens in a private tmux session on the scale cache with MODLENS_FRAME_LOG set (the
# TUI then logs, per key, the microseconds from the key's arrival to the end of the frame that
# shows it), sends navigation keys every 10 ms for as long as the verification runs, and
# reports p50 and p99. Target: p99 under 50 ms.
#
# Usage: bench/latency.sh CACHE [ROUNDS]   (e.g. /tmp/scale/modcache from make-scale-cache.sh)
# Each round starts modlens afresh; the latencies of all rounds are pooled (default 5 rounds).
set -euo pipefail
cache=$(cd "${1:?usage: latency.sh CACHE}" && pwd)
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin=$PWD/target/release/modlens
log=$(mktemp)
sock=modlens-latency-$$
trap 'tmux -L $sock kill-server 2>/dev/null || true; rm -f "$log" "$log.part"' EXIT
"$bin" verify --cache "$cache" >/dev/null || true   # warm the page cache
rounds=${2:-5}
keys=(j j j G k k PageDown PageUp j g)
sent=0
for _round in $(seq "$rounds"); do
  tmux -L "$sock" -f /dev/null new-session -d -x 120 -y 40 "MODLENS_FRAME_LOG=$log.part $bin --cache $cache"
  # Wait for the verification to start.
  for _ in $(seq 500); do
    tmux -L "$sock" capture-pane -p | grep -q 'verify [█░]' && break
    sleep 0.01
  done
  while ! tmux -L "$sock" capture-pane -p | grep -q 'verify ✓'; do
    tmux -L "$sock" send-keys "${keys[$((sent % ${#keys[@]}))]}"
    sent=$((sent + 1))
    sleep 0.01
  done
  tmux -L "$sock" send-keys q
  sleep 0.3
  cat "$log.part" >> "$log"
  rm -f "$log.part"
done
python3 - "$log" "$sent" <<'PY'
import sys
lat = sorted(int(l) for l in open(sys.argv[1]) if l.strip())
sent = int(sys.argv[2])
if not lat:
    sys.exit("no key reached a frame: is the frame log written?")
q = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))] / 1000
print(f"keys sent while verifying (all rounds): {sent}; keys logged: {len(lat)}")
print(f"key-to-frame latency: p50 {q(0.50):.1f} ms, p99 {q(0.99):.1f} ms, max {lat[-1]/1000:.1f} ms (target p99 < 50 ms)")
PY
