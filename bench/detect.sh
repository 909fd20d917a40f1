#!/usr/bin/env bash
# Run the detection engine's early figures: bench/detect.sh [extra cargo bench args]
#
# Generates ../shared/peers/make-sshd-log.py's sshd log with injected attackers (AUTHTRAIL_BENCH_LINES,
# 1,000,000 by default), parses it, and prints `FIGURE detect_events_per_s` (the built-in rules
# over every event, one thread) with a same-run baseline (the rules' filters alone), and the
# recall and precision score.py gives the IPs the rules flag.
# The source and its knobs: crates/authtrail/benches/detect_figures.rs.
set -euo pipefail
cd "$(dirname "$0")/.."
exec cargo bench -p authtrail --bench detect_figures "$@"
