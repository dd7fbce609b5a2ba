#!/usr/bin/env bash
# Regions with real network latency on one Linux host: one network namespace per region, joined to the host by
# veth links on a bridge, with `tc netem` delay on each region's link. The config-center runs on the host; each
# region's units run inside their namespace. Needs root and iproute2 (ip, tc).
#
# On a kernel without the netem qdisc (sch_netem), each region's link is instead a pair of TUN interfaces joined by
# deploy/delay-link.py, which carries every packet across after the same delay (python3 needed), and the host
# forwards between regions (net.ipv4.ip_forward=1). The kernel's own TCP runs over either link; LINK=netem or
# LINK=userspace chooses, LINK=auto (default) takes netem when the kernel has it.
#
#   deploy/netns-cluster.sh up       create namespaces and links, start everything, apply the demo sale
#   deploy/netns-cluster.sh down     stop everything (by PID) and delete the namespaces and the bridge
#   deploy/netns-cluster.sh ping     TCP connect times between the regions
#
# Delay per region's link, each way (DELAY_EU, DELAY_US, DELAY_AP in ms; 20, 30, 40): a packet between two regions
# crosses both links, so round trips between regions are 2 x (a + b): 100, 120 and 140 ms with the defaults, and
# 40-80 ms between the config-center and a region. Units of one region share a namespace: no delay between them.
# NO_DELAY=1 leaves the delay out (plain veth links). FLASHSALE_BIN names a folder with config-center and
# flashsale-unit (default: a release build); PREFIX (fs) names the namespaces and links, NET (10.77.0) their
# addresses; SALE_FILE (config-center/demo-sale.yaml) is applied once all units are up ("none": no sale); data and
# logs live in deploy/run-netns/ (or $FLASHSALE_RUN).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUN=${FLASHSALE_RUN:-$ROOT/deploy/run-netns}
PREFIX=${PREFIX:-fs}
BRIDGE="${PREFIX}br0"
NET=${NET:-10.77.0}
SALE_FILE=${SALE_FILE:-$ROOT/config-center/demo-sale.yaml}
LINK=${LINK:-auto}
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
    if [ "${NO_DELAY:-0}" = 1 ]; then LINK=none; fi
    if [ "$LINK" = auto ]; then LINK=userspace; has_netem && LINK=netem; fi
    if [ "$LINK" = userspace ]; then userspace_links_up; return; fi
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
        [ "$LINK" = netem ] || continue
        if ! tc qdisc add dev "$outer" root netem delay "${delay}ms" 2>/dev/null; then
            network_down
            die "this kernel has no netem qdisc (sch_netem); LINK=userspace (or auto) delays the links in user space"
        fi
        ip netns exec "$space" tc qdisc add dev eth0 root netem delay "${delay}ms"
    done
}

has_netem() {  # whether the kernel takes a netem qdisc (tried on a throwaway dummy interface)
    local probe="${PREFIX}probe"
    ip link add "$probe" type dummy 2>/dev/null || return 1
    local ok=1
    tc qdisc add dev "$probe" root netem delay 1ms 2>/dev/null && ok=0
    ip link del "$probe" 2>/dev/null || true
    return "$ok"
}

