#!/usr/bin/env bash
# The filters benchmark: one unit, in the same run, sales with no buyer filters ("open") and with tokens and rate
# limits on ("filtered"), measured two ways:
#   sold-out  STOCK (1000) each, every request a new buyer: the issue's measure (most answers are 410 sold out)
#   full-path 2 x TOKENS_COUNT stock each (never sold out), the same TOKENS_COUNT buyers again and again: after each buyer's first
#             order every request passes every filter (token from the cache, rate limits, owner, blacklist) and
#             is answered 409 already-bought, so the filters' cost is in every request
# Prints req/s for each and the ratios (target: filtered / open >= 0.8).
#
#   bench/filters.sh                 STOCK=1000, ROUNDS=3, unit pinned to CPU 0 and wrk to CPU 1
#
# Settable: STOCK (1000) ROUNDS (3) TOKENS_COUNT (20000) WRK_C (64) WRK_D (10s) PIN (1). Needs wrk, curl and
# python3 (wrk and curl are installed with apt-get when run as root).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
STOCK=${STOCK:-1000}; ROUNDS=${ROUNDS:-3}; TOKENS_COUNT=${TOKENS_COUNT:-20000}
WRK_C=${WRK_C:-64}; WRK_D=${WRK_D:-10s}
need=()
command -v wrk >/dev/null || need+=(wrk)
command -v curl >/dev/null || need+=(curl)
[ -f /usr/include/sqlite3.h ] || need+=(libsqlite3-dev)
if [ ${#need[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq "${need[@]}" >/dev/null
    else echo "error: install ${need[*]} first" >&2; exit 1; fi
fi
source "$ROOT/bench/unit-under-test.sh"
bench_start filters 17910 17911

echo "minting $TOKENS_COUNT buyer tokens..."
"$BIN/config-center" token mint --user buyer --region bench --count "$TOKENS_COUNT" --ttl 7200 > "$WORK/tokens"
export TOKENS="$WORK/tokens"

run_sale() {  # run_sale MEASURE SALE LABEL STOCK [sale create flags...]: creates, allocates, herds, checks
    local measure=$1 sale=$2 label=$3 stock=$4; shift 4
    bench_sale "$sale" "$stock" "$@"
    local out
    out=$(CYCLE_USERS=$([ "$measure" = full-path ] && echo 1 || echo 0) timeout 300 $LOAD wrk -t1 -c"$WRK_C" \
        -d"$WRK_D" --timeout 5s -s "$ROOT/bench/filters.lua" "$UNIT_URL/v1/sales/$sale/purchases" \
        | grep '^HERD ')
    eval "${out#HERD }"
    local stored; stored=$(bench_orders "$sale")
    local verify="PASS"
    if [ "$measure" = sold-out ] && { [ "$S201" != "$stock" ] || [ "$stored" != "$stock" ]; }; then verify="FAIL"; FAIL=1; fi
    if [ "$measure" = full-path ] && { [ "$S201" != "$stored" ] || [ "$S201" -gt "$TOKENS_COUNT" ]; }; then verify="FAIL"; FAIL=1; fi
    [ "$OTHER" = 0 ] || { verify="FAIL"; FAIL=1; }
    printf "%-10s %-9s %-9s %9s %8s %8s %6s %7s %7s %6s %6s  %s (%s orders in SQLite)\n" \
        "$measure" "$label" "$sale" "$RPS" "$P50" "$P99" "$S201" "$S409" "$S410" "$S429" "$OTHER" "$verify" "$stored"
    echo -e "$measure\t$label\t$RPS" >> "$WORK/results.tsv"
}

FILTERS=(--require-token --user-rate 100/10 --ip-rate 1000000/1000000)
FAIL=0
printf "%-10s %-9s %-9s %9s %8s %8s %6s %7s %7s %6s %6s  %s\n" measure case sale req/s p50ms p99ms 201 409 410 429 other verify
for round in $(seq "$ROUNDS"); do
    # Alternate the order so neither case always runs on a warmer process.
    for measure in sold-out full-path; do
        stock=$([ "$measure" = sold-out ] && echo "$STOCK" || echo $((2 * TOKENS_COUNT)))
        tag=$([ "$measure" = sold-out ] && echo s || echo f)
        if [ $((round % 2)) = 1 ]; then
            run_sale "$measure" "open-$tag$round" open "$stock"
            run_sale "$measure" "filt-$tag$round" filtered "$stock" "${FILTERS[@]}"
        else
            run_sale "$measure" "filt-$tag$round" filtered "$stock" "${FILTERS[@]}"
            run_sale "$measure" "open-$tag$round" open "$stock"
        fi
    done
done

python3 - "$WORK/results.tsv" <<'PY'
import sys, statistics, collections
rows = collections.defaultdict(list)
for line in open(sys.argv[1]):
    measure, label, rps = line.rstrip("\n").split("\t")
    rows[(measure, label)].append(float(rps))
for measure in ("sold-out", "full-path"):
    o, f = rows[(measure, "open")], rows[(measure, "filtered")]
    ratios = ", ".join(f"{b / a:.2f}" for a, b in zip(o, f))
    print(f"{measure:10s} median req/s: open {statistics.median(o):.0f}, filtered {statistics.median(f):.0f}; "
          f"filtered / open = {statistics.median(f) / statistics.median(o):.2f}x (rounds: {ratios}); target >= 0.8x")
PY
echo "unit RSS after the run: $(ps -o rss= -p "$UPID") KiB"
exit $FAIL
