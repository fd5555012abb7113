import IcebergData
import IcebergModel

extension PreparedQuery {
    /// What the query reads and does: tables with their snapshot, columns read, the filter pushed
    /// into the scan, and the files planned with it against all files of the snapshot.
    public func explain() async throws -> [String] {
        var lines: [String] = []
        for (index, input) in inputs.enumerated() {
            let role = index == 0 ? "scan" : "\(joins[index - 1].kind == .left ? "left join" : "join") (hash, built from this table)"
            lines.append("\(role) \(input.reference.name.joined(separator: ".")) as \(input.qualifier), snapshot \(input.snapshotID.map(String.init) ?? "current (\(input.metadata.currentSnapshotID.map(String.init) ?? "none"))")")
            lines.append("  columns read: \(input.columns.map(\.name).joined(separator: ", "))")
            lines.append("  filter pushed into the scan: \(input.pushed.isEmpty ? "none" : "\(input.pushedFilter)")")
            let snapshot = input.snapshotID ?? input.metadata.currentSnapshotID
            if input.rowSource != nil {
                lines.append("  rows streamed from the file(s), typed as floe ingest types them")
            } else if snapshot != nil {
                let all = try await TableScan(metadata: input.metadata, snapshotID: input.snapshotID).planFiles(io: input.io)
                let kept = try await TableScan(metadata: input.metadata, snapshotID: input.snapshotID, filter: input.pushedFilter).planFiles(io: input.io)
                let deletes = Set(kept.flatMap { $0.deletes.map(\.filePath) }).count
                lines.append("  files: \(kept.count) of \(all.count) read (\(all.count - kept.count) pruned by partition and column statistics), \(deletes) delete files")
                for task in kept.prefix(20) { lines.append("    \(task.dataFile.filePath) (\(task.dataFile.recordCount) records)") }
                if kept.count > 20 { lines.append("    … \(kept.count - 20) more") }
            }
        }
        if statement.filter != nil { lines.append("filter: WHERE on every row") }
        if plan.aggregated { lines.append("aggregate: \(plan.groupKeys.count) group keys, \(plan.aggregates.count) aggregates (hash)") }
        if statement.distinct { lines.append("distinct (hash)") }
        if !plan.sortKeys.isEmpty { lines.append("sort: \(plan.sortKeys.count) keys") }
        if let limit = statement.limit { lines.append("limit \(limit)" + (statement.offset.map { " offset \($0)" } ?? "")) }
        lines.append("output: \(columns.map(\.name).joined(separator: ", "))")
        return lines
    }
}
