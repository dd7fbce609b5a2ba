#!/usr/bin/env bash
# A local multi-region cluster on loopback: a config-center and four units in three regions that gossip
# (rebalancing unsold stock toward buyers), with the demo sale from config-center/ applied. Every link is HTTPS:
# the script makes a throwaway CA and a certificate per process (deploy/tls-certs.sh) in deploy/run/tls/; the CLI and
# herd trust that CA through FLASHSALE_CA_FILE, curl with --cacert. PLAIN_HTTP=1 runs it all over plain HTTP instead.
#
#   deploy/local-cluster.sh          build (release), start everything, apply the demo sale, print endpoints
#                                    (the first release build takes about 15 minutes on 2 cores; later ones are quick)
#   deploy/local-cluster.sh down     stop everything this script started (by PID)
#   deploy/local-cluster.sh status   show the demo sale per unit
#   deploy/local-cluster.sh reset    stop and delete all data (orders included)
#
# Data and logs live in deploy/run/ (or $FLASHSALE_RUN). Ports: config-center $CENTER_PORT (7000),
# units 8101 8102 (eu-west), 8201 (us-east), 8301 (ap-south). SCRATCH_PATH (swift build's --scratch-path; default
# .build) builds in another folder, so the cluster's build does not race another build of the tree.
# FLASHSALE_BIN=DIR skips the build and runs the config-center, flashsale-unit and herd already built in DIR, for
# example a debug build: `swift build && FLASHSALE_BIN=$(swift build --show-bin-path) deploy/local-cluster.sh`.
# Give `down`, `status` and `reset` the same FLASHSALE_RUN (and FLASHSALE_BIN) as `up`.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=(swift build -c release ${SCRATCH_PATH:+--scratch-path "$SCRATCH_PATH"})
RUN=${FLASHSALE_RUN:-$ROOT/deploy/run}
CENTER_PORT=${CENTER_PORT:-7000}
if [ "${PLAIN_HTTP:-0}" = 1 ]; then SCHEME=http; else SCHEME=https; fi
export FLASHSALE_CENTER="$SCHEME://127.0.0.1:$CENTER_PORT"
TLS_DIR=$RUN/tls
# id region port
UNITS=("eu-west-1 eu-west 8101" "eu-west-2 eu-west 8102" "us-east-1 us-east 8201" "ap-south-1 ap-south 8301")

say() { printf '%s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_port() {
    local port=$1 name=$2
    for _ in $(seq 1 100); do
        port_open "$port" && return 0
        sleep 0.1
    done
    die "$name did not start on port $port; see $RUN/logs/$name.log"
}

