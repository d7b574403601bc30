#!/usr/bin/env bash
# Regenerates every PNG in screenshots/: each console screen in each built-in
# theme, taken from the real binary running against a real lab.
#   tmux (capture-pane -e, colours kept) → aha (ANSI → HTML) → headless
#   Chromium (HTML → PNG).
# Needs: the packages of .ci/setup, plus `apt-get install aha chromium
# fonts-dejavu-core`. Run from anywhere: bash screenshots/regenerate.sh
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="$PWD/screenshots"
BIN="$PWD/target/release/pgtui"
INDEX="${PGTUI_SHOT_LAB:-10}"
WORK="$(mktemp -d /tmp/pgtui-shots.XXXXXX)"
chmod 755 "$WORK"
SESSION="pgtui-shots-$$"

for cmd in aha chromium tmux; do
  command -v "$cmd" >/dev/null || { echo "missing $cmd: apt-get install -y aha chromium fonts-dejavu-core tmux" >&2; exit 1; }
done
cargo build --release --locked

# The lab, torn down on any exit.
mkfifo "$WORK/guard"
"$BIN" lab up --index "$INDEX" --stdin-guard --dir "$WORK/lab" < "$WORK/guard" > "$WORK/lab.json" 2> "$WORK/lab.log" &
exec 3> "$WORK/guard"
cleanup() { tmux kill-session -t "$SESSION" 2>/dev/null || true; exec 3>&-; wait || true; rm -rf "$WORK"; }
trap cleanup EXIT
for _ in $(seq 1 240); do [ -s "$WORK/lab.json" ] && break; sleep 0.5; done
[ -s "$WORK/lab.json" ] || { cat "$WORK/lab.log" >&2; exit 1; }

python3 - "$WORK/lab.json" "$WORK/settings.toml" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
h = d["haproxy"]
urls = ", ".join('"%s"' % x["stats_url"] for x in h)
open(sys.argv[2], "w").write(
    f'[sql]\nuser = "{d["superuser"]}"\npassword = "{d["superuser_password"]}"\n\n'
    f'[haproxy.pg-test]\nstats_urls = [{urls}]\nuser = "{h[0]["stats_user"]}"\npassword = "{h[0]["stats_password"]}"\n\n'
    f'[agent]\ntoken_file = "{d["agent_token_file"]}"\n')
PY
CFG="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["patronictl_config"])' "$WORK/lab.json")"
CTL="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["patronictl"])' "$WORK/lab.json")"

shoot() { # theme key name
  local theme="$1" key="$2" name="$3" bg="#000000" fg="#d0d0d0"
  [ "$theme" = light ] && bg="#ffffff" && fg="#000000"
  tmux send-keys -t "$SESSION" "$key"
  sleep 1.5
  tmux capture-pane -e -p -t "$SESSION" > "$WORK/$name.ansi"
  aha --no-header < "$WORK/$name.ansi" > "$WORK/$name.body"
  {
    echo "<html><head><meta charset='utf-8'><style>"
    echo "body{margin:0;background:$bg;color:$fg} pre{margin:8px;font:13px/1.2 'DejaVu Sans Mono',monospace}"
    echo "</style></head><body><pre>"
    cat "$WORK/$name.body"
    echo "</pre></body></html>"
  } > "$WORK/$name.html"
  chromium --headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update \
    --disable-sync --no-first-run --hide-scrollbars --user-data-dir="$WORK/chromium" \
    --window-size=1290,780 --screenshot="$OUT/$name.png" "file://$WORK/$name.html" 2>/dev/null
  echo "wrote screenshots/$name.png"
}

console="$BIN --settings $WORK/settings.toml -c $CFG --cluster pg-test"
leader() { "$CTL" -c "$CFG" list pg-test -f json | python3 -c 'import json,sys; print([m["Member"] for m in json.load(sys.stdin) if m["Role"]=="Leader"][0])'; }
saturate() {
  local host pw
  host="$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print([m["host"] for m in d["clusters"][0]["members"] if m["name"]==sys.argv[2]][0])' "$WORK/lab.json" "$(leader)")"
  pw="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["superuser_password"])' "$WORK/lab.json")"
  PGPASSWORD="$pw" psql -h "$host" -p 6432 -U postgres -d pgtui_sat -XAtqc "select pg_sleep(6)" >/dev/null 2>&1 &
  sleep 0.5
  PGPASSWORD="$pw" psql -h "$host" -p 6432 -U postgres -d pgtui_sat -XAtqc "select 1" >/dev/null 2>&1 &
  sleep 2.5
}
n=0
for theme in dark light high-contrast colorblind; do
  tmux new-session -d -s "$SESSION" -x 160 -y 48 "$console --theme $theme"
  sleep 3
  # Something for the events and timeline screens to show: a switchover and
  # a config edit that needs a restart, while this console watches.
  n=$((n + 1))
  from="$(leader)"; to=pg-test-2; [ "$from" = pg-test-2 ] && to=pg-test-3
  "$CTL" -c "$CFG" switchover pg-test --leader "$from" --candidate "$to" --force >/dev/null
  "$CTL" -c "$CFG" edit-config pg-test -p "shared_buffers=$((64 + 16 * n))MB" --force >/dev/null
  sleep 12
  for s in "1 cluster" "2 timeline" "3 replication" "4 services" "5 config" "6 events" "7 backups" "8 pools" "0 fleet"; do
    set -- $s
    # The pools screen with something to show: one client holds the only
    # server connection of the leader's pgtui_sat pool, a second waits.
    [ "$2" = pools ] && saturate
    shoot "$theme" "$1" "$2-$theme"
  done
  # The logs at the switchover: Enter on its leader-change event.
  tmux send-keys -t "$SESSION" 6 /
  tmux send-keys -t "$SESSION" -l "$to (timeline"
  tmux send-keys -t "$SESSION" Enter Enter
  sleep 2
  shoot "$theme" "" "logs-$theme"
  tmux send-keys -t "$SESSION" Escape; sleep 0.5
  tmux send-keys -t "$SESSION" 1 '?'
  shoot "$theme" "" "help-$theme"
  # The switchover dialog on the second member row (focus on Cancel).
  # (Escape alone: followed at once by a key, it would read as Alt-key.)
  tmux send-keys -t "$SESSION" Escape; sleep 0.5
  tmux send-keys -t "$SESSION" g j
  shoot "$theme" "S" "switchover-dialog-$theme"
  tmux send-keys -t "$SESSION" Escape; sleep 0.5
  if [ "$theme" = dark ]; then
    # A failover being confirmed: the cluster name half typed.
    tmux send-keys -t "$SESSION" F pg-te
    shoot "$theme" "" "failover-dialog-$theme"
    tmux send-keys -t "$SESSION" Escape; sleep 0.5
    # A restore to the latest backup being confirmed, on the backups screen.
    tmux send-keys -t "$SESSION" 7 ':' 'restore immediate' Enter pg-te
    shoot "$theme" "" "restore-dialog-$theme"
    tmux send-keys -t "$SESSION" Escape; sleep 0.5
  fi
  tmux kill-session -t "$SESSION"
done
