#!/usr/bin/env bash
# Memory under a flood of distinct buyers: one unit, a sale with per-user and per-address rate limits and a
# captcha, and the shared wrk herd (every request a new user id) until TARGET requests have been answered. Every
# request passes the rate limiters (so each new user gets a bucket) and is then refused for want of a solved
# challenge, so nothing sells and only the filters' memory grows. Prints the unit's RSS after each chunk and its
# peak (VmHWM): it must level off, since the limiters keep a bounded number of keys.
#
#   bench/memory.sh            TARGET=1000000 distinct users, unit pinned to CPU 0 and wrk to CPU 1
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SHARED=${SHARED_BENCH:-$ROOT/../shared/bench}
TARGET=${TARGET:-1000000}; WRK_C=${WRK_C:-64}
command -v wrk >/dev/null || { [ "$(id -u)" = 0 ] && apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
source "$ROOT/bench/unit-under-test.sh"
bench_start memory 17920 17921
bench_sale flood 1000 --user-rate 100/10 --ip-rate 1000000/1000000 --captcha-difficulty 1000

rss() { awk '/^VmRSS/ {print $2}' "/proc/$UPID/status"; }
hwm() { awk '/^VmHWM/ {print $2}' "/proc/$UPID/status"; }
echo "RSS before the flood: $(rss) KiB"
total=0; chunk=0
while [ "$total" -lt "$TARGET" ]; do
    chunk=$((chunk + 1))
    # A new base per chunk keeps every user id new (herd.lua: id = (base+thread)<<32 | n).
    out=$(timeout 120 $LOAD wrk -t1 -c"$WRK_C" -d10s --timeout 5s -s "$SHARED/herd.lua" \
        "$UNIT_URL/v1/sales/flood/purchases" -- "$((chunk * 16))" | grep '^HERD ')
    eval "${out#HERD }"
    total=$((total + REQS))
    echo "after $total distinct users: RSS $(rss) KiB (refused: $OTHER, orders: $S200, socket errors: $ERR)"
done
echo "peak RSS (VmHWM): $(hwm) KiB; orders sold: $(bench_orders flood)"