# Each region: a TUN pair joined by delay-link.py (one process per link, its PID kept with the others), the inner
# end moved into the region's namespace as eth0. Point-to-point addresses: the host side is the config-center's
# address, and the host routes between regions, so a packet between two regions crosses both links' delay.
userspace_links_up() {
    command -v python3 >/dev/null || die "LINK=userspace needs python3"
    sysctl -qw net.ipv4.ip_forward=1
    mkdir -p "$RUN/pids" "$RUN/logs"
    for spec in "${REGIONS[@]}"; do
        read -r region delay host _ <<<"$spec"
        local space; space=$(ns "$region")
        local outer; outer=$(link "$region")
        local inner="${outer}in"
        ip netns add "$space"
        python3 "$ROOT/deploy/delay-link.py" "$outer" "$inner" "$delay" >"$RUN/logs/link-$region.log" 2>&1 &
        echo $! > "$RUN/pids/link-$region"
        for _ in $(seq 1 100); do grep -q ready "$RUN/logs/link-$region.log" && break; sleep 0.1; done
        grep -q ready "$RUN/logs/link-$region.log" || { network_down; die "delay link for $region did not start; see $RUN/logs/link-$region.log"; }
        ip link set "$inner" netns "$space"
        ip -n "$space" link set "$inner" name eth0
        ip addr add "$CENTER_ADDR/32" peer "$NET.$host/32" dev "$outer"
        ip link set "$outer" up
        ip -n "$space" addr add "$NET.$host/32" peer "$CENTER_ADDR/32" dev eth0
        ip -n "$space" link set lo up
        ip -n "$space" link set eth0 up
        ip -n "$space" route add "$NET.0/24" dev eth0
    done
}

network_down() {
    for file in "$RUN"/pids/link-*; do  # delay links: their TUN interfaces go with the process
        [ -e "$file" ] || continue
        kill -TERM "$(cat "$file")" 2>/dev/null || true
        rm -f "$file"
    done
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
    # The cluster secret (gossip), the orders credential (reading order logs) and the payment webhook secret.
    for secret in cluster-secret orders.credential payment-webhook.secret; do
        [ -s "$RUN/$secret" ] || (umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$RUN/$secret")
    done
    # Plain HTTP, said out loud: this lab measures latency between regions on one host's private namespaces;
    # deploy/local-cluster.sh shows the cluster over TLS.
    "$BIN/config-center" serve --listen "$CENTER_ADDR:7000" --data "$RUN/center" --plain-http \
        --cluster-secret-file "$RUN/cluster-secret" >"$RUN/logs/center.log" 2>&1 &
    echo $! > "$RUN/pids/center"
    wait_http "" "$FLASHSALE_CENTER/healthz" center
    # The first admin's credential, written by the config-center at its first start; the CLI reads it from here.
    export FLASHSALE_CREDENTIAL_FILE="$RUN/center/admin.credential"
    for spec in "${REGIONS[@]}"; do
        read -r region _ _ _ <<<"$spec"
        "$BIN/config-center" region add "$region" >/dev/null
    done
    for spec in "${REGIONS[@]}"; do
        read -r region _ host units <<<"$spec"
        local space; space=$(ns "$region")
        for unit in ${units//,/ }; do
            local id=${unit%%:*} port=${unit##*:} key
            # Enrolment: the unit's public key (made in its data folder) and URL, given by the admin.
            key=$("$BIN/flashsale-unit" key --data "$RUN/units/$id")
            "$BIN/config-center" unit add "$id" --region "$region" --url "http://$NET.$host:$port" --public-key "$key" >/dev/null
            ip netns exec "$space" "$BIN/flashsale-unit" --id "$id" --region "$region" \
                --listen "$NET.$host:$port" --data "$RUN/units/$id" --center "$FLASHSALE_CENTER" \
                --cluster-secret-file "$RUN/cluster-secret" --orders-credential-file "$RUN/orders.credential" \
                --payment-webhook-secret-file "$RUN/payment-webhook.secret" --plain-http >"$RUN/logs/$id.log" 2>&1 &
            echo $! > "$RUN/pids/$id"
            wait_http "$space" "http://$NET.$host:$port/healthz" "$id"
        done
    done
    for _ in $(seq 1 50); do "$BIN/config-center" unit list | grep -q never || break; sleep 0.2; done
    [ "$SALE_FILE" = none ] || "$BIN/config-center" apply "$SALE_FILE"
    say ""
    say "config-center: $FLASHSALE_CENTER (host); admin credential: $FLASHSALE_CREDENTIAL_FILE"
    for spec in "${REGIONS[@]}"; do
        read -r region delay host units <<<"$spec"
        local note="link delay ${delay} ms each way ($LINK)"
        [ "$LINK" = none ] && note="no delay"
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
