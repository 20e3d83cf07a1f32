#!/usr/bin/env bash
# The explorer's first frame when it opens from its last snapshot: the time from launching
# modlens in a private tmux session to the first screen that shows version rows, and to the
# screen where every mark is confirmed ("verify ✓"). The first session (which writes the
# snapshot) is not counted.
#
# Usage: bench/first-frame.sh CACHE [ROUNDS]   (e.g. /tmp/wide/modcache, default 5 rounds)
set -euo pipefail
cache=$(cd "${1:?usage: first-frame.sh CACHE [ROUNDS]}" && pwd)
rounds=${2:-5}
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin=$PWD/target/release/modlens
state=$(mktemp -d)/state.db
sock=modlens-frame-$$
trap 'tmux -L $sock kill-server 2>/dev/null || true; rm -rf "$(dirname "$state")"' EXIT
session() {
  local start now first="" rows
  start=$(date +%s%N)
  tmux -L "$sock" -f /dev/null new-session -d -x 120 -y 40 "MODLENS_STATE=$state $bin --cache $cache"
  while :; do
    rows=$(tmux -L "$sock" capture-pane -p 2>/dev/null | grep -c ' v[0-9]' || true)
    now=$(date +%s%N)
    if [ -z "$first" ] && [ "$rows" -gt 5 ]; then first=$(( (now - start) / 1000000 )); fi
    if tmux -L "$sock" capture-pane -p 2>/dev/null | grep -q 'verify ✓'; then break; fi
    sleep 0.005
  done
  echo "$first $(( (now - start) / 1000000 ))"
  tmux -L "$sock" send-keys q
  while tmux -L "$sock" has-session 2>/dev/null; do sleep 0.05; done
}
session > /dev/null   # writes the snapshot and the verdicts
for _ in $(seq "$rounds"); do
  read -r first all < <(session)
  echo "rows on screen after ${first} ms, every mark confirmed after ${all} ms"
done
