# Sourced by the benchmark scripts (not run): a release build, a work folder, and a config-center with one unit
# ("bench-1" in region "bench"), servers pinned to CPU 0 when PIN=1; both stopped and the folder removed at exit.
#
#   bench_start NAME CENTER_PORT UNIT_PORT [flashsale-unit flags...]
#
# Needs ROOT; SCRATCH_PATH (optional) goes to swift build as --scratch-path; UNIT_BIN (optional) is another
# flashsale-unit binary to run instead of the tree's (to compare two builds in one run, each against the peer). Sets
# BIN WORK CPID UPID SRV LOAD UNIT_URL and exports FLASHSALE_CENTER.

bench_start() {
    local name=$1 center_port=$2 unit_port=$3; shift 3
    if [ "${PIN:-1}" = 1 ]; then SRV="taskset -c 0"; LOAD="taskset -c 1"; else SRV=""; LOAD=""; fi
    echo "building release..."
    # SCRATCH_PATH builds in another folder than .build (so a benchmark does not race another build of the tree).
    local build=(swift build -c release ${SCRATCH_PATH:+--scratch-path "$SCRATCH_PATH"})
    (cd "$ROOT" && "${build[@]}" >/dev/null 2>&1) || (cd "$ROOT" && "${build[@]}")
    BIN=$(cd "$ROOT" && "${build[@]}" --show-bin-path)
    local unit_bin=${UNIT_BIN:-$BIN/flashsale-unit}
    [ -x "$unit_bin" ] || { echo "error: no flashsale-unit at $unit_bin" >&2; exit 1; }
    WORK=$(mktemp -d "/tmp/flashsale-$name.XXXXXX")
    CPID=; UPID=
    trap bench_stop EXIT
    export FLASHSALE_CENTER="http://127.0.0.1:$center_port"
    UNIT_URL="http://127.0.0.1:$unit_port"
    $SRV "$BIN/config-center" serve --listen "127.0.0.1:$center_port" --data "$WORK/center" --plain-http >"$WORK/center.log" 2>&1 &
    CPID=$!
    for _ in $(seq 100); do curl -s -o /dev/null "$FLASHSALE_CENTER/healthz" && break; sleep 0.1; done
    # The first admin's credential (written at the config-center's first start) for the CLI, and the unit enrolled
    # with its own key, as an operator does it.
    export FLASHSALE_CREDENTIAL_FILE="$WORK/center/admin.credential"
    "$BIN/config-center" region add bench >/dev/null
    "$BIN/config-center" unit add bench-1 --region bench --url "$UNIT_URL" \
        --public-key "$("$unit_bin" key --data "$WORK/unit")" >/dev/null
    $SRV "$unit_bin" --id bench-1 --region bench --listen "127.0.0.1:$unit_port" --data "$WORK/unit" --plain-http "$@" \
        >"$WORK/unit.log" 2>&1 &
    UPID=$!
    for _ in $(seq 100); do "$BIN/config-center" unit list | grep -q 'bench-1.*ago' && break; sleep 0.1; done
}

bench_stop() {
    for pid in $UPID $CPID; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true; done
    rm -rf "$WORK"
}

# bench_sale SALE STOCK [sale create flags...]: creates the sale, gives the unit all of it, waits until it sells.
bench_sale() {
    local sale=$1 stock=$2; shift 2
    "$BIN/config-center" sale create "$sale" --title "$sale" --stock "$stock" --ends-at +1h "$@" >/dev/null
    "$BIN/config-center" allocate "$sale" "bench=$stock" >/dev/null
    for _ in $(seq 100); do curl -s "$UNIT_URL/v1/sales/$sale" | grep -q "\"stockLeft\":$stock" && break; sleep 0.1; done
}

# bench_orders SALE: orders of SALE in the unit's SQLite file, read directly.
bench_orders() {
    python3 -c "import sqlite3,sys; c=sqlite3.connect('file:$WORK/unit/unit.sqlite?mode=ro', uri=True); print(c.execute('select count(*) from orders where sale_id=?', (sys.argv[1],)).fetchone()[0])" "$1"
}

# bench_order_waits BEFORE AFTER: the orders made between two scrapes of the unit's /metrics, and how long they
# waited inside the unit (flashsale_order_seconds: from the decision to the 201), p50 and p99 interpolated within
# the histogram's buckets as Prometheus's histogram_quantile does. A client's latency less this is the socket queue
# and the wire.
bench_order_waits() {
    python3 - "$1" "$2" <<'PY'
import re, sys
def buckets(path):
    found = {}
    for line in open(path):
        m = re.match(r'flashsale_order_seconds_bucket\{le="([^"]+)"\} (\S+)', line)
        if m: found[float(m.group(1))] = float(m.group(2))
    return found
before, after = buckets(sys.argv[1]), buckets(sys.argv[2])
bounds = sorted(after)
counts = [after[b] - before.get(b, 0) for b in bounds]
total = counts[-1] if counts else 0
def quantile(q):
    rank, lower, below = q * total, 0.0, 0.0
    for bound, count in zip(bounds, counts):
        if count >= rank:
            if bound == float("inf"): return lower
            return lower + (bound - lower) * (rank - below) / max(count - below, 1)
        lower, below = bound, count
    return lower
if total:
    print(f"inside the unit: {int(total)} orders waited p50 {quantile(0.5) * 1000:.2f} ms, p99 {quantile(0.99) * 1000:.2f} ms "
          "(flashsale_order_seconds, decision to 201)")
PY
}
