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
TARGET=${TARGET:-1000000}; PIN=${PIN:-1}; WRK_C=${WRK_C:-64}
command -v wrk >/dev/null || { [ "$(id -u)" = 0 ] && apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
if [ "$PIN" = 1 ]; then SRV="taskset -c 0"; LOAD="taskset -c 1"; else SRV=""; LOAD=""; fi

echo "building release..."
(cd "$ROOT" && swift build -c release >/dev/null 2>&1) || (cd "$ROOT" && swift build -c release)
BIN=$(cd "$ROOT" && swift build -c release --show-bin-path)

WORK=$(mktemp -d /tmp/flashsale-memory.XXXXXX)
CPID=; UPID=
cleanup() {
    for pid in $UPID $CPID; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT

CENTER_PORT=17920; UNIT_PORT=17921
export FLASHSALE_CENTER="http://127.0.0.1:$CENTER_PORT"
$SRV "$BIN/config-center" serve --listen "127.0.0.1:$CENTER_PORT" --data "$WORK/center" >"$WORK/center.log" 2>&1 & CPID=$!
for _ in $(seq 100); do curl -s -o /dev/null "$FLASHSALE_CENTER/healthz" && break; sleep 0.1; done
"$BIN/config-center" region add bench >/dev/null
$SRV "$BIN/flashsale-unit" --id bench-1 --region bench --listen "127.0.0.1:$UNIT_PORT" --data "$WORK/unit" \
    >"$WORK/unit.log" 2>&1 & UPID=$!
for _ in $(seq 100); do "$BIN/config-center" unit list | grep -q 'bench-1.*ago' && break; sleep 0.1; done
"$BIN/config-center" sale create flood --title Flood --stock 1000 --ends-at +1h --user-rate 100/10 \
    --ip-rate 1000000/1000000 --captcha-difficulty 1000 >/dev/null
"$BIN/config-center" allocate flood bench=1000 >/dev/null
for _ in $(seq 100); do curl -s "http://127.0.0.1:$UNIT_PORT/v1/sales/flood" | grep -q '"stockLeft":1000' && break; sleep 0.1; done

rss() { awk '/^VmRSS/ {print $2}' "/proc/$UPID/status"; }
hwm() { awk '/^VmHWM/ {print $2}' "/proc/$UPID/status"; }
echo "RSS before the flood: $(rss) KiB"
total=0; chunk=0
while [ "$total" -lt "$TARGET" ]; do
    chunk=$((chunk + 1))
    # A new base per chunk keeps every user id new (herd.lua: id = (base+thread)<<32 | n).
    out=$(timeout 120 $LOAD wrk -t1 -c"$WRK_C" -d10s --timeout 5s -s "$SHARED/herd.lua" \
        "http://127.0.0.1:$UNIT_PORT/v1/sales/flood/purchases" -- "$((chunk * 16))" | grep '^HERD ')
    eval "${out#HERD }"
    total=$((total + REQS))
    echo "after $total distinct users: RSS $(rss) KiB (refused: $OTHER, orders: $S200, socket errors: $ERR)"
done
echo "peak RSS (VmHWM): $(hwm) KiB; orders sold: $(python3 -c "import sqlite3; print(sqlite3.connect('file:$WORK/unit/unit.sqlite?mode=ro', uri=True).execute('select count(*) from orders').fetchone()[0])")"
