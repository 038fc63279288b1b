// sync_file_range for DiskStore's drafts. Glibc declares it only under
// _GNU_SOURCE, which Swift's Glibc module is not built with, so it is
// reached through syscall(2). Linux on x86-64 and arm64 takes the four
// arguments in this order; 32-bit hosts (which split the offsets) do not
// run DiskStore.
#include <sys/syscall.h>

extern long syscall(long number, ...);

/// Starts writeback of the dirty pages of [offset, offset + count) of
/// `fd` without waiting for it (SYNC_FILE_RANGE_WRITE): a hint, never a
/// promise of durability.
static inline int cfs_start_writeback(int fd, long long offset, long long count) {
    return (int)syscall(SYS_sync_file_range, fd, offset, count, 2 /* SYNC_FILE_RANGE_WRITE */);
}
