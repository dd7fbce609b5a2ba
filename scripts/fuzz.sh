#!/usr/bin/env bash
# Fuzzes the unit's and the config-center's HTTP APIs with schemathesis (PyPI) against the OpenAPI documents they
# serve at GET /openapi.json: no answer may be a 5xx (not_a_server_error), and every answer must conform to the
# document (status documented, media type, body schema, headers).
#
#   scripts/fuzz.sh                        both APIs, 25 generated cases per operation and phase
#   MAX_EXAMPLES=100 scripts/fuzz.sh        more cases
#   SCRATCH_PATH=.build-mine scripts/fuzz.sh    build in another scratch folder
#
# It builds release, starts a config-center and one unit ("fuzz-1" in region "fuzz", gossiping with the center
# over a cluster secret) on loopback, creates an open sale "fuzz" with stock allocated to the unit, installs
# schemathesis into a virtualenv in a temporary folder, runs it against the unit, then against the center (which
# it fills with whatever regions, units and sales the fuzzer makes), and stops both processes by PID at exit. Each
# run is bounded by --max-examples and a hard timeout. Exit status: 0 when both runs pass, 1 otherwise.
#
# Not fuzzed: GET /v1/orders/stream and the center's GET /v1/sales/{sale}/status/stream (endless Server-Sent Events
# streams; the unit and config-center tests check them).
# Settable: CENTER_PORT (17950) UNIT_PORT (17951) MAX_EXAMPLES (25) FUZZ_TIMEOUT (seconds per API, 900)
# SCHEMATHESIS (pip requirement, schemathesis==4.32.5) SEED (random) CHECKS (schemathesis checks, comma-separated)
# SCRATCH_PATH KEEP=1 (keep the work folder: logs and JUnit reports).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
CENTER_PORT=${CENTER_PORT:-17950}
UNIT_PORT=${UNIT_PORT:-17951}
MAX_EXAMPLES=${MAX_EXAMPLES:-25}
FUZZ_TIMEOUT=${FUZZ_TIMEOUT:-900}
SCHEMATHESIS=${SCHEMATHESIS:-schemathesis==4.32.5}
SEED=${SEED:-$RANDOM}

for tool in python3 curl timeout; do
    command -v "$tool" >/dev/null || { echo "error: $tool is needed" >&2; exit 1; }
done
if [ ! -f /usr/include/sqlite3.h ]; then
    if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq libsqlite3-dev >/dev/null
    else echo "error: install libsqlite3-dev first" >&2; exit 1; fi
fi

BUILD=(swift build -c release)
[ -n "${SCRATCH_PATH:-}" ] && BUILD+=(--scratch-path "$SCRATCH_PATH")
echo "building release..."
(cd "$ROOT" && "${BUILD[@]}" >/dev/null 2>&1) || (cd "$ROOT" && "${BUILD[@]}")
BIN=$(cd "$ROOT" && "${BUILD[@]}" --show-bin-path)

WORK=$(mktemp -d /tmp/flashsale-fuzz.XXXXXX)
CPID=; UPID=
stop() {
    for pid in $UPID $CPID; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    if [ "${KEEP:-0}" = 1 ]; then echo "work folder kept: $WORK"; else rm -rf "$WORK"; fi
}
trap stop EXIT

# Over HTTPS, as an operator runs it (a throwaway CA that the CLI, curl and schemathesis trust); PLAIN_HTTP=1 for
# plain HTTP.
if [ "${PLAIN_HTTP:-0}" = 1 ]; then SCHEME=http; else SCHEME=https; fi
CENTER="$SCHEME://127.0.0.1:$CENTER_PORT"
UNIT="$SCHEME://127.0.0.1:$UNIT_PORT"
export FLASHSALE_CENTER="$CENTER"
CENTER_TLS=(--plain-http); UNIT_TLS=(--plain-http); FUZZ_TLS=()
if [ "$SCHEME" = https ]; then
    "$ROOT/deploy/tls-certs.sh" "$WORK/tls" center unit
    export FLASHSALE_CA_FILE="$WORK/tls/ca.pem" CURL_CA_BUNDLE="$WORK/tls/ca.pem" REQUESTS_CA_BUNDLE="$WORK/tls/ca.pem"
    CENTER_TLS=(--tls-cert "$WORK/tls/center.pem" --tls-key "$WORK/tls/center.key")
    UNIT_TLS=(--tls-cert "$WORK/tls/unit.pem" --tls-key "$WORK/tls/unit.key" --ca-file "$WORK/tls/ca.pem")
    FUZZ_TLS=(--tls-verify "$WORK/tls/ca.pem")
