// A batch whose last write is a value joined from pieces, some of them
// values already on the volume (ObjectStore.commit(_:joining:from:)): how
// a file uploaded in parts becomes one value without the whole of it ever
// being in memory. The batch record is written a chunk at a time
// (CheckpointWriter), the stored pieces copied across from their extents
// in the live half, so memory holds one chunk, whatever the value's size.
// The record is a batch like any other (its checksum covers every byte,
// and recovery reads it as an ordinary write), so the crash promise is the
// one every commit keeps. Pieces name values as they were before the
// batch: the batch may remove the keys it joins.
import Storage

struct JoinedValue {
    let key: UInt32
    let pieces: [StorePiece]
    let length: Int
}

extension BlockStore {
    public func commit(_ changes: [StoreChange], joining key: UInt32, from pieces: [StorePiece]) throws(StorageError) {
        if let broken { throw broken }
        var length = 0
        for p in pieces {
            switch p {
            case .bytes(let b): length += b.count
            case .stored(let k):
                guard let e = index[k] else { throw .missing }
                length += e.length
            }
        }
        let joined = JoinedValue(key: key, pieces: pieces, length: length)
        var payload = 4 + 9 + length
        for c in changes {
            if case .write(_, let bytes) = c { payload += 9 + bytes.count } else { payload += 9 }
        }
        let blocks = UInt64(StoreRecord.blocks(forPayload: payload))
        guard head + blocks <= end(of: superblock.half) else {
            try compact(adding: changes, joining: joined)
            return
        }
        let at = head
        var joinedAt: UInt64 = 0
        try guarded { () throws(StorageError) in
            var out = CheckpointWriter(volume: volume, at: at)
            try out.header(kind: .batch, sequence: nextSequence, generation: superblock.generation,
                           payload: payload, count: changes.count + 1)
            for c in changes {
                switch c {
                case .write(let k, let bytes):
                    try out.changeHeader(key: k, length: bytes.count)
                    try out.append(bytes)
                case .remove(let k):
                    try out.removeHeader(key: k)
                }
            }
            try out.changeHeader(key: key, length: length)
            joinedAt = out.position
            try copy(pieces, into: &out)
            try out.finish()
            try volume.flush()
        }
        var placed = extents(of: changes, recordAt: at)
        placed.append((key, Extent(at: joinedAt, length: length)))
        apply(placed, to: &index)
        head += blocks
        nextSequence += 1
    }

    /// Appends `pieces` to `out`: given bytes as they are, stored values
    /// (as the index has them now) a chunk at a time.
    func copy(_ pieces: [StorePiece], into out: inout CheckpointWriter) throws(StorageError) {
        for p in pieces {
            switch p {
            case .bytes(let b):
                try out.append(b)
            case .stored(let k):
                guard let e = index[k] else { throw .missing }
                var done = 0
                while done < e.length {
                    let n = min(CheckpointWriter.chunkBytes, e.length - done)
                    try out.append(try read(e, offset: done, count: n))
                    done += n
                }
            }
        }
    }
}
