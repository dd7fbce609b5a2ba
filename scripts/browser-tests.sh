#!/usr/bin/env bash
# Browser tests of the operator's dashboard (config-center, GET /dashboard) and the buyer's page (each unit,
# GET /sales/{sale}) in a real headless Chromium driven by selenium (Tests/Browser/test_pages.py):
#   - the buyer's page counts down to the start, follows a 421 to the unit that owns the buyer, solves the proof of
#     work in a Web Worker, buys once (the button is disabled while the purchase is in flight; further clicks make
#     no second order, checked in the unit's GET /v1/orders, read with the orders credential), then cancels the
#     order with the secret its 201 carried;
#   - the dashboard's numbers move, live (Server-Sent Events), while a crowd buys (the `herd` executable, or a
#     bounded loop of purchases when it is missing).
# Screenshots go to $OUT (default .build/browser-tests/), printed at the end.
#
#   scripts/browser-tests.sh                       build release, run both tests
#   SCRATCH_PATH=.build-mine scripts/browser-tests.sh   build in another scratch folder
#
# It installs what is missing (Debian's chromium and chromium-driver when run as root; selenium from PyPI into a
# virtualenv in a temporary folder), starts a config-center and three units (eu-1 and eu-2 in region eu, us-1 in
# us, gossiping over a cluster secret) on loopback ports of its own, creates a sale that asks for buyer tokens and
# proof of work, and stops every process it started by PID at exit. Exit status: 0 when both tests pass.
# Settable: PORT_BASE (17960: center, +1..+3 units) OUT SELENIUM (pip requirement) BUYERS (300) SCRATCH_PATH
# FLASHSALE_BIN (a folder with config-center, flashsale-unit and herd: no build) KEEP=1 (keep the work folder: logs).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
PORT_BASE=${PORT_BASE:-17960}
OUT=${OUT:-$ROOT/.build/browser-tests}
SELENIUM=${SELENIUM:-selenium==4.40.0}
BUYERS=${BUYERS:-300}
SALE=browser-phone

for tool in python3 curl timeout openssl; do
    command -v "$tool" >/dev/null || { echo "error: $tool is needed" >&2; exit 1; }
done
missing=()
[ -f /usr/include/sqlite3.h ] || missing+=(libsqlite3-dev)
command -v chromium >/dev/null || missing+=(chromium)
command -v chromedriver >/dev/null || missing+=(chromium-driver)
python3 -c 'import venv, ensurepip' 2>/dev/null || missing+=(python3-venv)
if [ "${#missing[@]}" -gt 0 ]; then
    if [ "$(id -u)" != 0 ]; then echo "error: install ${missing[*]} first" >&2; exit 1; fi
    echo "installing ${missing[*]}..."
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [ -n "${FLASHSALE_BIN:-}" ]; then
    BIN=$FLASHSALE_BIN   # binaries built already (CI: the debug build `swift test` made)
else
    BUILD=(swift build -c release)
    [ -n "${SCRATCH_PATH:-}" ] && BUILD+=(--scratch-path "$SCRATCH_PATH")
    echo "building release..."
    (cd "$ROOT" && "${BUILD[@]}" >/dev/null 2>&1) || (cd "$ROOT" && "${BUILD[@]}")
    BIN=$(cd "$ROOT" && "${BUILD[@]}" --show-bin-path)
fi

WORK=$(mktemp -d /tmp/flashsale-browser.XXXXXX)
PIDS=()
stop() {
    local pid
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    if [ "${KEEP:-0}" = 1 ]; then echo "work folder kept: $WORK"; else rm -rf "$WORK"; fi
}
trap stop EXIT

