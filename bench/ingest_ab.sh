#!/usr/bin/env bash
# bench/ingest_ab.sh [ROUNDS] BIN...: `authtrail ingest --format syslog` of the peers' 1M-line sshd
# log (../shared/peers/make-sshd-log.py, seed 1; AB_LOG=FILE to use another) by each binary, with
# and without detection, the binaries alternating in every round so each meets the same load.
# Prints wall and CPU (user+sys) seconds per run; compare binaries by their per-round ratios.
# Build the old binary into another target dir, e.g.:
#   git worktree add /tmp/old BASE && CARGO_TARGET_DIR=/tmp/old-target cargo build --release \
#     -p authtrail --manifest-path /tmp/old/Cargo.toml
#   bench/ingest_ab.sh 3 /tmp/old-target/release/authtrail target/release/authtrail
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=2
if [[ ${1:-} =~ ^[0-9]+$ ]]; then ROUNDS=$1; shift; fi
[ $# -ge 1 ] || { echo "usage: $0 [ROUNDS] BIN..." >&2; exit 2; }
WORK=$(mktemp -d "${TMPDIR:-/tmp}/authtrail-ab.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
LOG=${AB_LOG:-}
if [ -z "$LOG" ]; then
  PEERS=${AUTHTRAIL_BENCH_PEERS:-../shared/peers}
  [ -f "$PEERS/make-sshd-log.py" ] || { echo "ingest_ab: NOTICE: $PEERS is absent; skipped"; exit 0; }
  LOG=$WORK/sshd.log
  python3 "$PEERS/make-sshd-log.py" --seed 1 "$LOG" 1000000 >&2
fi
echo "ingest_ab: $(nproc) cores (shared, noisy: compare within a round); $(wc -l < "$LOG") lines"
TIMEFORMAT='%R %U %S'
for r in $(seq "$ROUNDS"); do
  for mode in no-detect detect; do
    for bin in "$@"; do
      rm -rf "$WORK/data"
      extra=(); [ "$mode" = no-detect ] && extra=(--no-detect)
      { time "$bin" --data "$WORK/data" ingest --format syslog --source web1 --timezone UTC \
          "${extra[@]}" "$LOG" > "$WORK/out" 2>&1; } 2> "$WORK/time"
      read -r wall user sys < "$WORK/time"
      printf 'round %s %-9s %-40s wall %6.2f s  cpu %6.2f s  %s\n' "$r" "$mode" "$bin" "$wall" \
        "$(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }')" \
        "$(grep -E '^alerts:' "$WORK/out" || true)"
    done
  done
done
