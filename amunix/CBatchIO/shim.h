// sendmmsg and recvmmsg for FrameBatch. Glibc declares them only under
// _GNU_SOURCE, which Swift's Glibc module is not built with, so they are
// reached through syscall(2) with the kernel's struct layout spelled out
// here. Nothing from <sys/socket.h> is included: a second module owning
// that header would hide its constants from Swift code importing both.
#include <stddef.h>
#include <sys/syscall.h>

extern long syscall(long number, ...);

struct amx_iovec {
    void *base;
    size_t length;
};

struct amx_msghdr {
    void *name;
    unsigned int nameLength;
    struct amx_iovec *vectors;
    size_t vectorCount;
    void *control;
    size_t controlLength;
    int flags;
};

struct amx_mmsghdr {
    struct amx_msghdr header;
    unsigned int length;
};

static inline int amx_sendmmsg(int fd, struct amx_mmsghdr *v, unsigned int n, int flags) {
    return (int)syscall(SYS_sendmmsg, fd, v, n, flags);
}

static inline int amx_recvmmsg(int fd, struct amx_mmsghdr *v, unsigned int n, int flags) {
    return (int)syscall(SYS_recvmmsg, fd, v, n, flags, (void *)0);
}

// The transmit ring of a packet socket (PACKET_TX_RING, TPACKET_V2): the
// slot header the kernel reads, and the status word both sides hand the
// slot over with, which needs the ordering of an atomic.
struct amx_tpacket2_hdr {
    unsigned int status;
    unsigned int length;
    unsigned int snapLength;
    unsigned short mac;
    unsigned short net;
    unsigned int seconds;
    unsigned int nanoseconds;
    unsigned short vlanTCI;
    unsigned short vlanTPID;
    unsigned char padding[4];
};

struct amx_tpacket_req {
    unsigned int blockSize;
    unsigned int blockCount;
    unsigned int frameSize;
    unsigned int frameCount;
};

struct amx_sockaddr_ll {
    unsigned short family;
    unsigned short protocol;
    int ifindex;
    unsigned short hatype;
    unsigned char pkttype;
    unsigned char halen;
    unsigned char addr[8];
};

static inline unsigned int amx_load_acquire(const unsigned int *p) {
    return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static inline void amx_store_release(unsigned int *p, unsigned int v) {
    __atomic_store_n(p, v, __ATOMIC_RELEASE);
}

// epoll, which Swift's Glibc module does not carry (see LinkWait.swift).
// The event is the kernel's struct epoll_event, packed on x86-64 only.
struct amx_epoll_event {
    unsigned int events;
    unsigned long long data;
}
#if defined(__x86_64__)
__attribute__((packed))
#endif
;

static inline int amx_epoll_create(void) {
    return (int)syscall(SYS_epoll_create1, 02000000 /* EPOLL_CLOEXEC */);
}

/// Adds `fd`, readable (level-triggered), tagged `data`.
static inline int amx_epoll_add(int epfd, int fd, unsigned long long data) {
    struct amx_epoll_event e = { 1 /* EPOLLIN */, data };
    return (int)syscall(SYS_epoll_ctl, epfd, 1 /* EPOLL_CTL_ADD */, fd, &e);
}

static inline int amx_epoll_wait(int epfd, struct amx_epoll_event *events, int count, int milliseconds) {
    return (int)syscall(SYS_epoll_wait, epfd, events, count, milliseconds);
}

// A timerfd for LinkWait's deadline (Swift's Glibc module carries no
// <sys/timerfd.h>): on CLOCK_MONOTONIC, non-blocking, close-on-exec.
static inline int amx_timerfd_create(void) {
    return (int)syscall(SYS_timerfd_create, 1 /* CLOCK_MONOTONIC */, 04000 | 02000000 /* TFD_NONBLOCK | TFD_CLOEXEC */);
}

/// Arms `fd` to fire once at `microseconds` on CLOCK_MONOTONIC (absolute).
static inline int amx_timerfd_arm_at(int fd, long long microseconds) {
    struct { long long sec, nsec; } spec[2] = {
        { 0, 0 },
        { microseconds / 1000000, (microseconds % 1000000) * 1000 },
    };
    return (int)syscall(SYS_timerfd_settime, fd, 1 /* TFD_TIMER_ABSTIME */, (void *)spec, (void *)0);
}
