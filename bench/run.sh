#!/usr/bin/env bash
# The purchase benchmark: the shared wrk herd (../shared/bench) against the peer (nginx + Lua + Redis) and
# against one unit node, in the same run, on the same machine; prints both tables and the ratio.
#
#   bench/run.sh                 STOCK=1000, servers pinned to CPU 0 and wrk to CPU 1 (PIN=1)
#   RUNS=3 bench/run.sh          three rounds, medians reported
#   STOCK=1000000 AOFS="off always" RUNS=3 bench/run.sh
#                                the full path: every request an order, against the peer without persistence and
#                                with Redis appendfsync always, in the same rounds
#
# Settable: STOCK (1000) RUNS (1) AOFS (the peer's Redis persistence per round: "off", "always", "everysec" or
# several, default "off"; rows of a persisted peer are labelled aof-<mode>-peer...) SYNC (full|normal, the unit's SQLite durability) SHARED_BENCH (../shared/bench)
# SCRATCH_PATH (swift build's --scratch-path; default .build) and the shared scripts' WRK_T WRK_C WRK_D PIN. Needs
# nginx, libnginx-mod-http-lua, lua-nginx-redis, redis-server, wrk and curl (installed with apt-get when run as root).
#
# The herd counts only 200 as success; a unit answers 201 Created, so the herd script is copied to a temporary
# folder and taught that 201 is a success too. Nothing else in the shared bench changes. After each unit herd the
# unit's SQLite file is read back: exactly STOCK orders must be there when it sold out, and when it did not, every
# acknowledged order (201) must be there, plus at most WRK_C that were committed as wrk stopped waiting.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SHARED=${SHARED_BENCH:-$ROOT/../shared/bench}
STOCK=${STOCK:-1000}; RUNS=${RUNS:-1}; SYNC=${SYNC:-full}
export PIN=${PIN:-1} STOCK
[ -f "$SHARED/run-peer.sh" ] || { echo "error: shared bench not found at $SHARED (set SHARED_BENCH)" >&2; exit 1; }

need=()
command -v nginx >/dev/null || need+=(nginx)
[ -f /usr/lib/nginx/modules/ngx_http_lua_module.so ] || need+=(libnginx-mod-http-lua)
[ -f /usr/share/lua/5.1/nginx/redis.lua ] || need+=(lua-nginx-redis)
command -v redis-server >/dev/null || need+=(redis-server)
command -v wrk >/dev/null || need+=(wrk)
command -v curl >/dev/null || need+=(curl)
[ -f /usr/include/sqlite3.h ] || need+=(libsqlite3-dev)
if [ ${#need[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ]; then
        apt-get update -qq && apt-get install -y -qq "${need[@]}" >/dev/null
    else
        echo "error: install ${need[*]} first" >&2; exit 1
    fi
fi

source "$ROOT/bench/unit-under-test.sh"
bench_start bench 17900 17901 --synchronous "$SYNC"


cp -r "$SHARED" "$WORK/bench"
sed -i 's/if status == 200 then/if status == 200 or status == 201 then/' "$WORK/bench/herd.lua"
grep -q 'status == 201' "$WORK/bench/herd.lua" || { echo "error: could not teach herd.lua about 201" >&2; exit 1; }
export BENCH="$WORK/bench" RESULTS="$WORK/results.tsv"
: > "$RESULTS"

FAIL=0
for run in $(seq "$RUNS"); do
    echo "== round $run/$RUNS"
    for aof in ${AOFS:-off}; do
        before=$(wc -l < "$RESULTS")
        if [ "$aof" = off ]; then AOF= bash "$BENCH/run-peer.sh" || FAIL=1
        else
            AOF=$aof bash "$BENCH/run-peer.sh" || FAIL=1
            # The shared script labels its rows alike whatever its persistence: name the persisted ones.
            sed -i "$((before + 1)),\$ s/^/aof-$aof-/" "$RESULTS"
        fi
    done
    sale="bench-$run"
    bench_sale "$sale" "$STOCK"
    curl -s "$UNIT_URL/metrics" > "$WORK/metrics.before" || :
    LABEL="unit-$SYNC" bash "$BENCH/run-target.sh" "$UNIT_URL/v1/sales/$sale/purchases" \
        "$UNIT_URL/healthz" || FAIL=1
    curl -s "$UNIT_URL/metrics" > "$WORK/metrics.after" || :
    bench_order_waits "$WORK/metrics.before" "$WORK/metrics.after"
    stored=$(bench_orders "$sale")
    created=$(awk -F'\t' '$1 ~ /^target-unit/ {c = $5} END {print c + 0}' "$RESULTS")
    if [ "$stored" = "$STOCK" ]; then echo "durable: $stored orders in the unit's SQLite = STOCK"
    elif [ "$stored" -lt "$STOCK" ] && [ "$stored" -ge "$created" ] && [ $((stored - created)) -le "${WRK_C:-64}" ]; then
        echo "durable: $stored orders in the unit's SQLite >= $created acknowledged (not sold out)"
    else echo "FAIL: $stored orders in SQLite, $created acknowledged, STOCK=$STOCK"; FAIL=1; fi
done

echo "== summary (median req/s over $RUNS round(s))"
python3 - "$RESULTS" <<'PY'
import sys, statistics, collections
rows = collections.defaultdict(list)
for line in open(sys.argv[1]):
    parts = line.rstrip("\n").split("\t")
    if len(parts) > 1 and parts[1].isdigit():
        rows[parts[0]].append(int(parts[1]))
med = {k: statistics.median(v) for k, v in rows.items()}
for k, v in med.items():
    print(f"{k:28s} {v:>10.0f} req/s")
unit = next((v for k, v in med.items() if k.startswith("target-unit")), None)
if unit and "peer" in med:
    print(f"unit / peer (no sold-out flag)   {unit / med['peer']:.2f}x")
if unit and "peer-flag" in med:
    print(f"unit / peer with sold-out flag   {unit / med['peer-flag']:.2f}x")
for k in sorted(med):
    if k.startswith("aof-") and k.endswith("-peer") and unit:
        print(f"unit / {k:24s} {unit / med[k]:.2f}x")
spread = {k: (min(v), max(v)) for k, v in rows.items() if len(v) > 1}
for k, (lo, hi) in spread.items():
    print(f"spread {k:21s} {lo:>8d} .. {hi:>8d} req/s")
PY
exit $FAIL
