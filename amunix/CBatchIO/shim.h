// sendmmsg and recvmmsg for FrameBatch. Glibc declares them only under
// _GNU_SOURCE, which Swift's Glibc module is not built with, so they are
// reached here through syscall(2) with the kernel's own struct layout.
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

struct amx_mmsghdr {
    struct msghdr msg_hdr;
    unsigned int msg_len;
};

static inline int amx_sendmmsg(int fd, struct amx_mmsghdr *v, unsigned int n, int flags) {
    return (int)syscall(SYS_sendmmsg, fd, v, n, flags);
}

static inline int amx_recvmmsg(int fd, struct amx_mmsghdr *v, unsigned int n, int flags) {
    return (int)syscall(SYS_recvmmsg, fd, v, n, flags, (void *)0);
}
