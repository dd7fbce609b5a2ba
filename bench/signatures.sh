#!/usr/bin/env bash
# What the trust checks cost on one core: gossip (the cluster secret's HMAC and the sender's Ed25519 signature,
# and the whole gate), a unit's signed request, a signed configuration, a payment callback. Release build, pinned to
# CPU 0 when taskset is there. Record what it prints in BENCHMARKS.md.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=(swift build -c release ${SCRATCH_PATH:+--scratch-path "$SCRATCH_PATH"})
(cd "$ROOT" && "${BUILD[@]}" --product SignatureBench >/dev/null)
BIN=$(cd "$ROOT" && "${BUILD[@]}" --show-bin-path)
if command -v taskset >/dev/null; then exec taskset -c 0 "$BIN/SignatureBench"; else exec "$BIN/SignatureBench"; fi
