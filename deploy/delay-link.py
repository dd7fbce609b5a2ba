#!/usr/bin/env python3
"""A network link with a fixed one-way delay, in user space, for kernels without the netem qdisc.

    delay-link.py NAME_A NAME_B DELAY_MS

Creates two TUN interfaces, NAME_A and NAME_B, and carries every IP packet read from one to the other DELAY_MS
milliseconds later, in order, in both directions: a point-to-point wire with latency. The caller moves one end
into a network namespace and gives both ends addresses and routes (deploy/netns-cluster.sh does); the kernel's
own TCP runs over it, so connects, retransmits and HTTP see the delay as they would across regions. The file
descriptors stay attached when an interface moves to another namespace, so one process serves both ends.
Prints "ready" once both interfaces exist; both vanish when it exits (SIGTERM or SIGINT).
"""
import fcntl
import heapq
import os
import select
import signal
import struct
import sys
import time

TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000
MTU_READ = 65536
# Packets held at once, per direction: past it the link drops, as a full queue would (a bound on memory).
QUEUE_LIMIT = 100_000


def open_tun(name: str) -> int:
    fd = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH22x", name.encode(), IFF_TUN | IFF_NO_PI))
    os.set_blocking(fd, False)
    return fd


def main() -> int:
    if len(sys.argv) != 4:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    name_a, name_b, delay_ms = sys.argv[1], sys.argv[2], float(sys.argv[3])
    if not 0 <= delay_ms <= 10_000:
        print("DELAY_MS must be between 0 and 10000", file=sys.stderr)
        return 2
    delay = delay_ms / 1000.0
    fd_a, fd_b = open_tun(name_a), open_tun(name_b)
    other = {fd_a: fd_b, fd_b: fd_a}
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print("ready", flush=True)
    # (due time, sequence, destination fd, packet): the sequence keeps packets of one instant in arrival order.
    pending: list[tuple[float, int, int, bytes]] = []
    queued = {fd_a: 0, fd_b: 0}
    sequence = 0
    while True:
        timeout = max(0.0, pending[0][0] - time.monotonic()) if pending else None
        readable, _, _ = select.select([fd_a, fd_b], [], [], timeout)
        now = time.monotonic()
        for fd in readable:
            while True:
                try:
                    packet = os.read(fd, MTU_READ)
                except BlockingIOError:
                    break
                destination = other[fd]
                if queued[destination] >= QUEUE_LIMIT:
                    continue
                sequence += 1
                queued[destination] += 1
                heapq.heappush(pending, (now + delay, sequence, destination, packet))
        now = time.monotonic()
        while pending and pending[0][0] <= now:
            _, _, destination, packet = heapq.heappop(pending)
            queued[destination] -= 1
            try:
                os.write(destination, packet)
            except (BlockingIOError, OSError):
                pass  # the interface is down or its queue full: the packet is lost, as on a wire


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(0)
