// grpc_bench: the peer a user might pick instead of amunixd, a gRPC Swift
// unary call over HTTP/2 on the same link, with raw byte messages (no
// protobuf: the cost measured is the RPC system's, not a codec's).
//
//   grpc_bench serve HOST PORT
//   grpc_bench call HOST PORT SIZE COUNT     prints "latency P50 P99" (µs)

import GRPCCore
import GRPCNIOTransportHTTP2
import Glibc

struct RawBytes: MessageSerializer, MessageDeserializer {
    typealias Message = [UInt8]
    func serialize<Bytes: GRPCContiguousBytes>(_ message: [UInt8]) throws -> Bytes { Bytes(message) }
    func deserialize<Bytes: GRPCContiguousBytes>(_ bytes: Bytes) throws -> [UInt8] {
        bytes.withUnsafeBytes { Array($0) }
    }
}

let echo = MethodDescriptor(fullyQualifiedService: "amunix.bench.Echo", method: "Echo")

struct EchoService: RegistrableRPCService {
    func registerMethods<Transport: ServerTransport>(with router: inout RPCRouter<Transport>) {
        router.registerHandler(forMethod: echo, deserializer: RawBytes(), serializer: RawBytes()) { request, _ in
            let single = try await ServerRequest(stream: request)
            return StreamingServerResponse(single: ServerResponse(message: single.message))
        }
    }
}

func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) * 1e6 + Double(ts.tv_nsec) / 1e3
}

let args = CommandLine.arguments
guard args.count >= 4, let port = Int(args[3]) else {
    print("usage: grpc_bench serve HOST PORT | call HOST PORT SIZE COUNT")
    exit(2)
}
if args[1] == "serve" {
    let transport = HTTP2ServerTransport.Posix(address: .ipv4(host: args[2], port: port), transportSecurity: .plaintext)
    let server = GRPCServer(transport: transport, services: [EchoService()])
    try await server.serve()
} else {
    let size = Int(args[4])!, count = Int(args[5])!
    let payload = [UInt8](repeating: 5, count: size)
    let transport = try HTTP2ClientTransport.Posix(target: .ipv4(address: args[2], port: port), transportSecurity: .plaintext)
    let samples = try await withGRPCClient(transport: transport) { client in
        var samples: [Double] = []
        for i in 0..<(count + 200) {
            let t0 = now()
            let r = try await client.unary(request: ClientRequest(message: payload), descriptor: echo,
                                           serializer: RawBytes(), deserializer: RawBytes(), options: .defaults) { try $0.message }
            precondition(r.count == size)
            if i >= 200 { samples.append(now() - t0) }
        }
        return samples
    }
    let s = samples.sorted()
    print("latency \(s[s.count / 2]) \(s[min(s.count - 1, s.count * 99 / 100)])")
}