fi
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$WORK/cluster-secret"
# The unit's orders credential: the unit is fuzzed as a fulfilment consumer, so the fuzzer reaches the order log's
# handlers and not only the 401 in front of them.
(umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$WORK/orders.credential")

wait_for() {  # wait_for WHAT COMMAND...: up to 20 s
    local what=$1; shift
    for _ in $(seq 200); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
    echo "error: $what did not come up; logs in $WORK" >&2
    KEEP=1
    exit 1
}

"$BIN/config-center" serve --listen "127.0.0.1:$CENTER_PORT" --data "$WORK/center" \
    --cluster-secret-file "$WORK/cluster-secret" "${CENTER_TLS[@]}" >"$WORK/center.log" 2>&1 &
CPID=$!
wait_for "the config-center" curl -sf "$CENTER/healthz"
# The first admin's credential, written at first start: the CLI reads it, and the center is fuzzed as its admin so
# that the fuzzer reaches every route's handler, not only the 401 in front of it.
export FLASHSALE_CREDENTIAL_FILE="$WORK/center/admin.credential"
ADMIN=$(cat "$FLASHSALE_CREDENTIAL_FILE")
"$BIN/config-center" region add fuzz >/dev/null
"$BIN/config-center" unit add fuzz-1 --region fuzz --url "$UNIT" \
    --public-key "$("$BIN/flashsale-unit" key --data "$WORK/unit")" >/dev/null
"$BIN/flashsale-unit" --id fuzz-1 --region fuzz --listen "127.0.0.1:$UNIT_PORT" --data "$WORK/unit" --center "$CENTER" \
    --cluster-secret-file "$WORK/cluster-secret" --orders-credential-file "$WORK/orders.credential" "${UNIT_TLS[@]}" \
    >"$WORK/unit.log" 2>&1 &
UPID=$!
wait_for "the unit" sh -c "'$BIN/config-center' unit list | grep -q 'fuzz-1.*ago'"
"$BIN/config-center" sale create fuzz --title "Fuzz" --stock 1000 --starts-at now --ends-at +2h --per-user-limit 1 >/dev/null
"$BIN/config-center" sale create fuzz-pow --title "Fuzz PoW" --stock 100 --starts-at now --ends-at +2h \
    --captcha-difficulty 1000 >/dev/null
"$BIN/config-center" allocate fuzz fuzz=1000 >/dev/null
"$BIN/config-center" allocate fuzz-pow fuzz=100 >/dev/null
wait_for "the sales at the unit" sh -c "curl -sf '$UNIT/v1/sales/fuzz' | grep -q '\"stockLeft\":1000' \
    && curl -sf '$UNIT/v1/sales/fuzz-pow' | grep -q '\"state\":\"open\"'"

# A few real orders and their buyers, which the fuzzer mixes into the ids it makes up (schemathesis
# dictionaries), so pay, cancel and lookups reach real orders and not only 404s (pay answers 401 to the fuzzer,
# which cannot sign as the payment provider; the unit runs without a webhook secret).
ORDERS=(); USERS=(fz-a fz-b fz-c fz-d fz-e)
for user in "${USERS[@]}"; do
    ORDERS+=("$(curl -sf -X POST "$UNIT/v1/sales/fuzz/purchases?user=$user" \
        | python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])')")
done
toml_list() { local out="" item; for item in "$@"; do out+="\"$item\", "; done; echo "[${out%, }]"; }
cat >"$WORK/unit.toml" <<TOML
[dictionaries.sales]
values = $(toml_list fuzz fuzz-pow)
[dictionaries.orders]
values = $(toml_list "${ORDERS[@]}")
[dictionaries.users]
values = $(toml_list "${USERS[@]}")
[parameters]
"path.sale" = { dictionary = "sales", probability = 0.5 }
"path.order" = { dictionary = "orders", probability = 0.5 }
"query.user" = { dictionary = "users", probability = 0.5 }
TOML
cat >"$WORK/center.toml" <<TOML
[dictionaries.sales]
values = $(toml_list fuzz fuzz-pow)
[dictionaries.units]
values = $(toml_list fuzz-1)
[dictionaries.users]
values = $(toml_list "${USERS[@]}")
[parameters]
"path.sale" = { dictionary = "sales", probability = 0.5 }
"path.unit" = { dictionary = "units", probability = 0.5 }
"path.user" = { dictionary = "users", probability = 0.5 }
TOML

echo "installing $SCHEMATHESIS into $WORK/venv..."
python3 -m venv "$WORK/venv"
# pip reaches PyPI with the trust store it had before this script pointed requests at the throwaway CA.
env -u REQUESTS_CA_BUNDLE -u CURL_CA_BUNDLE "$WORK/venv/bin/pip" install -q --disable-pip-version-check "$SCHEMATHESIS" \
    >"$WORK/pip.log" 2>&1 \
    || { cat "$WORK/pip.log" >&2; exit 1; }
echo "$("$WORK/venv/bin/schemathesis" --version), seed $SEED, $MAX_EXAMPLES examples per operation"

CHECKS=${CHECKS:-not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance,unsupported_method}
fuzz() {  # fuzz NAME URL [schemathesis options...]: uses $WORK/NAME.toml
    local name=$1 url=$2; shift 2
    echo "== $name: $url"
    local status=0
    # One worker: hypothesis describes strategies by parsing source, which CPython 3.11 can get wrong when two
    # threads do it at once (a "Runtime Error" of the tool, not an answer of the server).
    # From the work folder, so schemathesis keeps its cache (.schemathesis/) there and not in the tree.
    (cd "$WORK" && timeout --kill-after=10 "$FUZZ_TIMEOUT" "$WORK/venv/bin/schemathesis" --config-file "$WORK/$name.toml" run "$url" \
        --checks "$CHECKS" --phases examples,coverage,fuzzing --max-examples "$MAX_EXAMPLES" --seed "$SEED" \
        --request-timeout 40 --workers 1 --no-color --output-truncate false \
        --report junit --report-junit-path "$WORK/$name.junit.xml" "${FUZZ_TLS[@]}" "$@") || status=$?
    if [ "$status" = 124 ] || [ "$status" = 137 ]; then echo "FAIL: $name: timed out after ${FUZZ_TIMEOUT}s"; fi
    return "$status"
}

FAIL=0
fuzz unit "$UNIT/openapi.json" --exclude-path /v1/orders/stream \
    --header "Authorization: Bearer $(cat "$WORK/orders.credential")" || FAIL=1
fuzz center "$CENTER/openapi.json" --exclude-path /v1/sales/{sale}/status/stream \
    --header "Authorization: Bearer $ADMIN" || FAIL=1

# Both processes must still be running: a crash shows here even if every answer looked fine.
for pid in $UPID $CPID; do kill -0 "$pid" 2>/dev/null || { echo "FAIL: process $pid died"; FAIL=1; }; done
if grep -q "unhandled error" "$WORK/center.log" "$WORK/unit.log"; then
    echo "FAIL: a server logged an unhandled error:"; grep -h "unhandled error" "$WORK/center.log" "$WORK/unit.log" | head -5
    FAIL=1
fi
if [ "$FAIL" = 0 ]; then echo "fuzz: both APIs passed"; else echo "fuzz: FAILED (logs: KEEP=1 keeps $WORK)"; fi
exit "$FAIL"
