// A process whose threads all wait in the kernel, each in a different way,
// when its main thread exits: one idle in getreq, two holding a request they
// never answer (one from the kernel, one from a thread of its own), one a
// client waiting for that reply, one a client of another process (the
// `server` program, whose reply comes after this process has gone), one
// asleep for a minute, one awaiting an interrupt that never comes. The kernel must stop them all at once, answer
// the held requests with RPC_FAILURE and free everything.
import AmoebaCore

var tag: UInt32 = 0

/// The ports the test knows: kind 1 idle, 2 held from the kernel, 3 held from a thread here.
func blockerPort(_ kind: UInt8) -> Port {
    Port(bytes: [kind, UInt8(truncatingIfNeeded: tag), 0x42, 0x4C, 0x4B, 0x21])!
}

@_cdecl("idle_server")
func idleServer(_ kind: UInt32) {
    _ = Amoeba.getRequest(blockerPort(UInt8(kind)))
    print("blocker: FAILED an idle server got a request")
    Amoeba.exitThread()
}

@_cdecl("holding_server")
func holdingServer(_ kind: UInt32) {
    _ = Amoeba.getRequest(blockerPort(UInt8(kind)))
    Amoeba.sleep(microseconds: 60_000_000)   // holds the request, never answers
    Amoeba.exitThread()
}

@_cdecl("waiting_client")
func waitingClient(_ kind: UInt32) {
    var h = Header()
    h.port = blockerPort(UInt8(kind)).putPort
    _ = Amoeba.trans(h)
    print("blocker: FAILED a client got its reply")
    Amoeba.exitThread()
}

/// Calls the `server` program started with argument `tag - 0x11`, command 4 (a slow reply).
@_cdecl("remote_client")
func remoteClient(_ unused: UInt32) {
    var h = Header()
    h.port = Port(bytes: [UInt8(truncatingIfNeeded: tag &- 0x11), 0x53, 0x45, 0x52, 0x56, 0x45])!.putPort
    h.command = 4
    _ = Amoeba.trans(h)
    print("blocker: FAILED the remote client got its reply")
    Amoeba.exitThread()
}

@_cdecl("sleeper")
func sleeper(_ unused: UInt32) {
    Amoeba.sleep(microseconds: 60_000_000)
    Amoeba.exitThread()
}

@_cdecl("awaiter")
func awaiter(_ line: UInt32) {
    _ = Amoeba.awaitInterrupt(line, timeoutMicroseconds: 60_000_000)   // COM2: nothing there
    Amoeba.exitThread()
}

func programMain(_ argument: UInt32) -> Int32 {
    tag = argument
    _ = Amoeba.startThread(idleServer, argument: 1)
    _ = Amoeba.startThread(holdingServer, argument: 2)
    _ = Amoeba.startThread(holdingServer, argument: 3)
    Amoeba.sleep(microseconds: 5000)          // the servers are listening before their client calls
    _ = Amoeba.startThread(waitingClient, argument: 3)
    _ = Amoeba.startThread(remoteClient, argument: 0)
    _ = Amoeba.startThread(sleeper, argument: 0)
    _ = Amoeba.startThread(awaiter, argument: 3)
    Amoeba.sleep(microseconds: 30_000)
    print("blocker: seven threads waiting; exiting")
    return 0
}
