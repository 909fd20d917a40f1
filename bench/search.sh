#!/usr/bin/env bash
# Run the search index figures (issue 5): bench/search.sh [extra cargo bench args]
#
# Generates realistic raw records from five sources (Okta System Log JSON, sshd syslog, Envoy JSON
# access logs with bearer tokens, OTLP/JSON identity events, a few Windows Security events as
# NXLog JSON), ingests them in process through the real parsers, and prints one
# `FIGURE name = value unit (goal ...)` line per figure and a summary:
#   ingest with the index on vs off (ratio >= 0.8), `user=X since=24h` p99 (<= 20 ms),
#   `ip=10.0.0.0/8 status=failure | count by user` (<= 2 s), a session trace's queries p99
#   (<= 50 ms), disk against the NDJSON of the same
#   events as OCSF (<= 0.6x); each query also against a Scan baseline from the same run.
# The source: crates/authtrail/benches/search_figures.rs and benches/search/generate.rs.
#
# Knobs (environment variables; defaults in brackets):
#   AUTHTRAIL_BENCH_EVENTS          events in the data dir the queries run on         [10000000]
#   AUTHTRAIL_BENCH_INGEST_EVENTS   events ingested per pass in the ingest phase        [1000000]
#   AUTHTRAIL_BENCH_RUNS            ingest runs (index on + off each, order alternating) [3]
#   AUTHTRAIL_BENCH_PHASES          comma list of ingest,build,query,trace,disk         [all]
#   AUTHTRAIL_BENCH_DIR             the data dir; kept, and reused by a later run of the same
#                                   events/seed/users/window (query, trace and disk need only
#                                   it: AUTHTRAIL_BENCH_PHASES=query,trace,disk)         [a temporary dir]
#   AUTHTRAIL_BENCH_SEED            generator seed                                      [1]
#   AUTHTRAIL_BENCH_USERS           accounts                                            [50000]
#   AUTHTRAIL_BENCH_WINDOW          events per generated window (one batch per source)  [16384]
#   AUTHTRAIL_BENCH_QUERY_ITERS     runs of `user=X since=24h`                          [200]
#   AUTHTRAIL_BENCH_TALLY_ITERS     runs of the count-by-user tally                     [5]
#   AUTHTRAIL_BENCH_TRACE_SESSIONS  sessions traced                                     [200]
#   AUTHTRAIL_BENCH_SCAN_EVENTS     newest entries the Scan baseline reads (scaled up)  [100000]
#   AUTHTRAIL_BENCH_WRITE_INPUT=1   also write the raw input per source and the OCSF NDJSON
#                                   to DIR/input/ (large: about 2 KB per event)
#   AUTHTRAIL_BENCH_TMP             parent of the temporary directory                   [$TMPDIR or /tmp]
#   AUTHTRAIL_BENCH_KEEP=1          keep the temporary directory
#   AUTHTRAIL_BENCH_STRICT=1        exit 1 when a figure misses its goal
#   CARGO_TARGET_DIR                as usual
#
# Quick run: AUTHTRAIL_BENCH_EVENTS=1000000 AUTHTRAIL_BENCH_INGEST_EVENTS=200000 bench/search.sh
set -euo pipefail
cd "$(dirname "$0")/.."
exec cargo bench -p authtrail --bench search_figures "$@"