# Every link over HTTPS, as an operator runs it: a throwaway CA and a certificate per process; the CLI, herd and curl
# trust the CA, Chromium the servers' keys (SPKI_PINS). PLAIN_HTTP=1 runs the same tests over plain HTTP.
if [ "${PLAIN_HTTP:-0}" = 1 ]; then SCHEME=http; else SCHEME=https; fi
CENTER="$SCHEME://127.0.0.1:$PORT_BASE"
export FLASHSALE_CENTER="$CENTER"
TLS_DIR="$WORK/tls"
SPKI_PINS=""
tls_flags() {  # tls_flags NAME: the flags that make process NAME serve HTTPS with its own certificate, or plain HTTP
    if [ "$SCHEME" = https ]; then
        printf '%s\n' --tls-cert "$TLS_DIR/$1.pem" --tls-key "$TLS_DIR/$1.key"
    else
        printf '%s\n' --plain-http
    fi
}
if [ "$SCHEME" = https ]; then
    "$ROOT/deploy/tls-certs.sh" "$TLS_DIR" center eu-1 eu-2 us-1
    export FLASHSALE_CA_FILE="$TLS_DIR/ca.pem" CURL_CA_BUNDLE="$TLS_DIR/ca.pem"
    for name in center eu-1 eu-2 us-1; do
        pin=$(openssl x509 -in "$TLS_DIR/$name.pem" -noout -pubkey | openssl pkey -pubin -outform der \
            | openssl dgst -sha256 -binary | base64)
        SPKI_PINS+="${SPKI_PINS:+,}$pin"
    done
