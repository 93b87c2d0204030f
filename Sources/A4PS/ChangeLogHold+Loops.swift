import GRDB
import LivingImage

/// The change-log entries the loops' records still refer to, which compaction keeps however old.
///
/// What refers to a change, and what does not:
/// - an applied ascension keeps its swap (`change_id`) and its undo point (`rollback_to`), printed
///   as `a4ps image rollback PERSONA --to N`; so does a fine-tune job that swapped a persona's
///   model (`provenance.change`, `provenance.rollback_to`);
/// - an approved codex amendment keeps its change and the persona's change before it (its undo
///   point, which `a4ps proposals approve` tells the Architect to find in the history);
/// - the latest change to BRICK and to ROBIN by a forge, fix, fine-tune or ascension marks where
///   their unresolved dissonance starts (``CodexAmendments``), so it stays too;
/// - pending proposals and ascensions name the persona's *version* they were drafted against, not
///   a change, and approving them compares versions and codices, never the log; open debug
///   sessions keep the failing method's source themselves. Neither needs an entry kept.
extension ChangeLogHold {
    /// Every hold of the loops (the philosophical, strategic and autotelic ones).
    public static var loops: [ChangeLogHold] { [ascensionUndoPoints, fineTuneUndoPoints, amendmentUndoPoints, dissonanceMarks] }

    static let ascensionUndoPoints = ChangeLogHold(reason: "ascension swaps and undo points") { db in
        guard try db.tableExists("ascensions") else { return [] }
        return try Int64.fetchAll(db, sql: """
            SELECT change_id FROM ascensions WHERE change_id IS NOT NULL
            UNION SELECT rollback_to FROM ascensions WHERE rollback_to IS NOT NULL
            """)
    }

    static let fineTuneUndoPoints = ChangeLogHold(reason: "fine-tune swaps and undo points") { db in
        guard try db.tableExists("finetune_jobs") else { return [] }
        return try Int64.fetchAll(db, sql: """
            SELECT json_extract(provenance, '$.change') FROM finetune_jobs WHERE json_type(provenance, '$.change') = 'integer'
            UNION SELECT json_extract(provenance, '$.rollback_to') FROM finetune_jobs WHERE json_type(provenance, '$.rollback_to') = 'integer'
            """)
    }

    static let amendmentUndoPoints = ChangeLogHold(reason: "codex amendments and undo points") { db in
        guard try db.tableExists("codex_proposals") else { return [] }
        return try Int64?.fetchAll(db, sql: """
            SELECT change_id FROM codex_proposals WHERE change_id IS NOT NULL
            UNION SELECT (SELECT MAX(c.id) FROM changes c WHERE c.proto = p.persona AND c.id < p.change_id)
                FROM codex_proposals p WHERE p.change_id IS NOT NULL
            """).compactMap { $0 }
    }

    static let dissonanceMarks = ChangeLogHold(reason: "where BRICK's and ROBIN's dissonance starts") { db in
        let personas = CodexAmendments.dissonant
        let authors = CodexAmendments.resolvers.map(\.rawValue).sorted()
        return try Int64.fetchAll(db, sql: """
            SELECT MAX(id) FROM changes WHERE proto IN (\(personas.map { _ in "?" }.joined(separator: ",")))
            AND author IN (\(authors.map { _ in "?" }.joined(separator: ","))) GROUP BY proto
            """, arguments: StatementArguments(personas + authors))
    }
}
