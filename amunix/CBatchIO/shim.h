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

// A pipe and an accepted connection that a program the process starts
// does not inherit (Swift's Glibc module declares neither pipe2 nor
// accept4): a daemon's descriptor left open in a child keeps its socket
// or pipe alive for the child's whole life.
static inline int amx_pipe_cloexec(int *ends) {
    return (int)syscall(SYS_pipe2, ends, 02000000 /* O_CLOEXEC */);
}

static inline int amx_accept_cloexec(int listener) {
    return (int)syscall(SYS_accept4, listener, (void *)0, (void *)0, 02000000 /* SOCK_CLOEXEC */);
}

/// Arms `fd` to fire once at `microseconds` on CLOCK_MONOTONIC (absolute).
static inline int amx_timerfd_arm_at(int fd, long long microseconds) {
    struct { long long sec, nsec; } spec[2] = {
        { 0, 0 },
        { microseconds / 1000000, (microseconds % 1000000) * 1000 },
    };
    return (int)syscall(SYS_timerfd_settime, fd, 1 /* TFD_TIMER_ABSTIME */, (void *)spec, (void *)0);
}

// A packet socket's BPF program (SO_ATTACH_FILTER): libpcap's compiled
// instructions have the kernel's layout (code, jt, jf, k).
struct amx_sock_fprog {
    unsigned short length;
    void *instructions;
};

// PACKET_ADD_MEMBERSHIP's request (promiscuous mode for a socket's life).
struct amx_packet_mreq {
    int ifindex;
    unsigned short type;
    unsigned short addressLength;
    unsigned char address[8];
};

// What a driver blocked in recvmmsg is woken by (SignalWake.swift): a
// signal whose handler makes the socket it waits on non-blocking. A
// blocked recvmmsg the signal restarts then returns at once, and so does
// one the thread had not yet entered when the signal came, which a
// handler that merely interrupted the call would leave to sleep. The
// socket is the thread's own note (set before the wait, cleared after),
// so a late signal finds nothing to do. All of it is used from one Swift
// file only: each importing file gets its own copy of a static variable.
extern int *__errno_location(void);

static __thread int amx_wake_socket = -1;

static inline void amx_wake_on(int fd) { amx_wake_socket = fd; }

static inline void amx_wake_handler(int signo) {
    (void)signo;
    int fd = amx_wake_socket;
    if (fd < 0) return;
    int saved = *__errno_location();
    syscall(SYS_fcntl, fd, 4 /* F_SETFL */, 04000 /* O_NONBLOCK */);
    *__errno_location() = saved;
}

static inline int amx_gettid(void) { return (int)syscall(SYS_gettid); }

// A POSIX timer on CLOCK_MONOTONIC whose expiry sends `signo` to the
// thread `tid` alone (SIGEV_THREAD_ID), by the kernel's sigevent layout.
struct amx_sigevent {
    void *value;
    int signo;
    int notify;
    int tid;
    int padding[11];
};

/// The timer's id, or -1.
static inline int amx_thread_timer_create(int tid, int signo) {
    struct amx_sigevent e = { 0, signo, 4 /* SIGEV_THREAD_ID */, tid, { 0 } };
    int id = -1;
    if (syscall(SYS_timer_create, 1 /* CLOCK_MONOTONIC */, &e, &id) != 0) return -1;
    return id;
}

/// Arms the timer to fire once at `microseconds` on CLOCK_MONOTONIC.
static inline int amx_thread_timer_arm_at(int id, long long microseconds) {
    struct { long long sec, nsec; } spec[2] = {
        { 0, 0 },
        { microseconds / 1000000, (microseconds % 1000000) * 1000 },
    };
    return (int)syscall(SYS_timer_settime, id, 1 /* TIMER_ABSTIME */, (void *)spec, (void *)0);
}

static inline int amx_thread_timer_delete(int id) {
    return (int)syscall(SYS_timer_delete, id);
}

// Closing descriptors in a process of their own (SocketRelease.swift).
// Only system calls run in the new processes: the caller may have threads
// holding locks that a copy of it must never wait for. The grandchild,
// which init adopts, keeps `fds` and the read end of a pipe, and leaves
// once the caller has closed its own copies and then the pipe's write
// end; its exit then drops the last reference to each. With `gate` the
// write end is left open for the caller to close (tests): *gate is it.
// -1: nothing was started (the caller still holds `fds` and closes them
// itself); 0: `fds` are closed in the caller.
static inline int amx_close_detached(const int *fds, int count, int *gate_out) {
    int gate[2];
    int keep[9];
    if (count < 0 || count > 8) return -1;
    if (syscall(SYS_pipe2, gate, 02000000 /* O_CLOEXEC */) != 0) return -1;
    long child = syscall(SYS_clone, 17 /* SIGCHLD */, 0, 0, 0, 0);
    if (child < 0) {
        syscall(SYS_close, gate[0]);
        syscall(SYS_close, gate[1]);
        return -1;
    }
    if (child == 0) {
        // The first child only starts the grandchild and leaves, so
        // nobody need reap the grandchild.
        if (syscall(SYS_clone, 17 /* SIGCHLD */, 0, 0, 0, 0) != 0) syscall(SYS_exit_group, 0);
        int n = 0;
        for (int i = 0; i < count; i++) keep[n++] = fds[i];
        keep[n++] = gate[0];
        for (int i = 1; i < n; i++) {
            for (int j = i; j > 0 && keep[j - 1] > keep[j]; j--) {
                int t = keep[j]; keep[j] = keep[j - 1]; keep[j - 1] = t;
            }
        }
        unsigned int from = 0;
        for (int i = 0; i < n; i++) {
            if ((unsigned int)keep[i] > from) syscall(SYS_close_range, from, (unsigned int)keep[i] - 1, 0);
            from = (unsigned int)keep[i] + 1;
        }
        syscall(SYS_close_range, from, ~0U, 0);
        char c;
        while (syscall(SYS_read, gate[0], &c, 1) < 0 && *__errno_location() == 4 /* EINTR */) {}
        syscall(SYS_exit_group, 0);
    }
    syscall(SYS_close, gate[0]);
    int status;
    while (syscall(SYS_wait4, child, &status, 0, 0) < 0 && *__errno_location() == 4 /* EINTR */) {}
    for (int i = 0; i < count; i++) syscall(SYS_close, fds[i]);
    if (gate_out) *gate_out = gate[1]; else syscall(SYS_close, gate[1]);
    return 0;
}
