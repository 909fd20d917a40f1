#!/usr/bin/env bash
# Alert latency: bench/alert_latency.sh [extra cargo bench args]
#
# Starts `authtrail serve` with a webhook to a receiver in the bench, posts OCSF events at
# AUTHTRAIL_BENCH_RATE events/s (10,000) for AUTHTRAIL_BENCH_SECONDS (60) with a brute-force
# burst every AUTHTRAIL_BENCH_ATTACK_MS (200), and prints `FIGURE alert_latency_p99_ms`: from a
# burst's ingest acknowledgement to the webhook call of its alert, with the acknowledgement
# latency itself as the same-run baseline.
# The source and its knobs: crates/authtrail/benches/alert_latency.rs.
set -euo pipefail
cd "$(dirname "$0")/.."
exec cargo bench -p authtrail --bench alert_latency "$@"
