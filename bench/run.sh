#!/usr/bin/env bash
# Run the log's performance figures: bench/run.sh [extra cargo bench args]
#
# Builds the release binary and the benchmark, then prints one `FIGURE name = value unit (goal ...)`
# line per figure and a summary. See bench/README.md for what each figure means.
#
# Knobs (environment variables; defaults in brackets):
#   AUTHTRAIL_BENCH_EVENTS          events in the measured ingest run and the baseline [400000]
#   AUTHTRAIL_BENCH_CLIENTS         concurrent clients (HTTP and PostgreSQL)             [8]
#   AUTHTRAIL_BENCH_BATCH           events per request / per transaction                 [1000]
#   AUTHTRAIL_BENCH_WARMUP_BATCHES  batches posted before measuring                      [16]
#   AUTHTRAIL_BENCH_VERIFY_SIZE     entries in the log that verify and prove run on      [1000000]
#   AUTHTRAIL_BENCH_LATENCY_SECS    length of the checkpoint-latency phase, seconds      [20]
#   AUTHTRAIL_BENCH_LATENCY_CLIENTS clients in the latency phase                         [4]
#   AUTHTRAIL_BENCH_LATENCY_BATCH   events per request in the latency phase              [100]
#   AUTHTRAIL_BENCH_LATENCY_SLEEP_MS pause between a client's requests there             [50]
#   AUTHTRAIL_BENCH_POLL_MS         how often GET /checkpoint is polled                  [5]
#   AUTHTRAIL_BENCH_EVIDENCE_ITERS  in-process evidence checks timed                     [2000]
#   AUTHTRAIL_BENCH_PG              PostgreSQL connection [host=127.0.0.1 port=5432 user=postgres dbname=test]
#   AUTHTRAIL_BENCH_PG_EVENT        baseline event column type: bytea | jsonb           [bytea]
#   AUTHTRAIL_BENCH_PHASES          comma list of ingest,pg,latency,verify,evidence     [all]
#   AUTHTRAIL_BENCH_TMP             parent directory of the temporary data dir           [$TMPDIR or /tmp]
#   AUTHTRAIL_BENCH_KEEP=1          keep the data directory (path printed at the end)
#   AUTHTRAIL_BENCH_COLD=1          also verify with the page cache dropped (root; affects the machine)
#   AUTHTRAIL_BENCH_STRICT=1        exit 1 when a figure misses its goal
#   AUTHTRAIL_BENCH_SERVER_LOG      RUST_LOG of the server under test                    [warn]
#   AUTHTRAIL_BENCH_TOKEN           bearer token for /v1/* (default: the one serve prints, if any)
#   AUTHTRAIL_BENCH_BIN             the authtrail binary to measure (default: the one cargo built)
#   CI                              when set, an unreachable PostgreSQL is an error, not a notice
#   CARGO_TARGET_DIR                as usual
set -euo pipefail
cd "$(dirname "$0")/.."
exec cargo bench -p authtrail --bench log_figures "$@"
