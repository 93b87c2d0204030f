/// Fuses ranked lists by reciprocal rank: score(d) = Σ 1 / (k + rank of d in each list).
enum ReciprocalRankFusion {
    /// The conventional constant from Cormack et al. (2009): dampens the weight of the top ranks.
    static let k: Double = 60

    /// Ids by decreasing fused score; ties keep the order of first appearance.
    static func fuse(_ lists: [[MemoryID]]) -> [(id: MemoryID, score: Double)] {
        var scores: [MemoryID: Double] = [:]
        var order: [MemoryID] = []
        for list in lists {
            for (index, id) in list.enumerated() {
                if scores[id] == nil { order.append(id) }
                scores[id, default: 0] += 1 / (k + Double(index + 1))
            }
        }
        let position = Dictionary(uniqueKeysWithValues: order.enumerated().map { ($1, $0) })
        return order.map { ($0, scores[$0]!) }.sorted {
            $0.score != $1.score ? $0.score > $1.score : position[$0.id]! < position[$1.id]!
        }
    }
}
