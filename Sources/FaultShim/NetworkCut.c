// Cuts one process off from some TCP addresses, for `herd --faults cut-region`: loaded with LD_PRELOAD into every
// process of a cluster herd starts on loopback, where the kernel cannot tell the processes' traffic apart (every
// connection comes from 127.0.0.1). herd writes to each process the listening addresses of the other side of a
// cut: the units of a cut region get every address outside it (the config-center's, other regions' units'), every
// other process the addresses of the cut region's units. A connect to a listed address fails at once
// (ENETUNREACH, as when a router reports the network unreachable), and a connection already open to one fails its
// next read or write (ECONNRESET). That fails fast, as when a router reports the network unreachable or a
// firewall resets; a link that silently drops packets (timeouts instead of errors) is what the network-namespace
// regions' links do (deploy/netns-cluster.sh). Only the side that connected checks: the addresses listed are listening ones,
// so the accepting side's peers (ephemeral ports) are never listed, and buyers, who run no shim, still reach the
// cut region's units.
//
// The file named by FLASHSALE_FAULT_NET_FILE holds "host:port" entries separated by white space (IPv4, at most
// 64), empty when nothing is cut; read again at most every 20 ms and acknowledged in "<file>.ack" (ShimFile.c).
// Without the variable nothing is cut.

#define _GNU_SOURCE
#include "ShimFile.h"

#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#define CUT_MAX 64

// Each entry is (IPv4 address << 16) | port, both in host order. A reader may see a list half rewritten while a
// cut starts or ends: a connection that slips through in that 20 ms window is as a packet that was in flight.
static _Atomic uint64_t cut_entries[CUT_MAX];
static _Atomic int cut_count;
static struct shim_file cut_file = SHIM_FILE("FLASHSALE_FAULT_NET_FILE");

__attribute__((constructor)) static void network_cut_setup(void) { shim_file_setup(&cut_file); }

// Takes the list from the file when it is due, and acknowledges it (the text as read, entries it could not parse
// included: herd writes only entries it can).
static void refresh_cut(void) {
    char text[CUT_MAX * 24];
    if (shim_file_read(&cut_file, text, sizeof text) < 0) return;
    int saved = errno;
    char copy[sizeof text];
    memcpy(copy, text, sizeof text);
    int count = 0;
    char *save = NULL;
    for (char *entry = strtok_r(text, " \t\r\n", &save); entry != NULL && count < CUT_MAX;
         entry = strtok_r(NULL, " \t\r\n", &save)) {
        char *colon = strrchr(entry, ':');
        if (colon == NULL) continue;
        *colon = 0;
        struct in_addr address;
        char *end = NULL;
        long port = strtol(colon + 1, &end, 10);
        if (inet_pton(AF_INET, entry, &address) != 1 || end == colon + 1 || *end != 0 || port < 1 || port > 65535) continue;
        uint64_t key = ((uint64_t)ntohl(address.s_addr) << 16) | (uint64_t)port;
        atomic_store_explicit(&cut_entries[count], key, memory_order_relaxed);
        count += 1;
    }
    atomic_store_explicit(&cut_count, count, memory_order_release);
    shim_file_done(&cut_file, copy);
    errno = saved;
}

static int is_cut_address(const struct sockaddr *address, socklen_t length) {
    if (address == NULL || length < (socklen_t)sizeof(struct sockaddr_in) || address->sa_family != AF_INET) return 0;
    const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)address;
    uint64_t key = ((uint64_t)ntohl(in->sin_addr.s_addr) << 16) | (uint64_t)ntohs(in->sin_port);
    int count = atomic_load_explicit(&cut_count, memory_order_acquire);
    for (int index = 0; index < count; index += 1) {
        if (atomic_load_explicit(&cut_entries[index], memory_order_relaxed) == key) return 1;
    }
    return 0;
}

// Whether `fd` is a socket connected to a cut address. While nothing is cut it costs the refresh (a coarse clock
// read from the vDSO); while something is, a getpeername system call too, on every read and write of the process.
static int is_cut_socket(int fd) {
    refresh_cut();
    if (atomic_load_explicit(&cut_count, memory_order_acquire) == 0) return 0;
    int saved = errno;
    struct sockaddr_storage peer;
    socklen_t length = sizeof peer;
    int cut = getpeername(fd, (struct sockaddr *)&peer, &length) == 0
        && is_cut_address((const struct sockaddr *)&peer, length);
    errno = saved;
    return cut;
}

// The next definition of `name` (libc's), looked up once.
#define REAL(name) \
    static _Atomic(__typeof__(&name)) real_##name##_ptr; \
    static __typeof__(&name) real_##name(void) { \
        __typeof__(&name) fn = atomic_load_explicit(&real_##name##_ptr, memory_order_acquire); \
        if (fn == NULL) { \
            fn = (__typeof__(&name))dlsym(RTLD_NEXT, #name); \
            atomic_store_explicit(&real_##name##_ptr, fn, memory_order_release); \
        } \
        return fn; \
    }

REAL(connect)
REAL(read)
REAL(write)
REAL(readv)
REAL(writev)
REAL(recv)
REAL(send)
REAL(recvmsg)
REAL(sendmsg)

int connect(int fd, const struct sockaddr *address, socklen_t length) {
    refresh_cut();
    if (is_cut_address(address, length)) {
        errno = ENETUNREACH;
        return -1;
    }
    return real_connect()(fd, address, length);
}

#define CUT_OR(call) \
    do { \
        if (is_cut_socket(fd)) { \
            errno = ECONNRESET; \
            return -1; \
        } \
        return call; \
    } while (0)

ssize_t read(int fd, void *buffer, size_t size) { CUT_OR(real_read()(fd, buffer, size)); }
ssize_t write(int fd, const void *buffer, size_t size) { CUT_OR(real_write()(fd, buffer, size)); }
ssize_t readv(int fd, const struct iovec *vector, int count) { CUT_OR(real_readv()(fd, vector, count)); }
ssize_t writev(int fd, const struct iovec *vector, int count) { CUT_OR(real_writev()(fd, vector, count)); }
ssize_t recv(int fd, void *buffer, size_t size, int flags) { CUT_OR(real_recv()(fd, buffer, size, flags)); }
ssize_t send(int fd, const void *buffer, size_t size, int flags) { CUT_OR(real_send()(fd, buffer, size, flags)); }
ssize_t recvmsg(int fd, struct msghdr *message, int flags) { CUT_OR(real_recvmsg()(fd, message, flags)); }
ssize_t sendmsg(int fd, const struct msghdr *message, int flags) { CUT_OR(real_sendmsg()(fd, message, flags)); }
