#!/usr/bin/env bash
# Coverage-guided fuzzing with libFuzzer of the decoders that face the network (Sources/FuzzDecoders): a gossip
# message (then the ledger arithmetic and the rebalancing decision made from it), a configuration (then the token
# verifier it builds), a buyer token, a proof-of-work answer, a purchase body, a unit's heartbeat and a JWKS document.
# Each target runs for a time budget from a valid seed; a crash, a trap or a leak of time (a slow input) stops it and
# leaves the input in the work folder. Prints each target's executions and crashes, and exits non-zero on any crash.
#
#   scripts/fuzz-decoders.sh                                   every target, 60 s each
#   SECONDS_PER_TARGET=600 TARGETS="gossip token" scripts/fuzz-decoders.sh
#
# It builds the fuzzer (debug, instrumented with -sanitize=fuzzer, in .build-fuzz or SCRATCH_PATH: a full build of
# the package and its dependencies, several minutes the first time) and the seeds (a normal debug build).
# KEEP=1 keeps the work folder (corpora, logs, crash inputs).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SECONDS_PER_TARGET=${SECONDS_PER_TARGET:-60}
TARGETS=${TARGETS:-gossip config token captcha purchase report}
SCRATCH=${SCRATCH_PATH:-$ROOT/.build-fuzz}
case "$SECONDS_PER_TARGET" in ''|*[!0-9]*) echo "error: SECONDS_PER_TARGET must be whole seconds" >&2; exit 64 ;; esac

cd "$ROOT"
echo "building the seeds (debug)..."
swift build --product FuzzDecoders >/dev/null 2>&1 || swift build --product FuzzDecoders
SEEDER="$(swift build --show-bin-path)/FuzzDecoders"
echo "building the fuzzer (debug, -sanitize=fuzzer, in $SCRATCH)..."
FUZZ_BUILD=(swift build --product FuzzDecoders --sanitize fuzzer -Xswiftc -DFUZZING --scratch-path "$SCRATCH")
"${FUZZ_BUILD[@]}" >/dev/null 2>&1 || "${FUZZ_BUILD[@]}"
FUZZER="$("${FUZZ_BUILD[@]}" --show-bin-path)/FuzzDecoders"

WORK=$(mktemp -d /tmp/flashsale-fuzz-decoders.XXXXXX)
cleanup() { if [ "${KEEP:-0}" = 1 ]; then echo "work folder kept: $WORK"; else rm -rf "$WORK"; fi; }
trap cleanup EXIT
"$SEEDER" seeds "$WORK/seeds"

FAILED=0
printf '%-10s %14s %10s %8s\n' target executions "exec/s" crashes
for target in $TARGETS; do
    mkdir -p "$WORK/corpus/$target" "$WORK/crashes/$target"
    status=0
    # -timeout: one input taking 10 s is a hang; -rss_limit_mb: memory a decoder may not take.
    FUZZ_TARGET=$target timeout --kill-after=30 $((SECONDS_PER_TARGET + 120)) "$FUZZER" \
        -max_total_time="$SECONDS_PER_TARGET" -timeout=10 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
        -artifact_prefix="$WORK/crashes/$target/" "$WORK/corpus/$target" "$WORK/seeds/$target" \
        >"$WORK/$target.log" 2>&1 || status=$?
    runs=$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+).*/\1/p' "$WORK/$target.log" | tail -n 1)
    rate=$(sed -nE 's/^stat::average_exec_per_sec: *([0-9]+).*/\1/p' "$WORK/$target.log" | tail -n 1)
    crashes=$(find "$WORK/crashes/$target" -type f | wc -l)
    printf '%-10s %14s %10s %8s\n' "$target" "${runs:-?}" "${rate:-?}" "$crashes"
    if [ "$status" != 0 ] || [ "$crashes" != 0 ]; then
        FAILED=1
        KEEP=1
        echo "FAIL: $target (exit $status); its log: $WORK/$target.log"
        tail -20 "$WORK/$target.log"
    fi
done
if [ "$FAILED" = 0 ]; then echo "fuzz-decoders: no crash"; else echo "fuzz-decoders: FAILED"; exit 1; fi
