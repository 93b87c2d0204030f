import Foundation

/// CPU-bound work (k-means, index builds, scans of many vectors) on threads of its own, never on
/// Swift's cooperative pool: that pool has one thread per core, and a training that occupied it
/// would starve every timer and every I/O completion of the process (the model layer's timeouts
/// among them).
enum Parallel {
    static var coreCount: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }

    /// Splits `count` items into chunks and maps them on up to one thread per core; results come
    /// back in chunk order. Blocks the calling thread until every chunk is done, so call it from
    /// work already moved off the pool (`OffPool.run`), never from an async context directly.
    static func map<T: Sendable>(
        count: Int, chunkSize: Int, _ body: @escaping @Sendable (Range<Int>) -> T
    ) -> [T] {
        guard count > 0 else { return [] }
        let chunkSize = max(1, chunkSize)
        let chunks = (count + chunkSize - 1) / chunkSize
        let range: @Sendable (Int) -> Range<Int> = { c in c * chunkSize..<min(count, (c + 1) * chunkSize) }
        let workers = min(coreCount, chunks)
        if workers == 1 {
            return (0..<chunks).map { body(range($0)) }
        }
        let state = ChunkQueue<T>(chunks: chunks)
        let done = DispatchGroup()
        let work: @Sendable () -> Void = {
            while let c = state.next() { state.store(body(range(c)), at: c) }
        }
        for _ in 1..<workers {
            done.enter()
            let thread = Thread {
                work()
                done.leave()
            }
            thread.stackSize = 8 << 20
            thread.start()
        }
        work()  // the calling thread takes its share
        done.wait()
        return state.results()
    }
}

/// The chunks of one ``Parallel/map(count:chunkSize:_:)``: which is next, and what each produced.
private final class ChunkQueue<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var nextChunk = 0
    private let chunks: Int
    private var values: [T?]

    init(chunks: Int) {
        self.chunks = chunks
        values = [T?](repeating: nil, count: chunks)
    }

    func next() -> Int? {
        lock.withLock {
            guard nextChunk < chunks else { return nil }
            defer { nextChunk += 1 }
            return nextChunk
        }
    }

    func store(_ value: T, at chunk: Int) {
        lock.withLock { values[chunk] = value }
    }

    func results() -> [T] {
        lock.withLock { values.map { $0! } }
    }
}