fi
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$WORK/cluster-secret"
# What the test reads the units' order logs with, as a fulfilment consumer would.
(umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$WORK/orders.credential")
export ORDERS_CREDENTIAL_FILE="$WORK/orders.credential" FLASHSALE_ORDERS_CREDENTIAL_FILE="$WORK/orders.credential"

wait_for() {  # wait_for WHAT COMMAND...: up to 30 s
    local what=$1; shift
    for _ in $(seq 300); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
    echo "error: $what did not come up; logs in $WORK" >&2
    KEEP=1
    exit 1
}

mapfile -t center_tls < <(tls_flags center)
"$BIN/config-center" serve --listen "127.0.0.1:$PORT_BASE" --data "$WORK/center" \
    --cluster-secret-file "$WORK/cluster-secret" "${center_tls[@]}" >"$WORK/center.log" 2>&1 &
PIDS+=($!)
wait_for "the config-center" curl -sf "$CENTER/healthz"
# The first admin's credential (written at first start) for the CLI and herd; the dashboard signs in as a viewer.
export FLASHSALE_CREDENTIAL_FILE="$WORK/center/admin.credential"
VIEWER_CREDENTIAL=$("$BIN/config-center" operator add dashboard-viewer --role viewer)
"$BIN/config-center" region add eu >/dev/null
"$BIN/config-center" region add us >/dev/null
declare -A UNIT_URL
port=$PORT_BASE
for spec in eu-1:eu eu-2:eu us-1:us; do
    unit=${spec%%:*}; region=${spec##*:}; port=$((port + 1))
    UNIT_URL[$unit]="$SCHEME://127.0.0.1:$port"
    key=$("$BIN/flashsale-unit" key --data "$WORK/$unit")
    "$BIN/config-center" unit add "$unit" --region "$region" --url "${UNIT_URL[$unit]}" --public-key "$key" >/dev/null
    "$BIN/flashsale-unit" --id "$unit" --region "$region" --listen "127.0.0.1:$port" --data "$WORK/$unit" \
        --center "$CENTER" --cluster-secret-file "$WORK/cluster-secret" --report-interval-ms 300 \
        --orders-credential-file "$WORK/orders.credential" $( [ "$SCHEME" = https ] && echo --ca-file "$TLS_DIR/ca.pem") \
        $(tls_flags "$unit") >"$WORK/$unit.log" 2>&1 &
    PIDS+=($!)
done
for unit in eu-1 eu-2 us-1; do
    wait_for "unit $unit" sh -c "'$BIN/config-center' unit list | grep -q '$unit.*ago'"
done

# The buyer's owner is found with a sale of its own (the owner is a hash of the user over the region's units, the
# same for every sale), so the sale under test is made last, just before the browser opens it.
"$BIN/config-center" sale create probe --title "Probe" --stock 1 --starts-at now --ends-at +1h --require-token \
    --captcha-difficulty 1000 >/dev/null
wait_for "the probe sale at eu-1" curl -sf "${UNIT_URL[eu-1]}/v1/sales/probe"

# A buyer of region eu whom eu-2 serves: the page opened at eu-1 must follow the 421 to eu-2. The probe carries an
# Idempotency-Key (so the owner is checked before the sale's start) and no proof of work, so where it is not refused
# as wrong-unit it is refused as captcha-required: no order either way.
BUYER=; TOKEN=
for n in $(seq 1 64); do
    candidate="browser-buyer-$n"
    token=$("$BIN/config-center" token mint --user "$candidate" --region eu)
    code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $token" -H "Idempotency-Key: probe" \
        "${UNIT_URL[eu-1]}/v1/sales/probe/purchases")
    if [ "$code" = 421 ]; then BUYER=$candidate; TOKEN=$token; break; fi
done
[ -n "$BUYER" ] || { echo "error: no buyer of eu-2 found among 64 candidates"; exit 1; }

# The crowd for the dashboard test: the herd when it is built, otherwise the test's own bounded loop.
LOAD_COMMAND=""
# The help is read whole before it is searched: `grep -q` stops reading at the first match, and with pipefail a help
# longer than the pipe's buffer then fails by SIGPIPE.
if [ -x "$BIN/herd" ] && [[ "$("$BIN/herd" --help 2>/dev/null)" == *--buyers* ]]; then
    LOAD_COMMAND="$BIN/herd --center $CENTER --sale $SALE --buyers $BUYERS --concurrency 32 --split eu=85,us=15 --time-limit 60 --quiet"
fi

echo "installing $SELENIUM into $WORK/venv..."
python3 -m venv "$WORK/venv"
"$WORK/venv/bin/pip" install -q --disable-pip-version-check "$SELENIUM" >"$WORK/pip.log" 2>&1 \
    || { cat "$WORK/pip.log" >&2; exit 1; }

# Opens in 20 s (the buyer's page shows its countdown first). Most stock goes to us while most buyers come from eu,
# so the units rebalance while the crowd buys and the dashboard shows grants between units.
"$BIN/config-center" sale create "$SALE" --title "Browser phone" --stock 400 --starts-at +20s --ends-at +1h \
    --per-user-limit 1 --require-token --captcha-difficulty 5000 >/dev/null
"$BIN/config-center" allocate "$SALE" eu=25% us=75% >/dev/null
for unit in eu-1 eu-2 us-1; do
    wait_for "the sale at $unit" sh -c "curl -sf '${UNIT_URL[$unit]}/v1/sales/$SALE' | grep -q '\"stockLeft\":[1-9]'"
done

mkdir -p "$OUT"
STATUS=0
CENTER_URL="$CENTER" EU1_URL="${UNIT_URL[eu-1]}" EU2_URL="${UNIT_URL[eu-2]}" US1_URL="${UNIT_URL[us-1]}" \
    CA_FILE="${FLASHSALE_CA_FILE:-}" SPKI_PINS="$SPKI_PINS" SALE="$SALE" BUYER="$BUYER" TOKEN="$TOKEN" VIEWER_CREDENTIAL="$VIEWER_CREDENTIAL" LOAD_COMMAND="$LOAD_COMMAND" BUYERS="$BUYERS" OUT="$OUT" \
    CHROMIUM="$(command -v chromium)" CHROMEDRIVER="$(command -v chromedriver)" \
    timeout --kill-after=10 240 "$WORK/venv/bin/python" -u "$ROOT/Tests/Browser/test_pages.py" || STATUS=$?

for pid in "${PIDS[@]}"; do kill -0 "$pid" 2>/dev/null || { echo "FAIL: process $pid died"; STATUS=1; }; done
if grep -q "unhandled error" "$WORK"/*.log; then
    echo "FAIL: a server logged an unhandled error:"; grep -h "unhandled error" "$WORK"/*.log | head -5
    STATUS=1
fi
echo "screenshots: $OUT/buyer-countdown.png $OUT/buyer.png $OUT/dashboard-before.png $OUT/dashboard.png"
if [ "$STATUS" = 0 ]; then echo "browser tests: passed"; else echo "browser tests: FAILED (KEEP=1 keeps $WORK)"; KEEP=1; fi
exit "$STATUS"
