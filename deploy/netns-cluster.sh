#!/usr/bin/env bash
# Regions with real network latency on one Linux host: one network namespace per region, joined to the host by
# veth links on a bridge, with `tc netem` delay on each region's link. The config-center runs on the host; each
# region's units run inside their namespace. Needs root and iproute2 (ip, tc).
#
#   deploy/netns-cluster.sh up       create namespaces and links, start everything, apply the demo sale
#   deploy/netns-cluster.sh down     stop everything (by PID) and delete the namespaces and the bridge
#   deploy/netns-cluster.sh ping     TCP connect times between the regions
#
# Delay per region's link, each way (DELAY_EU, DELAY_US, DELAY_AP in ms; 20, 30, 40): a packet between two regions
# crosses both links, so round trips between regions are 2 x (a + b): 100, 120 and 140 ms with the defaults, and
# 40-80 ms between the config-center and a region. Units of one region share a namespace: no delay between them.
# NO_DELAY=1 leaves the delay out (for kernels without sch_netem). FLASHSALE_BIN names a folder with config-center and flashsale-unit (default: a release build); PREFIX (fs)
# names the namespaces and links; data and logs live in deploy/run-netns/ (or $FLASHSALE_RUN).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUN=${FLASHSALE_RUN:-$ROOT/deploy/run-netns}
PREFIX=${PREFIX:-fs}
BRIDGE="${PREFIX}br0"
NET=${NET:-10.77.0}
CENTER_ADDR="$NET.1"
export FLASHSALE_CENTER="http://$CENTER_ADDR:7000"
# region delay-ms host-number units(id:port,...)
REGIONS=(
    "eu-west ${DELAY_EU:-20} 11 eu-west-1:8101,eu-west-2:8102"
    "us-east ${DELAY_US:-30} 21 us-east-1:8201"
    "ap-south ${DELAY_AP:-40} 31 ap-south-1:8301"
)

