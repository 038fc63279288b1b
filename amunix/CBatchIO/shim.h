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
