#!/usr/bin/env bash
# Runs pgtui's fuzz targets one after another, each for SECONDS (default
# 300), niced, growing tests/fuzz/corpus/<target> from the committed seeds,
# and prints libFuzzer's final figures for each. Crashes land in
# tests/fuzz/artifacts/<target>/.
#
#   bash tests/fuzz/run.sh [SECONDS] [TARGET...]
#
# Needs the nightly toolchain and cargo-fuzz (cargo install cargo-fuzz --locked).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
secs=${1:-300}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(dcs_value dcs_key rest_body haproxy_stats patroni_yaml settings_toml dcs_url sql_lsn console_render)
fi
cd "$root"
mkdir -p "$here/logs"
for t in "${targets[@]}"; do
    mkdir -p "$here/corpus/$t"
    log="$here/logs/$t.log"
    echo "== $t: ${secs}s, log in $log"
    set +e
    nice -n 10 cargo +nightly fuzz run --fuzz-dir tests/fuzz "$t" \
        "$here/corpus/$t" "$here/seeds/$t" -- \
        -max_total_time="$secs" -timeout=10 -print_final_stats=1 >"$log" 2>&1
    rc=$?
    set -e
    grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -1 || true
    grep -E '^stat::(number_of_executed_units|average_exec_per_sec)' "$log" || true
    if [ $rc -ne 0 ]; then
        echo "   $t FAILED (exit $rc): see $log and $here/artifacts/$t/"
        grep -m1 -E 'panicked at|ERROR: libFuzzer' "$log" || true
    fi
done