say() { printf '%s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }
ns() { printf '%s-%s' "$PREFIX" "$1"; }
link() { printf '%s%s' "$PREFIX" "${1%%-*}"; }   # host side of a region's veth, e.g. fseu (interface names are short)

binaries() {
    if [ -n "${FLASHSALE_BIN:-}" ]; then BIN=$FLASHSALE_BIN; return; fi
    say "building release..."
    (cd "$ROOT" && swift build -c release >/dev/null 2>&1) || (cd "$ROOT" && swift build -c release)
    BIN=$(cd "$ROOT" && swift build -c release --show-bin-path)
}

wait_http() {  # wait_http NAMESPACE URL NAME
    for _ in $(seq 1 150); do
        if [ -n "$1" ]; then ip netns exec "$1" curl -s -o /dev/null "$2" && return 0
        else curl -s -o /dev/null "$2" && return 0; fi
        sleep 0.1
    done
    die "$3 did not answer at $2; see $RUN/logs/$3.log"
}

network_up() {
    ip link add "$BRIDGE" type bridge
    ip addr add "$CENTER_ADDR/24" dev "$BRIDGE"
    ip link set "$BRIDGE" up
    for spec in "${REGIONS[@]}"; do
        read -r region delay host _ <<<"$spec"
        local space; space=$(ns "$region")
        local outer; outer=$(link "$region")
        ip netns add "$space"
        ip link add "$outer" type veth peer name eth0 netns "$space"
        ip link set "$outer" master "$BRIDGE" up
        ip -n "$space" addr add "$NET.$host/24" dev eth0
        ip -n "$space" link set lo up
        ip -n "$space" link set eth0 up
        # Delay both ways on the region's link: into the region on the host side, out of it inside.
        [ "${NO_DELAY:-0}" = 1 ] && continue
        if ! tc qdisc add dev "$outer" root netem delay "${delay}ms" 2>/dev/null; then
            network_down
            die "this kernel has no netem qdisc (sch_netem): regions cannot get their delay here; NO_DELAY=1 runs them without"
        fi
        ip netns exec "$space" tc qdisc add dev eth0 root netem delay "${delay}ms"
    done
}

network_down() {
    for spec in "${REGIONS[@]}"; do
        read -r region _ <<<"$spec"
        ip netns del "$(ns "$region")" 2>/dev/null || true
        ip link del "$(link "$region")" 2>/dev/null || true
    done
    ip link del "$BRIDGE" 2>/dev/null || true
}

stop_all() {
    [ -d "$RUN/pids" ] || return 0
    for file in "$RUN"/pids/*; do
        [ -e "$file" ] || continue
        local pid; pid=$(cat "$file")
        if kill -0 "$pid" 2>/dev/null; then
            kill -TERM "$pid" 2>/dev/null || true
            for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
            kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
        fi
        rm -f "$file"
    done
}

up() {
    [ "$(id -u)" = 0 ] || die "run as root: namespaces and tc need it"
    command -v ip >/dev/null && command -v tc >/dev/null || die "install iproute2 (ip, tc)"
    binaries
    stop_all
    network_down
    network_up
    mkdir -p "$RUN/logs" "$RUN/pids"
    [ -f "$RUN/cluster-secret" ] || head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$RUN/cluster-secret"
    "$BIN/config-center" serve --listen "$CENTER_ADDR:7000" --data "$RUN/center" \
        --cluster-secret-file "$RUN/cluster-secret" >"$RUN/logs/center.log" 2>&1 &
    echo $! > "$RUN/pids/center"
    wait_http "" "$FLASHSALE_CENTER/healthz" center
    for spec in "${REGIONS[@]}"; do
        read -r region _ _ _ <<<"$spec"
        "$BIN/config-center" region add "$region" >/dev/null
    done
    for spec in "${REGIONS[@]}"; do
        read -r region _ host units <<<"$spec"
        local space; space=$(ns "$region")
        for unit in ${units//,/ }; do
            local id=${unit%%:*} port=${unit##*:}
            ip netns exec "$space" "$BIN/flashsale-unit" --id "$id" --region "$region" \
                --listen "$NET.$host:$port" --data "$RUN/units/$id" --center "$FLASHSALE_CENTER" \
                --cluster-secret-file "$RUN/cluster-secret" >"$RUN/logs/$id.log" 2>&1 &
            echo $! > "$RUN/pids/$id"
            wait_http "$space" "http://$NET.$host:$port/healthz" "$id"
        done
    done
    for _ in $(seq 1 50); do "$BIN/config-center" unit list | grep -q never || break; sleep 0.2; done
    "$BIN/config-center" apply "$ROOT/config-center/demo-sale.yaml"
    say ""
    say "config-center: $FLASHSALE_CENTER (host)"
    for spec in "${REGIONS[@]}"; do
        read -r region delay host units <<<"$spec"
        local note="link delay ${delay} ms each way"
        [ "${NO_DELAY:-0}" = 1 ] && note="no delay"
        for unit in ${units//,/ }; do say "  $region  ${unit%%:*}  http://$NET.$host:${unit##*:}  ($note)"; done
    done
    say "stop: deploy/netns-cluster.sh down     (logs and data: $RUN)"
}

ping_all() {  # TCP connect time from each region to the others' first unit (curl; no ping needed)
    for spec in "${REGIONS[@]}"; do
        read -r region _ _ _ <<<"$spec"
        for other in "${REGIONS[@]}"; do
            read -r to _ to_host to_units <<<"$other"
            [ "$region" != "$to" ] || continue
            local first=${to_units%%,*}
            printf '%-9s -> %-9s connect %s s\n' "$region" "$to" "$(ip netns exec "$(ns "$region")" \
                curl -s -o /dev/null -w '%{time_connect}' "http://$NET.$to_host:${first##*:}/healthz")"
        done
    done
}

case "${1:-up}" in
    up) up ;;
    down) stop_all; network_down; say "stopped" ;;
    ping) ping_all ;;
    *) die "usage: deploy/netns-cluster.sh [up|down|ping]" ;;
esac
