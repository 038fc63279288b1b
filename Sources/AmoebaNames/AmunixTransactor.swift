// The directory and file clients over amunixd: every transaction becomes a
// trans on the program's one connection to the local daemon, with the
// tool's timeout. Failures of the transaction itself come back as their
// Amoeba error (RPC_*), which is all the clients need to know.

import AmoebaClient
import AmoebaCore
import Amunix

public struct AmunixTransactor: Transactor {
    public let connection: AmunixConnection
    public var timeout: Duration?

    public init(connection: AmunixConnection, timeout: Duration? = nil) {
        self.connection = connection
        self.timeout = timeout
    }

    public func transact(_ header: Header, _ data: [UInt8]) throws(ErrorCode) -> (header: Header, data: [UInt8]) {
        do throws(AmunixError) {
            return try SlowCallNotice.watch(timeout: timeout) { () throws(AmunixError) in
                try connection.trans(header, data, timeout: timeout)
            }
        } catch {
            throw error.code
        }
    }
}
