// The places flipdump reads frames from. Each calls `each` with a captured
// frame and its time until `each` returns false, the source ends (a file),
// or the process is interrupted.

import AmunixDaemon
import ArgumentParser
import CPcap
import FLIP
#if canImport(Glibc)
import Glibc
#endif

/// Set by SIGINT and SIGTERM: the sources look at it at least twice a
/// second and end, so -w files are whole and the count is printed.
nonisolated(unsafe) var interrupted: sig_atomic_t = 0

func stopOnSignals() {
    var action = sigaction()
    action.__sigaction_handler.sa_handler = { _ in interrupted = 1 }
    sigemptyset(&action.sa_mask)
    action.sa_flags = 0   // no SA_RESTART: a blocked poll returns at once
    sigaction(SIGINT, &action, nil)
    sigaction(SIGTERM, &action, nil)
}

enum PcapSource {
    typealias Each = (_ captured: [UInt8], _ seconds: UInt32, _ microseconds: UInt32) -> Bool

    static func read(file: String, each: Each) throws {
        var errbuf = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE))
        guard let h = pcap_open_offline(file, &errbuf) else {
            throw failure(String(cString: errbuf))
        }
        defer { pcap_close(h) }
        guard pcap_datalink(h) == DLT_EN10MB else {
            throw failure("\(file): not an Ethernet capture (link type \(pcap_datalink(h)))")
        }
        _ = try drain(h, name: file, each: each)
    }

    static func live(interface: String, each: Each) throws {
        var errbuf = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE))
        guard let h = pcap_create(interface, &errbuf) else {
            throw failure("\(interface): \(String(cString: errbuf))")
        }
        defer { pcap_close(h) }
        pcap_set_snaplen(h, 65535)
        pcap_set_promisc(h, 1)   // FLIP multicast MACs are not programmed into the card
        pcap_set_immediate_mode(h, 1)
        let status = pcap_activate(h)
        guard status >= 0 else {
            throw failure("\(interface): \(String(cString: pcap_geterr(h))) (needs root or CAP_NET_RAW)")
        }
        guard pcap_datalink(h) == DLT_EN10MB else {
            throw failure("\(interface): not an Ethernet interface")
        }
        var program = bpf_program()
        if pcap_compile(h, &program, "ether proto 0x8146 or udp", 1, PCAP_NETMASK_UNKNOWN) == 0 {
            pcap_setfilter(h, &program)
            pcap_freecode(&program)
        }
        // A blocking read would not notice a signal while the wire is
        // quiet (libpcap retries it), so wait in poll, which a signal or
        // half a second ends, and drain without blocking.
        guard pcap_setnonblock(h, 1, &errbuf) == 0 else {
            throw failure("\(interface): \(String(cString: errbuf))")
        }
        let fd = pcap_get_selectable_fd(h)
        while try drain(h, name: interface, each: each) {
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            _ = poll(&p, 1, 500)
        }
    }

    /// Hands every frame waiting to `each`. True when more may come later
    /// (a live capture is drained); false when reading is over: the end
    /// of a file, `each` has had enough, or a signal.
    private static func drain(_ h: OpaquePointer, name: String, each: Each) throws -> Bool {
        var header: UnsafeMutablePointer<pcap_pkthdr>?
        var data: UnsafePointer<UInt8>?
        while interrupted == 0 {
            let r = pcap_next_ex(h, &header, &data)
            if r == 0 { return true }
            if r == PCAP_ERROR_BREAK { return false }
            guard r == 1, let header, let data else {
                if interrupted != 0 { return false }
                throw failure("\(name): \(String(cString: pcap_geterr(h)))")
            }
            let bytes = Array(UnsafeBufferPointer(start: data, count: Int(header.pointee.caplen)))
            let ts = header.pointee.ts
            if !each(bytes, UInt32(truncatingIfNeeded: ts.tv_sec), UInt32(truncatingIfNeeded: ts.tv_usec)) { return false }
        }
        return false
    }
}

enum SegmentSource {
    static func listen(_ text: String, each: PcapSource.Each) throws {
        let spec: LinkSpec
        do { spec = try LinkSpec(parsing: text) } catch {
            throw ValidationError("--segment: \(error)")
        }
        guard case .multicast(let group, let port) = spec.kind else {
            throw ValidationError("--segment takes a multicast segment (mcast:GROUP:PORT); capture udp: and pcap: links with -i")
        }
        // A silent member: a MAC of its own so nothing it hears is dropped
        // as its own, and it never sends.
        var g = SystemRandomNumberGenerator()
        let link: UDPLink
        do {
            link = try UDPLink(name: text, group: group, port: port, interface: spec.multicastInterface,
                               ttl: spec.multicastTTL, mac: randomLocalMAC(using: &g), keyPath: spec.keyPath)
        } catch {
            throw failure("\(error)")
        }
        defer { link.close() }
        var more = true
        while more && interrupted == 0 {
            var p = pollfd(fd: link.pollDescriptor, events: Int16(POLLIN), revents: 0)
            guard poll(&p, 1, 500) >= 0 || errno == EINTR else {
                throw failure("poll: \(String(cString: strerror(errno)))")
            }
            var now = timeval()
            gettimeofday(&now, nil)
            link.receiveAll { frame in
                guard more else { return }
                more = each(frame, UInt32(truncatingIfNeeded: now.tv_sec), UInt32(truncatingIfNeeded: now.tv_usec))
            }
        }
    }
}
