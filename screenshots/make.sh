#!/usr/bin/env bash
# Makes the README's pictures from a real run of the TUI on the demo cache: runs
# `modlens --demo` in a private tmux session, drives it with keys, captures the screen with its
# colours (`capture-pane -e`) and turns each capture into an SVG with ansi2svg.py.
#
# Usage: screenshots/make.sh   (needs tmux and python3; writes screenshots/*.svg)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin=$PWD/target/release/modlens
cols=124 rows=34
sock=modlens-shots-$$
trap 'tmux -L $sock kill-server 2>/dev/null || true' EXIT
tmux -L "$sock" -f /dev/null new-session -d -x $cols -y $rows "TERM=xterm-256color $bin --demo"

wait_for() {
  for _ in $(seq 300); do
    tmux -L "$sock" capture-pane -p | grep -q "$1" && return 0
    sleep 0.05
  done
  echo "timed out waiting for $1" >&2
  tmux -L "$sock" capture-pane -p >&2
  exit 1
}
shot() {
  sleep 0.3
  tmux -L "$sock" capture-pane -e -p | python3 screenshots/ansi2svg.py $cols $rows > "screenshots/$1.svg"
  echo "screenshots/$1.svg"
}

wait_for 'verify ✓'
# The main list with problems marked; the cursor on a damaged version (details beside it).
for _ in $(seq 12); do tmux -L "$sock" send-keys j; done
shot list
# Only problems, the tampered tree selected: the detail pane with the hash mismatch.
tmux -L "$sock" send-keys p g j j j j j
wait_for 'dir_modified'
shot detail
# Inside the tampered version, Enter on its edited file: the diff against the zip.
tmux -L "$sock" send-keys l
wait_for 'largest first'
for _ in $(seq 8); do
  tmux -L "$sock" capture-pane -p | grep '▶' | grep -q 'main.go' && break
  tmux -L "$sock" send-keys j
  sleep 0.1
done
tmux -L "$sock" send-keys Enter
wait_for 'const Answer = 43'
shot diff
tmux -L "$sock" send-keys Escape
wait_for "largest first"
tmux -L "$sock" send-keys q
sleep 0.3
# Mark two versions of hello and ask to delete them.
tmux -L "$sock" send-keys p / h e l l o Enter g j Space Space D
wait_for 'Delete 2 module versions'
shot confirm
tmux -L "$sock" send-keys n q
