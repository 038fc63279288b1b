// A user-mode server: a process that answers transactions. Its get-port
// is derived from the argument, so the test knows the put-port to call.
// Before serving it starts a second thread, which computes and exits on
// its own. Commands: 1 echo the data back reversed, 2 add (offset + size),
// 3 report how many threads finished, 4 answer 150 ms later (with the
// status of the putrep before it in `offset`), 99 reply and exit the process;
// std_info answers "user server N" (N the argument), which is how a client
// on another machine sees that a user process served it. With 0x100 in the
// argument it is only a null server (every request answered STD_OK, no
// helper) with getreq and putrep; with 0x200, the same with the combined
// reply-and-receive call: `scenario=measure` compares the two.
import AmoebaCore

var helperDone: UInt32 = 0
/// What the last putrep returned: 0 when the kernel took the reply.
var lastPutReply: Int32 = 0

@_cdecl("helper_thread")
func helperThread(_ argument: UInt32) {
    var x: UInt32 = argument
    for _ in 0..<1000 { x = x &* 1_664_525 &+ 1_013_904_223 }
    helperDone = x | 1
    print("server: helper thread \(argument) done")
    Amoeba.exitThread()
}

func programMain(_ argument: UInt32) -> Int32 {
    let getPort = Port(bytes: [UInt8(truncatingIfNeeded: argument), 0x53, 0x45, 0x52, 0x56, 0x45])!
    var ok = Header()
    ok.status = .ok
    if argument & 0x100 != 0 {
        while true {
            _ = Amoeba.getRequest(getPort, capacity: 16)
            Amoeba.putReply(ok)
        }
    }
    if argument & 0x200 != 0 {
        _ = Amoeba.getRequest(getPort, capacity: 16)
        while true { _ = Amoeba.replyAndGetRequest(ok, on: getPort, capacity: 16) }
    }
    let tid = Amoeba.startThread(helperThread, argument: 7)
    print("server: started helper thread \(tid), serving")
    while true {
        let (request, data) = Amoeba.getRequest(getPort)
        var reply = Header()
        reply.status = .ok
        switch request.command {
        case 1:
            reply.size = UInt16(data.count)
            Amoeba.putReply(reply, Array(data.reversed()))
        case 2:
            reply.offset = request.offset &+ Int32(request.size)
            reply.extra = UInt16(truncatingIfNeeded: lastPutReply)
            lastPutReply = Amoeba.putReply(reply)
        case 3:
            reply.offset = Int32(bitPattern: helperDone)
            lastPutReply = Amoeba.putReply(reply)
        case 4:
            Amoeba.sleep(microseconds: 150_000)   // the caller may be gone by now
            reply.offset = lastPutReply
            lastPutReply = Amoeba.putReply(reply)
        case StandardCommand.info:
            let text = Array("user server \(argument)".utf8)
            reply.size = UInt16(text.count)
            Amoeba.putReply(reply, text)
        case 99:
            Amoeba.putReply(reply)
            print("server: asked to stop")
            return 0
        default:
            reply.status = .commandBad
            Amoeba.putReply(reply)
        }
    }
}
