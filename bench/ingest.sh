#!/usr/bin/env bash
# Run the syslog ingest figures: bench/ingest.sh [extra cargo bench args]
#
# Builds the release binary and the benchmark, then prints one `FIGURE name = value unit (goal ...)`
# line per figure and a summary: sshd parsing throughput in process (one thread) against a
# SHA-256-per-line baseline, and `authtrail ingest --format syslog` end to end against
# `authtrail ingest --format json` of as many small OCSF events. The source is
# crates/authtrail/benches/ingest_figures.rs.
#
# Knobs (environment variables; defaults in brackets):
#   AUTHTRAIL_BENCH_LINES           lines in the generated sshd file (and JSON events)   [1000000]
#   AUTHTRAIL_BENCH_SSHD_SAMPLE     the loghub OpenSSH sample it is made from
#                                   [../shared/datasets/openssh/loghub/OpenSSH_2k.log]
#   AUTHTRAIL_BENCH_PARSE_RUNS      runs of each in-process measurement (median kept)     [3]
#   AUTHTRAIL_BENCH_E2E_RUNS        runs of the end-to-end syslog/json pair               [2]
#   AUTHTRAIL_BENCH_INGEST_PHASES   comma list of parse,e2e                               [all]
#   AUTHTRAIL_BENCH_TMP             parent directory of the temporary directory           [$TMPDIR or /tmp]
#   AUTHTRAIL_BENCH_KEEP=1          keep the generated files and data directories
#   AUTHTRAIL_BENCH_STRICT=1        exit 1 when a figure misses its goal
#   CARGO_TARGET_DIR                as usual
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -p authtrail
exec cargo bench -p authtrail --bench ingest_figures "$@"
