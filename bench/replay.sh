#!/usr/bin/env bash
# bench/replay.sh [LINES]: the 1,000,000-line sshd replay figure of the real-time detection issue.
#
# Writes ../shared/peers/make-sshd-log.py's sshd log with injected attackers (LINES, default
# 1,000,000, seed 1), then in this one script:
#   - `authtrail ingest --format syslog` with detection on (release build) into a fresh data dir,
#     timed (wall and CPU); the flagged IPs are the source addresses of its alerts grouped by ip
#     (`GET /v1/blocklist`'s rule, read here from `authtrail alerts --format json`);
#   - the same ingest with `--no-detect`, the baseline of what detection adds;
#   - the peers through ../shared/peers: fail2ban 1.0.2 always, CrowdSec 1.4.6 too unless
#     REPLAY_PEERS=fail2ban (CrowdSec takes ~6 min more); they are installed if missing (root);
# and scores each with ../shared/peers/score.py (recall, precision on the injected attackers),
# printing the wall-time ratios fail2ban/authtrail (goal >= 10) and crowdsec/authtrail.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PEERS=${AUTHTRAIL_BENCH_PEERS:-$ROOT/../shared/peers}
[ -f "$PEERS/make-sshd-log.py" ] || { echo "replay: NOTICE: $PEERS is absent; skipped"; exit 0; }
LINES=${1:-1000000}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/authtrail-replay.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
cargo build --release -q -p authtrail
BIN=$ROOT/target/release/authtrail
LOG=$WORK/sshd.log
python3 "$PEERS/make-sshd-log.py" --seed 1 "$LOG" "$LINES" >&2
echo "replay: $(nproc) cores (shared, noisy: compare the ratios); $LINES lines"

# authtrail: wall and CPU seconds of one ingest, "WALL CPU".
run_ingest() {
  local data=$1; shift
  local t; t=$(mktemp)
  TIMEFORMAT='%R %U %S'
  { time "$BIN" --data "$data" ingest --format syslog --source web1 --timezone UTC "$@" "$LOG" \
      > "$data.out" 2>&1; } 2> "$t"
  read -r wall user sys < "$t"; rm -f "$t"
  awk -v w="$wall" -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f %.2f\n", w, u + s }'
}
read -r a_wall a_cpu <<< "$(run_ingest "$WORK/detect")"
read -r b_wall b_cpu <<< "$(run_ingest "$WORK/plain" --no-detect)"
grep -E '^(total|alerts)' "$WORK/detect.out" | sed 's/^/  /'
"$BIN" --data "$WORK/detect" alerts --format json \
  | python3 -c '
import json, sys
ips = set()
for line in sys.stdin:
    g = json.loads(line)["alert"]["evidences"][0]["data"]["group"]
    if "ip" in g: ips.add(g["ip"])
print("\n".join(sorted(ips)))' > "$WORK/authtrail.flagged"
# score.py prints a summary line and then every flagged IP: keep the first line (read from a
# file: `| head -1` would make score.py fail with a broken pipe, and pipefail stop the script).
score() { python3 "$PEERS/score.py" "$@" > "$WORK/score.txt"; head -1 "$WORK/score.txt"; }
score authtrail "$a_wall" "$a_cpu" "$LINES" "$WORK/authtrail.flagged" "$LOG.truth.json"
echo "authtrail ingest without detection: ${b_wall} s (cpu ${b_cpu} s); detection adds $(awk -v a="$a_wall" -v b="$b_wall" 'BEGIN{printf "%.2f", a/b}')x wall"

OUT=$WORK/peers; mkdir -p "$OUT"
"$PEERS/install-peers.sh" >&2
peers=${REPLAY_PEERS:-crowdsec fail2ban}
for peer in $peers; do
  read -r p_wall p_cpu <<< "$("$PEERS/$peer-replay.sh" "$LOG" "$OUT")"
  score "$peer" "$p_wall" "$p_cpu" "$LINES" "$OUT/$peer.flagged" "$LOG.truth.json"
  ratio=$(awk -v p="$p_wall" -v a="$a_wall" 'BEGIN{printf "%.2f", p/a}')
  goal=""; [ "$peer" = fail2ban ] && goal=" (goal >= 10: $(awk -v r="$ratio" 'BEGIN{print (r >= 10) ? "MET" : "MISSED"}'))"
  echo "FIGURE replay_${peer}_over_authtrail = ${ratio}x wall${goal}"
done
