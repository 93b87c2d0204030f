import Foundation

/// Splits CPU-bound work over the cores with a task group; results come back in chunk order.
enum Parallel {
    static var coreCount: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }

    static func map<T: Sendable>(
        count: Int, chunkSize: Int, _ body: @escaping @Sendable (Range<Int>) -> T
    ) async -> [T] {
        guard count > 0 else { return [] }
        let chunkSize = max(1, chunkSize)
        let chunks = (count + chunkSize - 1) / chunkSize
        if chunks == 1 || coreCount == 1 {
            return (0..<chunks).map { c in body(c * chunkSize..<min(count, (c + 1) * chunkSize)) }
        }
        return await withTaskGroup(of: (Int, T).self) { group in
            var next = 0
            var results = [T?](repeating: nil, count: chunks)
            func addTask() {
                let c = next
                next += 1
                group.addTask { (c, body(c * chunkSize..<min(count, (c + 1) * chunkSize))) }
            }
            // At most one task per core in flight: the work is CPU-bound.
            for _ in 0..<min(coreCount, chunks) { addTask() }
            while let (c, value) = await group.next() {
                results[c] = value
                if next < chunks { addTask() }
            }
            return results.map { $0! }
        }
    }
}
