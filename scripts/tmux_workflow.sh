#!/usr/bin/env bash
# Drive the real `kerminal` in tmux through the whole workflow and check the screen text:
# sample data -> Reber data -> preset seed002-reber (tiny data, 1 epoch) -> train ->
# predict -> the run in Runs -> quit without saving. Exit 0 when every check passes.
#
#   scripts/tmux_workflow.sh            # uses .venv/bin/kerminal (or `kerminal` on PATH)
#   KERMINAL=/path/to/kerminal COLS=80 ROWS=24 scripts/tmux_workflow.sh
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
KERMINAL="${KERMINAL:-$ROOT/.venv/bin/kerminal}"
[ -x "$KERMINAL" ] || KERMINAL="$(command -v kerminal)"
COLS="${COLS:-100}"
ROWS="${ROWS:-30}"
TIMEOUT="${TIMEOUT:-120}"
command -v tmux >/dev/null || { echo "tmux is needed (apt-get install -y tmux)"; exit 2; }

WORK="$(mktemp -d)"
SESSION="kerminal-workflow-$$"
cleanup() { tmux kill-session -t "$SESSION" 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

screen() { tmux capture-pane -p -t "$SESSION"; }
keys() { tmux send-keys -t "$SESSION" "$@"; sleep "${PAUSE:-0.4}"; }
wait_for() {  # wait_for TEXT [SECONDS]
    local text="$1" limit="${2:-$TIMEOUT}" start=$SECONDS
    until screen | grep -qF -- "$text"; do
        if (( SECONDS - start > limit )); then
            echo "FAIL: '$text' did not appear within ${limit}s. The screen:"; screen; exit 1
        fi
        sleep 0.3
    done
    echo "ok: $text"
}

tmux new-session -d -s "$SESSION" -x "$COLS" -y "$ROWS" \
    "cd '$WORK' && TF_CPP_MIN_LOG_LEVEL=3 '$KERMINAL' --runs-dir runs; echo KERMINAL-EXITED \$?; sleep 30"

# The first screen: the sample data, then TensorFlow in the background.
wait_for "Source: sample" 30
wait_for "1 Data"
wait_for "TF ready"

# Data: Reber strings, 400 of them (source is the first field; size is the next one shown).
keys 1
keys o
wait_for "Data source"
keys Enter; keys r; keys Enter          # the source Select: type-to-search "r" -> reber
keys Tab; keys C-u; keys 4 0 0; keys Enter
wait_for "Source: reber"
wait_for "reber:"

# Layers: the preset seed002-reber (6th in the list).
keys 2
keys p
wait_for "Load a preset"
keys Home; keys Down Down Down Down Down; keys Enter
wait_for "Total params: 53"
wait_for "seed002-reber"

# Keep the preset's embedded-Reber data tiny, and train one epoch.
keys 1
keys o
wait_for "Data source"
keys Tab; keys C-u; keys 4 0 0; keys Enter
wait_for "Source: embedded-reber"
wait_for "vocabulary: 7 distinct chars"
keys 3
keys f
wait_for "Training settings"
keys C-u; keys 1; keys Enter
wait_for "epochs 1 ·"
keys t
wait_for "finished after 1 epochs"
wait_for "Probes after epoch 1"

# Predict with the model just trained.
keys 4
wait_for "Model: just trained"
keys -l "BTBTSSXXTVVETE"; keys Enter
wait_for "BTBTSSXXTVVETE"
screen | grep -qE "valid|corrupted" || { echo "FAIL: no label shown"; screen; exit 1; }
echo "ok: a label and its probabilities"

# Runs: the run is listed.
keys Escape
keys 5
wait_for "1 run(s)"
wait_for "seed002-reber"

# Help, then quit without saving (the experiment changed, so the app asks).
keys "?"
wait_for "kerminal keys"
keys Escape
keys C-q
wait_for "unsaved changes"
keys Tab; keys Enter
wait_for "KERMINAL-EXITED 0" 20
[ -n "$(ls "$WORK/runs")" ] || { echo "FAIL: no run folder was written"; exit 1; }
echo "PASS: the tmux workflow ran end to end"
