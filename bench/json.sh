#!/usr/bin/env bash
# Run the JSON parser figures: bench/json.sh [extra cargo bench args]
#
# Prints `FIGURE okta_json_parse` and `FIGURE windows_json_parse` (events/s per core, goal
# 200,000 each) with a same-run baseline (a bare serde_json::Value parse of the same records).
# The source, its input and its knobs: crates/authtrail/benches/json_figures.rs.
set -euo pipefail
cd "$(dirname "$0")/.."
exec cargo bench -p authtrail --bench json_figures "$@"
