// Everything the daemon is told on its command line, as one value, so the
// event loop can also be built and run inside a test process.

import AmoebaCore
import FLIP
import Group
import RPC

public struct DaemonConfiguration: Sendable {
    /// The links to open; more than one makes this host a FLIP gateway.
    public var links: [LinkSpec]
    /// The Unix-domain socket programs connect to.
    public var socketPath: String
    /// Where the host's capabilities are written (host.cap, sys.cap, ...).
    public var stateDirectory: String
    /// This host's name, shown by std_info and std_status.
    public var hostName: String
    /// Whether to serve sys, tod, random and the host directory.
    public var hostsServers = true
    /// How long SIGTERM waits for transactions in flight before exiting.
    public var drainTimeout: Interval = .seconds(10)
    /// The FLIP box's knobs (credit, locate timers).
    public var flip = DaemonConfiguration.hostFLIP
    /// The RPC machine's knobs (timers, limits).
    public var rpc = RPCConfiguration()
    /// Timers of the group members hosted for programs (grp_create and
    /// grp_join); the sizes come from grp_create's arguments.
    public var group = GroupConfiguration()
    /// Seed for addresses and ports; nil takes one from the system.
    public var seed: UInt64?

    public init(links: [LinkSpec], socketPath: String, stateDirectory: String, hostName: String) {
        self.links = links
        self.socketPath = socketPath
        self.stateDirectory = stateDirectory
        self.hostName = hostName
    }

    /// A Linux host's FLIP box: Amoeba's defaults but for the wider window
    /// it grants (`creditGrant`). amunixd, a program's own endpoint and
    /// rpc_bench core, which times their node bodies, all start from it.
    public static var hostFLIP: FLIPConfiguration {
        var flip = FLIPConfiguration()
        flip.creditGrant = creditGrant
        return flip
    }

    /// The extra window a Linux host gives each neighbour (FLIP's
    /// creditGrant), 120 frames in all: a 30000-byte transaction is 21
    /// frames, so a client with four or five in flight keeps sending while
    /// credit comes back, where Amoeba's 8 frames per round trip would cap
    /// a transfer well below the link (at 32 frames, four client threads
    /// still stalled for credit: with sendmmsg, before the TX ring, 30000-
    /// byte transactions between two endpoints ran 15-25% slower than at
    /// 128; with the ring the difference is within noise). Below 128, so that a
    /// sender keeping its credit in a signed byte never sees it wrap. A
    /// pcap link's ring (8 MB, PcapLink.swift; libpcap gives each frame of
    /// the 2048-byte snapshot a 4 KB slot, so about 2,000 frames) holds the
    /// whole window from about 17 neighbours at once; a udp: link's socket
    /// buffer (4 MB where the kernel's rmem_max allows it) from about a
    /// dozen.
    public static let creditGrant: UInt8 = 112
}