stop_all() {
    [ -d "$RUN/pids" ] || return 0
    local pid
    for file in "$RUN"/pids/*; do
        [ -e "$file" ] || continue
        pid=$(cat "$file")
        if kill -0 "$pid" 2>/dev/null; then
            kill -TERM "$pid" 2>/dev/null || true
            for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
            kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
        fi
        rm -f "$file"
    done
}

# BIN: where config-center, flashsale-unit and herd are (FLASHSALE_BIN, or swift build's release folder).
bin_path() {
    if [ -n "${FLASHSALE_BIN:-}" ]; then
        BIN=$(cd "$FLASHSALE_BIN" 2>/dev/null && pwd) || die "FLASHSALE_BIN=$FLASHSALE_BIN is not a folder"
        for tool in config-center flashsale-unit; do
            [ -x "$BIN/$tool" ] || die "no $tool in FLASHSALE_BIN=$FLASHSALE_BIN"
        done
    else
        BIN=$(cd "$ROOT" && "${BUILD[@]}" --show-bin-path)
    fi
}

install_prerequisites() {
    command -v swift >/dev/null || die "the Swift toolchain (swift) is not on PATH"
    if [ ! -f /usr/include/sqlite3.h ]; then
        if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
            say "installing libsqlite3-dev"
            apt-get update -qq && apt-get install -y -qq libsqlite3-dev >/dev/null
        else
            die "SQLite headers missing: install libsqlite3-dev (sudo apt-get install libsqlite3-dev)"
        fi
    fi
}

up() {
    install_prerequisites
    mkdir -p "$RUN/pids" "$RUN/logs"
    if [ -n "${FLASHSALE_BIN:-}" ]; then
        say "using the binaries in $FLASHSALE_BIN (FLASHSALE_BIN: no build)"
    else
        say "building (release; the first build takes about 15 minutes on 2 cores, output in $RUN/logs/build.log)..."
        if ! (cd "$ROOT" && "${BUILD[@]}" --product config-center && "${BUILD[@]}" --product flashsale-unit \
            && "${BUILD[@]}" --product herd && "${BUILD[@]}" --product FaultShim) \
            >"$RUN/logs/build.log" 2>&1; then
            tail -30 "$RUN/logs/build.log" >&2
            die "build failed; see $RUN/logs/build.log"
        fi
    fi
    bin_path
    stop_all
    for port in "$CENTER_PORT" 8101 8102 8201 8301; do
        port_open "$port" && die "port $port is already in use on 127.0.0.1"
    done

    # Secrets, made once and kept with the data, readable by you only: the cluster secret that authenticates gossip
    # between units; the orders credential fulfilment consumers read the units' order logs with; the webhook secret
    # the payment provider signs its callbacks with.
    for secret in cluster-secret orders.credential payment-webhook.secret; do
        if [ ! -s "$RUN/$secret" ]; then
            (umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$RUN/$secret")
        fi
    done

    # TLS: a throwaway CA and a certificate per process, made once and kept with the data (keys readable by you
    # only); every server presents its own, every client (units, CLI, herd) trusts the CA and nothing else.
    local names=(center)
    for spec in "${UNITS[@]}"; do read -r id _ _ <<<"$spec"; names+=("$id"); done
    if [ "$SCHEME" = https ]; then
        "$ROOT/deploy/tls-certs.sh" "$TLS_DIR" "${names[@]}" || die "could not make the TLS certificates in $TLS_DIR"
        export FLASHSALE_CA_FILE="$TLS_DIR/ca.pem"
    fi
    tls_flags() {  # the flags that make process $1 serve HTTPS with its own certificate, or plain HTTP
        if [ "$SCHEME" = https ]; then
            printf '%s\n' --tls-cert "$TLS_DIR/$1.pem" --tls-key "$TLS_DIR/$1.key"
        else
            printf '%s\n' --plain-http
        fi
    }
    mapfile -t center_tls < <(tls_flags center)
    nohup "$BIN/config-center" serve --listen "127.0.0.1:$CENTER_PORT" --data "$RUN/center" \
        --cluster-secret-file "$RUN/cluster-secret" "${center_tls[@]}" >"$RUN/logs/center.log" 2>&1 &
    echo $! >"$RUN/pids/center"
    wait_port "$CENTER_PORT" center
    # At its first start the config-center writes its first admin's credential (mode 0600); the CLI reads it from
    # FLASHSALE_CREDENTIAL_FILE.
    export FLASHSALE_CREDENTIAL_FILE="$RUN/center/admin.credential"
    [ -s "$FLASHSALE_CREDENTIAL_FILE" ] || die "no admin credential in $FLASHSALE_CREDENTIAL_FILE; see $RUN/logs/center.log"
    "$BIN/config-center" apply "$ROOT/config-center/cluster.yaml" >/dev/null

    for spec in "${UNITS[@]}"; do
        read -r id region port <<<"$spec"
        # Enrolment: the unit's public key (its key pair is made in its data folder) and URL, given by the admin.
        key=$("$BIN/flashsale-unit" key --data "$RUN/units/$id")
        "$BIN/config-center" unit add "$id" --region "$region" --url "$SCHEME://127.0.0.1:$port" --public-key "$key" >/dev/null
        mapfile -t unit_tls < <(tls_flags "$id")
        nohup "$BIN/flashsale-unit" --id "$id" --region "$region" --listen "127.0.0.1:$port" \
            --data "$RUN/units/$id" --center "$FLASHSALE_CENTER" --cluster-secret-file "$RUN/cluster-secret" \
            --orders-credential-file "$RUN/orders.credential" --payment-webhook-secret-file "$RUN/payment-webhook.secret" \
            "${unit_tls[@]}" >"$RUN/logs/$id.log" 2>&1 &
        echo $! >"$RUN/pids/$id"
    done
    for spec in "${UNITS[@]}"; do
        read -r id _ port <<<"$spec"
        wait_port "$port" "$id"
    done
    # Each unit's first signed heartbeat (every second) shows it as seen.
    for _ in $(seq 1 50); do
        "$BIN/config-center" unit list | grep -q never || break
        sleep 0.2
    done
    "$BIN/config-center" apply "$ROOT/config-center/demo-sale.yaml"
    sleep 1
    say ""
    "$BIN/config-center" status demo-phone
    say ""
    say "config-center: $FLASHSALE_CENTER"
    if [ "$SCHEME" = https ]; then
        say "TLS: every link is HTTPS; the throwaway CA is $FLASHSALE_CA_FILE (the CLI and herd read it from"
        say "  FLASHSALE_CA_FILE: export FLASHSALE_CA_FILE=$FLASHSALE_CA_FILE; curl --cacert $FLASHSALE_CA_FILE;"
        say "  a browser: import it as an authority, or accept the certificate once per endpoint)"
    else
        say "TLS: none (PLAIN_HTTP=1): tokens, credentials and gossip travel in clear"
    fi
    say "admin credential: $FLASHSALE_CREDENTIAL_FILE (readable by you only; the CLI and herd read it from"
    say "  FLASHSALE_CREDENTIAL_FILE: export FLASHSALE_CREDENTIAL_FILE=$FLASHSALE_CREDENTIAL_FILE;"
    say "  the dashboard $FLASHSALE_CENTER/dashboard asks for it, or for a viewer's: config-center operator add NAME --role viewer)"
    say "orders credential: $RUN/orders.credential (fulfilment consumers: GET /v1/orders with"
    say "  Authorization: Bearer <it>; herd reads it from FLASHSALE_ORDERS_CREDENTIAL_FILE)"
    say "payment webhook secret: $RUN/payment-webhook.secret (the payment provider signs POST /v1/orders/{id}/pay with it)"
    say "regional endpoints:"
    for spec in "${UNITS[@]}"; do
        read -r id region port <<<"$spec"
        say "  $region  $id  $SCHEME://127.0.0.1:$port"
    done
    say ""
    say "try:  TOKEN=\$($BIN/config-center token mint --user alice --region eu-west)"
    local cacert=""
    [ "$SCHEME" = https ] && cacert="--cacert \$FLASHSALE_CA_FILE "
    say "      curl -s ${cacert}-X POST -H \"Authorization: Bearer \$TOKEN\" $SCHEME://127.0.0.1:8101/v1/sales/demo-phone/purchases"
    say "      (a 421 wrong-unit answer names the eu-west unit that serves alice: buy there)"
    say "      curl -s ${cacert}$SCHEME://127.0.0.1:8101/v1/sales/demo-phone"
    say "      $BIN/config-center status demo-phone     (report demo-phone: the sale's account)"
    local same=""
    [ -n "${FLASHSALE_RUN:-}" ] && same+="FLASHSALE_RUN=$FLASHSALE_RUN "
    [ -n "${FLASHSALE_BIN:-}" ] && same+="FLASHSALE_BIN=$FLASHSALE_BIN "
    [ "$SCHEME" = http ] && same+="PLAIN_HTTP=1 "
    say "stop: ${same}deploy/local-cluster.sh down     (logs and data: $RUN)"
}

case "${1:-up}" in
    up) up ;;
    down) stop_all; say "stopped" ;;
    status)
        bin_path
        [ "$SCHEME" = https ] && export FLASHSALE_CA_FILE="$TLS_DIR/ca.pem"
        FLASHSALE_CREDENTIAL_FILE="$RUN/center/admin.credential" "$BIN/config-center" status demo-phone ;;
    reset) stop_all; rm -rf "$RUN"; say "stopped and removed $RUN" ;;
    *) die "usage: deploy/local-cluster.sh [up|down|status|reset]" ;;
esac
