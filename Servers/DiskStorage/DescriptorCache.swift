// Open files kept between calls. A 50 MB get is some 1,700 READs of one
// object and a put as many MODIFYs of one draft; opening the file by its
// path for each request and closing it after cost a path walk and two
// more system calls every time, under the lock every request of the
// server waits for. So the store keeps the descriptors it opened last, a
// few per purpose (reading objects, writing drafts), and closes the one
// used least recently when it needs room: a server with many files in
// use opens them again now and then, never runs out of descriptors.
//
// A descriptor names a file, not a path: once a key's file is replaced
// (renamed over) or removed, a kept descriptor would still read the old
// one. So everything in the store that changes a key's file forgets the
// key's descriptor first.

import Glibc

struct DescriptorCache {
    /// Most recently used last; a handful, so a scan beats hashing.
    private var entries: [(key: UInt32, fd: Int32)] = []
    let capacity: Int
    /// Files opened through the cache (the tests count them).
    private(set) var opens = 0

    init(capacity: Int) { self.capacity = max(1, capacity) }

    /// The kept descriptor of `key`, else the one `open` returns (kept if
    /// it is valid); -1 with errno set when that fails.
    mutating func descriptor(for key: UInt32, open: () -> Int32) -> Int32 {
        if let i = entries.lastIndex(where: { $0.key == key }) {
            let e = entries.remove(at: i)
            entries.append(e)
            return e.fd
        }
        let fd = open()
        guard fd >= 0 else { return fd }
        opens += 1
        keep(key, fd)
        return fd
    }

    /// Keeps `fd` as `key`'s descriptor (which must not have one).
    mutating func keep(_ key: UInt32, _ fd: Int32) {
        if entries.count >= capacity { Glibc.close(entries.removeFirst().fd) }
        entries.append((key, fd))
    }

    /// Closes `key`'s descriptor, if one is kept.
    mutating func forget(_ key: UInt32) {
        guard let i = entries.lastIndex(where: { $0.key == key }) else { return }
        Glibc.close(entries.remove(at: i).fd)
    }

    mutating func forgetAll() {
        for e in entries { Glibc.close(e.fd) }
        entries = []
    }

    /// How many descriptors are open.
    var count: Int { entries.count }
}
