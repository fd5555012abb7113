import FloeClient
import Foundation
import NIOHTTP1

/// The Iceberg catalog as the signed-in principal sees it, through the catalog's REST API.
/// A namespace travels in links and forms as its levels joined with the unit separator, since
/// levels may hold dots.
enum CatalogPages {
    static let separator: Character = "\u{1F}"
    static let pageSize = "100"

    static func warehouse(_ call: ConsoleCall) async throws -> ConsoleReply {
        let warehouse = try warehouseName(call.query.nonEmpty("warehouse") ?? call.console.configuration.defaultWarehouse)
        var data: [String: Any] = ["warehouse": warehouse, "back": warehouseHref(warehouse)]
        do {
            let page = try await call.catalog(warehouse: warehouse).call(.GET, "namespaces", query: paged(call.query["pageToken"])) as? [String: Any] ?? [:]
            data["namespaces"] = namespaceList(page["namespaces"]).map { link(warehouse, $0) }
            if let next = page["next-page-token"] as? String {
                data["next"] = ["href": "/catalog" + FormFields.query([("warehouse", warehouse), ("pageToken", next)])]
            }
            if call.permissions.iceberg("CreateNamespace", [warehouse]) { data["create"] = ["parent": "", "where": "at the top level"] }
        } catch let error as ClientError where error.code == "NoSuchWarehouseException" {
            data["missing"] = true
        }
        return .page(PageContent(title: "Catalog · \(warehouse)", template: "catalogWarehouse", data: data), section: "catalog")
    }

    static func namespace(_ call: ConsoleCall) async throws -> ConsoleReply {
        let warehouse = try warehouseName(call.query.nonEmpty("warehouse") ?? call.console.configuration.defaultWarehouse)
        let ns = try levels(call.query["ns"])
        let catalog = call.catalog(warehouse: warehouse)
        let path = "namespaces/" + FormFields.encode(key(ns))
        let loaded = try await catalog.call(.GET, path) as? [String: Any] ?? [:]
        let here = namespaceHref(warehouse, ns)
        var data: [String: Any] = [
            "warehouse": warehouse, "warehouseHref": warehouseHref(warehouse), "crumbs": crumbs(warehouse, ns, lastIsCurrent: true),
            "name": ns[ns.count - 1], "path": display(ns), "nsKey": key(ns), "back": here, "properties": pairs(loaded["properties"]),
            "drop": call.permissions.iceberg("DropNamespace", [warehouse] + ns),
        ]
        func nextHref(_ name: String, _ page: [String: Any]) -> [String: Any]? {
            (page["next-page-token"] as? String).map { ["href": "/catalog/namespace" + FormFields.query([("warehouse", warehouse), ("ns", key(ns)), (name, $0)])] }
        }
        if let page = try await readable({ try await catalog.call(.GET, "namespaces", query: [("parent", key(ns))] + paged(call.query["nsPageToken"])) }) {
            var children: [String: Any] = ["items": namespaceList(page["namespaces"]).map { link(warehouse, $0) }]
            if let next = nextHref("nsPageToken", page) { children["next"] = next }
            data["children"] = children
        }
        if let page = try await readable({ try await catalog.call(.GET, path + "/tables", query: paged(call.query["pageToken"])) }) {
            var tables: [String: Any] = ["items": identifierNames(page).map { ["name": $0, "href": tableHref(warehouse, ns, $0)] }]
            if let next = nextHref("pageToken", page) { tables["next"] = next }
            data["tables"] = tables
        }
        if let page = try await readable({ try await catalog.call(.GET, path + "/views", query: paged(nil)) }) {
            data["views"] = ["items": identifierNames(page).map { ["name": $0] }, "more": page["next-page-token"] is String] as [String: Any]
        }
        if call.permissions.iceberg("CreateNamespace", [warehouse] + ns) { data["create"] = ["parent": key(ns), "where": "in " + display(ns)] }
        return .page(PageContent(title: "Namespace \(display(ns))", template: "catalogNamespace", data: data), section: "catalog")
    }

    static func table(_ call: ConsoleCall) async throws -> ConsoleReply {
        let warehouse = try warehouseName(call.query.nonEmpty("warehouse") ?? call.console.configuration.defaultWarehouse)
        let ns = try levels(call.query["ns"])
        guard let table = call.query["table"], !table.isEmpty else { throw ConsoleError("The link names no table.") }
        let loaded = try await call.catalog(warehouse: warehouse).call(.GET, tablePath(ns, table)) as? [String: Any] ?? [:]
        let metadata = loaded["metadata"] as? [String: Any] ?? [:]

        var fields: [[String: Any]] = []
        var names: [Int64: String] = [:]
        flatten(currentSchema(metadata)["fields"], prefix: "", depth: 0, rows: &fields, names: &names)
        func column(_ id: Any?) -> String { int(id).map { names[$0] ?? "#\($0)" } ?? "" }
        let partition = chosen(metadata, list: "partition-specs", id: "spec-id", current: "default-spec-id", v1: "partition-spec").map {
            ["source": column($0["source-id"]), "sourceId": text($0["source-id"]), "transform": text($0["transform"]), "name": text($0["name"])]
        }
        let sort = chosen(metadata, list: "sort-orders", id: "order-id", current: "default-sort-order-id", v1: nil).map {
            ["source": column($0["source-id"]), "transform": text($0["transform"]), "direction": text($0["direction"]), "nulls": text($0["null-order"])]
        }
        let refs = (metadata["refs"] as? [String: Any] ?? [:]).sorted { $0.key < $1.key }.prefix(maxListed).map { ref -> [String: Any] in
            let value = ref.value as? [String: Any] ?? [:]
            return ["name": ref.key, "type": text(value["type"]), "snapshot": text(value["snapshot-id"])]
        }
        let current = int(metadata["current-snapshot-id"])
        let all = (metadata["snapshots"] as? [[String: Any]] ?? []).sorted {
            (int($0["timestamp-ms"]) ?? 0, int($0["sequence-number"]) ?? 0) > (int($1["timestamp-ms"]) ?? 0, int($1["sequence-number"]) ?? 0)
        }
        let snapshots = all.prefix(50).map { snapshot -> [String: Any] in
            let summary = snapshot["summary"] as? [String: Any] ?? [:]
            return [
                "id": text(snapshot["snapshot-id"]), "parent": text(snapshot["parent-snapshot-id"]),
                "time": int(snapshot["timestamp-ms"]).map { Format.date(millis: $0) } ?? "",
                "operation": text(summary["operation"]), "addedRecords": text(summary["added-records"]),
                "addedFiles": text(summary["added-data-files"]), "totalRecords": text(summary["total-records"]),
                "current": current != nil && int(snapshot["snapshot-id"]) == current,
            ]
        }
        let location = text(metadata["location"])
        let resource = [warehouse] + ns + [table]
        var data: [String: Any] = [
            "warehouse": warehouse, "warehouseHref": warehouseHref(warehouse), "crumbs": crumbs(warehouse, ns, lastIsCurrent: false),
            "table": table, "nsKey": key(ns), "nsDisplay": display(ns), "back": tableHref(warehouse, ns, table),
            "location": location, "metadataLocation": text(loaded["metadata-location"]), "formatVersion": text(metadata["format-version"]),
            "uuid": text(metadata["table-uuid"]), "currentSnapshot": current.map { String($0) } ?? "none",
            "fields": fields, "partition": partition, "partitioned": !partition.isEmpty, "sort": sort, "sorted": !sort.isEmpty,
            "properties": pairs(metadata["properties"]), "refs": refs, "hasRefs": !refs.isEmpty,
            "snapshots": snapshots, "snapshotCount": all.count, "moreSnapshots": max(0, all.count - 50), "hasMoreSnapshots": all.count > 50,
            "drop": call.permissions.iceberg("DropTable", resource),
            "rename": call.permissions.iceberg("DropTable", resource) && call.permissions.iceberg("CreateTable", [warehouse] + ns),
        ]
        if let href = bucketHref(location) { data["data"] = ["href": href] }
        if call.query["data"] == "1" {
            data.merge(await TableDataSection.values(call, metadata: metadata)) { _, new in new }
        } else {
            data["dataLink"] = tableHref(warehouse, ns, table) + "&data=1#data"
        }
        return .page(PageContent(title: "Table \(table)", template: "catalogTable", data: data, wide: true), section: "catalog")
    }

    static func act(_ call: ConsoleCall, _ action: ConsoleRoute.CatalogAction) async throws -> ConsoleReply {
        let form = call.form
        let warehouse = try warehouseName(form.nonEmpty("warehouse") ?? call.console.configuration.defaultWarehouse)
        let catalog = call.catalog(warehouse: warehouse)
        switch action {
        case .dropTable:
            let ns = try levels(form["ns"])
            guard let table = form["table"], !table.isEmpty else { throw ConsoleError("Name the table to drop.") }
            guard form["confirm"] == table else { throw ConsoleError("Type the table name \(table) exactly to drop it.") }
            let purge = form["purge"].map { $0 != "" && $0 != "false" } ?? false
            _ = try await catalog.call(.DELETE, tablePath(ns, table), query: purge ? [("purgeRequested", "true")] : [])
            return .redirect(namespaceHref(warehouse, ns), Flash(text: "Dropped table \(table)" + (purge ? " and purged its files." : "."), isError: false))
        case .renameTable:
            let ns = try levels(form["ns"])
            guard let table = form["table"], !table.isEmpty else { throw ConsoleError("Name the table to rename.") }
            guard let newName = form.nonEmpty("newName") else { throw ConsoleError("Give the table a new name.") }
            var target = ns
            if let given = form.nonEmpty("newNamespace") {
                target = try given.contains(separator) ? levels(given) : given.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
                guard !target.contains(where: \.isEmpty) else { throw ConsoleError("A namespace level cannot be empty.") }
            }
            let body: [String: Any] = [
                "source": ["namespace": ns, "name": table] as [String: Any], "destination": ["namespace": target, "name": newName] as [String: Any],
            ]
            _ = try await catalog.call(.POST, "tables/rename", json: body)
            return .redirect(tableHref(warehouse, target, newName), Flash(text: "Renamed \(table) to \(display(target + [newName])).", isError: false))
        case .createNamespace:
            let parentKey = form["parent"] ?? form["ns"] ?? ""
            let parent = try parentKey.isEmpty ? [] : levels(parentKey)
            guard let name = form.nonEmpty("name") else { throw ConsoleError("Name the namespace.") }
            _ = try await catalog.call(.POST, "namespaces", json: ["namespace": parent + [name]] as [String: Any])
            return .redirect(namespaceHref(warehouse, parent + [name]), Flash(text: "Created namespace \(display(parent + [name])).", isError: false))
        case .dropNamespace:
            let ns = try levels(form["ns"])
            guard form["confirm"] == ns[ns.count - 1] else { throw ConsoleError("Type the namespace name \(ns[ns.count - 1]) exactly to drop it.") }
            _ = try await catalog.call(.DELETE, "namespaces/" + FormFields.encode(key(ns)))
            let parent = Array(ns.dropLast())
            return .redirect(parent.isEmpty ? warehouseHref(warehouse) : namespaceHref(warehouse, parent), Flash(text: "Dropped namespace \(display(ns)).", isError: false))
        }
    }

    // MARK: helpers

    /// Warehouses are buckets; anything else would not make a path segment of the catalog API.
    static func warehouseName(_ name: String) throws -> String {
        guard ConsoleRoute.isBucketName(name) else { throw ConsoleError("Not a warehouse name: \(name)") }
        return name
    }

    static func levels(_ text: String?) throws -> [String] {
        guard let text, !text.isEmpty else { throw ConsoleError("The request names no namespace.") }
        let levels = text.split(separator: separator, omittingEmptySubsequences: false).map(String.init)
        guard !levels.contains(where: \.isEmpty) else { throw ConsoleError("A namespace level cannot be empty.") }
        return levels
    }

    static func key(_ ns: [String]) -> String { ns.joined(separator: String(separator)) }
    static func display(_ ns: [String]) -> String { ns.joined(separator: ".") }
    static func tablePath(_ ns: [String], _ table: String) -> String { "namespaces/" + FormFields.encode(key(ns)) + "/tables/" + FormFields.encode(table) }
    static func warehouseHref(_ warehouse: String) -> String { "/catalog" + FormFields.query([("warehouse", warehouse)]) }
    static func namespaceHref(_ warehouse: String, _ ns: [String]) -> String {
        "/catalog/namespace" + FormFields.query([("warehouse", warehouse), ("ns", key(ns))])
    }
    static func tableHref(_ warehouse: String, _ ns: [String], _ table: String) -> String {
        "/catalog/table" + FormFields.query([("warehouse", warehouse), ("ns", key(ns)), ("table", table)])
    }

    static func paged(_ token: String?) -> [(String, String)] {
        guard let token, !token.isEmpty else { return [("pageSize", pageSize)] }
        return [("pageSize", pageSize), ("pageToken", token)]
    }

    /// A list the principal may not read says so; the rest of the page still shows.
    static func readable(_ fetch: () async throws -> Any?) async throws -> [String: Any]? {
        do {
            return try await fetch() as? [String: Any] ?? [:]
        } catch let error as ClientError where error.status == 403 {
            return nil
        }
    }

    static func namespaceList(_ value: Any?) -> [[String]] {
        (value as? [Any] ?? []).compactMap { ($0 as? [Any])?.compactMap { $0 as? String } }.filter { !$0.isEmpty }
    }

    static func identifierNames(_ page: [String: Any]) -> [String] {
        (page["identifiers"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
    }

    static func link(_ warehouse: String, _ ns: [String]) -> [String: Any] {
        ["label": ns[ns.count - 1], "path": display(ns), "href": namespaceHref(warehouse, ns)]
    }

    static func crumbs(_ warehouse: String, _ ns: [String], lastIsCurrent: Bool) -> [[String: Any]] {
        (1...ns.count).map { i -> [String: Any] in
            ["label": ns[i - 1], "href": namespaceHref(warehouse, Array(ns.prefix(i))), "current": lastIsCurrent && i == ns.count]
        }
    }

    /// At most `maxListed` properties, each value cut at `maxValueCharacters`.
    static func pairs(_ value: Any?) -> [[String: Any]] {
        (value as? [String: Any] ?? [:]).sorted { $0.key < $1.key }.prefix(maxListed).map { entry in
            let text = text(entry.value)
            return ["key": String(entry.key.prefix(maxValueCharacters)), "value": text.count > maxValueCharacters ? String(text.prefix(maxValueCharacters)) + "…" : text]
        }
    }

    static let maxListed = 200
    static let maxValueCharacters = 1000
    static let maxFields = 1000

    static func int(_ value: Any?) -> Int64? {
        guard let value else { return nil }
        switch value {
        case let n as Int: return Int64(n)
        case let n as Int64: return n
        case let n as NSNumber: return n.int64Value
        case let s as String: return Int64(s)
        default: return nil
        }
    }

    static func text(_ value: Any?) -> String {
        guard let value, !(value is NSNull) else { return "" }
        if let s = value as? String { return s }
        if let n = int(value) { return String(n) }
        return "\(value)"
    }

    static func currentSchema(_ metadata: [String: Any]) -> [String: Any] {
        if let schemas = metadata["schemas"] as? [[String: Any]], !schemas.isEmpty {
            let id = int(metadata["current-schema-id"])
            return schemas.first { int($0["schema-id"]) == id } ?? schemas[schemas.count - 1]
        }
        return metadata["schema"] as? [String: Any] ?? [:]
    }

    /// The fields of the current partition spec or sort order (format v1 tables may carry only `v1`).
    static func chosen(_ metadata: [String: Any], list: String, id: String, current: String, v1: String?) -> [[String: Any]] {
        if let all = metadata[list] as? [[String: Any]], !all.isEmpty {
            let wanted = int(metadata[current])
            return (all.first { int($0[id]) == wanted } ?? all[all.count - 1])["fields"] as? [[String: Any]] ?? []
        }
        return v1.flatMap { metadata[$0] as? [[String: Any]] } ?? []
    }

    /// Schema rows depth first, each named by its full dotted path; `names` maps field ids to those paths.
    static func flatten(_ value: Any?, prefix: String, depth: Int, rows: inout [[String: Any]], names: inout [Int64: String]) {
        for field in value as? [[String: Any]] ?? [] where rows.count < maxFields {
            let name = text(field["name"])
            let path = prefix.isEmpty ? name : prefix + "." + name
            let id = int(field["id"])
            if let id { names[id] = path }
            let required = (field["required"] as? Bool) ?? (field["required"] as? NSNumber)?.boolValue ?? false
            let row: [String: Any] = ["id": id.map { String($0) } ?? "", "name": path, "depth": depth, "nested": depth > 0, "type": typeText(field["type"]), "required": required]
            rows.append(row)
            nested(field["type"], path: path, depth: depth + 1, rows: &rows, names: &names)
        }
    }

    static func nested(_ type: Any?, path: String, depth: Int, rows: inout [[String: Any]], names: inout [Int64: String]) {
        guard let type = type as? [String: Any] else { return }
        switch text(type["type"]) {
        case "struct": flatten(type["fields"], prefix: path, depth: depth, rows: &rows, names: &names)
        case "list": nested(type["element"], path: path + ".element", depth: depth, rows: &rows, names: &names)
        case "map":
            nested(type["key"], path: path + ".key", depth: depth, rows: &rows, names: &names)
            nested(type["value"], path: path + ".value", depth: depth, rows: &rows, names: &names)
        default: break
        }
    }

    static func typeText(_ type: Any?) -> String {
        if let name = type as? String { return name }
        guard let type = type as? [String: Any] else { return "" }
        switch text(type["type"]) {
        case "list": return "list<\(typeText(type["element"]))>"
        case "map": return "map<\(typeText(type["key"])), \(typeText(type["value"]))>"
        case let other: return other
        }
    }

    /// The bucket browser at a table's data, for an `s3://bucket/prefix` location.
    static func bucketHref(_ location: String) -> String? {
        for scheme in ["s3://", "s3a://"] where location.hasPrefix(scheme) {
            let rest = location.dropFirst(scheme.count)
            let bucket = String(rest.prefix { $0 != "/" })
            guard ConsoleRoute.isBucketName(bucket) else { return nil }
            var prefix = String(rest.dropFirst(bucket.count).drop { $0 == "/" })
            if !prefix.isEmpty, !prefix.hasSuffix("/") { prefix += "/" }
            return "/buckets/" + bucket + FormFields.query([("prefix", prefix.isEmpty ? nil : prefix)])
        }
        return nil
    }
}

extension Templates {
    static let catalog: [String: String] = [
        "catalogCrumbs": """
            <nav aria-label="Breadcrumb" class="crumbs" id="breadcrumbs"><ol>
            <li><a href="{{warehouseHref}}" id="crumb-warehouse">{{warehouse}}</a></li>
            {{#crumbs}}<li><a class="crumb" href="{{href}}"{{#current}} aria-current="page"{{/current}}>{{label}}</a></li>{{/crumbs}}
            </ol></nav>
            """,
        "catalogCreateNamespace": """
            {{#create}}
            <form method="post" action="/catalog/namespaces" class="card" id="create-namespace-form">
            {{> csrf}}<input type="hidden" name="back" value="{{back}}"><input type="hidden" name="warehouse" value="{{warehouse}}">
            <input type="hidden" name="parent" value="{{parent}}">
            <label for="new-namespace">New namespace {{where}}</label>
            <input id="new-namespace" name="name" required autocomplete="off">
            <button type="submit" id="create-namespace">Create namespace</button>
            </form>
            {{/create}}
            """,
        "catalogWarehouse": """
            <h1>Catalog</h1>
            <form method="get" action="/catalog" class="inline" id="warehouse-form">
            <label for="warehouse">Warehouse</label>
            <input id="warehouse" name="warehouse" value="{{warehouse}}" required>
            <button type="submit" id="open-warehouse">Open</button>
            </form>
            {{#missing}}<p class="flash error" role="alert" id="no-warehouse">There is no warehouse {{warehouse}}. A warehouse is a bucket.</p>{{/missing}}
            {{^missing}}
            <h2 id="namespaces-heading">Namespaces in {{warehouse}}</h2>
            <ul class="list" id="namespaces" aria-labelledby="namespaces-heading">
            {{#namespaces}}<li><a class="ns-link" href="{{href}}">{{label}}</a></li>{{/namespaces}}
            </ul>
            {{^namespaces}}<p class="empty" id="no-namespaces">No namespaces yet.</p>{{/namespaces}}
            {{#next}}<p class="pages"><a href="{{href}}" id="next-page" rel="next">Next page</a></p>{{/next}}
            {{> catalogCreateNamespace}}
            {{/missing}}
            """,
        "catalogNamespace": """
            {{> catalogCrumbs}}
            <h1 id="namespace-name">Namespace {{path}}</h1>
            <h2 id="properties-heading">Properties</h2>
            <table class="list" id="namespace-properties" aria-labelledby="properties-heading"><thead><tr><th scope="col">Property</th><th scope="col">Value</th></tr></thead><tbody>
            {{#properties}}<tr><td>{{key}}</td><td>{{value}}</td></tr>{{/properties}}
            </tbody></table>
            <h2 id="children-heading">Namespaces</h2>
            {{#children}}
            <ul class="list" id="child-namespaces" aria-labelledby="children-heading">{{#items}}<li><a class="ns-link" href="{{href}}">{{label}}</a></li>{{/items}}</ul>
            {{^items}}<p class="empty">No namespaces inside.</p>{{/items}}
            {{#next}}<p class="pages"><a href="{{href}}" id="next-namespaces" rel="next">More namespaces</a></p>{{/next}}
            {{/children}}
            {{^children}}<p class="empty">You may not list the namespaces inside.</p>{{/children}}
            {{> catalogCreateNamespace}}
            <h2 id="tables-heading">Tables</h2>
            {{#tables}}
            <ul class="list" id="tables" aria-labelledby="tables-heading">{{#items}}<li><a class="table-link" href="{{href}}">{{name}}</a></li>{{/items}}</ul>
            {{^items}}<p class="empty" id="no-tables">No tables.</p>{{/items}}
            {{#next}}<p class="pages"><a href="{{href}}" id="next-tables" rel="next">Next page of tables</a></p>{{/next}}
            {{/tables}}
            {{^tables}}<p class="empty">You may not list the tables here.</p>{{/tables}}
            <h2 id="views-heading">Views</h2>
            {{#views}}
            <ul class="list" id="views" aria-labelledby="views-heading">{{#items}}<li class="view-name">{{name}}</li>{{/items}}</ul>
            {{^items}}<p class="empty">No views.</p>{{/items}}
            {{#more}}<p class="hint">Only the first 100 views are shown.</p>{{/more}}
            {{/views}}
            {{^views}}<p class="empty">You may not list the views here.</p>{{/views}}
            {{#drop}}
            <form method="post" action="/catalog/namespace/drop" class="card danger" id="drop-namespace-form" data-confirm="Drop namespace {{path}}?">
            {{> csrf}}<input type="hidden" name="back" value="{{back}}"><input type="hidden" name="warehouse" value="{{warehouse}}">
            <input type="hidden" name="ns" value="{{nsKey}}">
            <label for="drop-namespace-confirm">Type <strong>{{name}}</strong> to drop this namespace (it must be empty)</label>
            <input id="drop-namespace-confirm" name="confirm" required autocomplete="off">
            <button type="submit" class="danger" id="drop-namespace">Drop namespace</button>
            </form>
            {{/drop}}
            """,
        "catalogTable": """
            {{> catalogCrumbs}}
            <h1 id="table-name">{{table}}</h1>
            <dl class="facts" id="table-facts">
            <dt>Location</dt><dd id="table-location">{{location}}{{#data}} · <a href="{{href}}" id="table-data-link">Browse its files</a>{{/data}}</dd>
            <dt>Metadata file</dt><dd id="metadata-location">{{metadataLocation}}</dd>
            <dt>Format version</dt><dd id="format-version">{{formatVersion}}</dd>
            <dt>Table UUID</dt><dd id="table-uuid">{{uuid}}</dd>
            <dt>Current snapshot</dt><dd id="current-snapshot">{{currentSnapshot}}</dd>
            </dl>
            <h2 id="schema-heading">Schema</h2>
            <table class="list" id="schema-fields" aria-labelledby="schema-heading"><thead><tr><th scope="col">ID</th><th scope="col">Name</th><th scope="col">Type</th><th scope="col">Required</th></tr></thead><tbody>
            {{#fields}}<tr{{#nested}} class="nested"{{/nested}}><td class="num">{{id}}</td><td class="field-name indent-{{depth}}">{{name}}</td><td><code>{{type}}</code></td><td>{{#required}}required{{/required}}{{^required}}optional{{/required}}</td></tr>{{/fields}}
            </tbody></table>
            <h2 id="partition-heading">Partition spec</h2>
            {{#partitioned}}<table class="list" id="partition-spec" aria-labelledby="partition-heading"><thead><tr><th scope="col">Source column</th><th scope="col">Source ID</th><th scope="col">Transform</th><th scope="col">Name</th></tr></thead><tbody>
            {{#partition}}<tr><td>{{source}}</td><td>{{sourceId}}</td><td><code>{{transform}}</code></td><td>{{name}}</td></tr>{{/partition}}
            </tbody></table>{{/partitioned}}
            {{^partitioned}}<p class="empty" id="unpartitioned">Unpartitioned.</p>{{/partitioned}}
            <h2 id="sort-heading">Sort order</h2>
            {{#sorted}}<table class="list" id="sort-order" aria-labelledby="sort-heading"><thead><tr><th scope="col">Column</th><th scope="col">Transform</th><th scope="col">Direction</th><th scope="col">Nulls</th></tr></thead><tbody>
            {{#sort}}<tr><td>{{source}}</td><td><code>{{transform}}</code></td><td>{{direction}}</td><td>{{nulls}}</td></tr>{{/sort}}
            </tbody></table>{{/sorted}}
            {{^sorted}}<p class="empty" id="unsorted">Unsorted.</p>{{/sorted}}
            <h2 id="table-properties-heading">Properties</h2>
            <table class="list" id="table-properties" aria-labelledby="table-properties-heading"><thead><tr><th scope="col">Property</th><th scope="col">Value</th></tr></thead><tbody>
            {{#properties}}<tr><td>{{key}}</td><td>{{value}}</td></tr>{{/properties}}
            </tbody></table>
            <h2 id="refs-heading">Branches and tags</h2>
            {{#hasRefs}}<table class="list" id="refs" aria-labelledby="refs-heading"><thead><tr><th scope="col">Name</th><th scope="col">Kind</th><th scope="col">Snapshot</th></tr></thead><tbody>
            {{#refs}}<tr><td>{{name}}</td><td>{{type}}</td><td>{{snapshot}}</td></tr>{{/refs}}
            </tbody></table>{{/hasRefs}}
            {{^hasRefs}}<p class="empty">No branches or tags.</p>{{/hasRefs}}
            <h2 id="snapshots-heading">Snapshots ({{snapshotCount}})</h2>
            <table class="list" id="snapshots" aria-labelledby="snapshots-heading"><thead><tr><th scope="col">Snapshot</th><th scope="col">Parent</th><th scope="col">Time (UTC)</th><th scope="col">Operation</th><th scope="col">Added records</th><th scope="col">Added data files</th><th scope="col">Total records</th></tr></thead><tbody>
            {{#snapshots}}<tr{{#current}} class="current" aria-current="true"{{/current}}><td>{{id}}</td><td>{{parent}}</td><td><time datetime="{{time}}">{{time}}</time></td><td>{{operation}}</td><td>{{addedRecords}}</td><td>{{addedFiles}}</td><td>{{totalRecords}}</td></tr>{{/snapshots}}
            </tbody></table>
            {{#hasMoreSnapshots}}<p class="hint" id="more-snapshots">{{moreSnapshots}} older snapshots are not shown.</p>{{/hasMoreSnapshots}}
            <section id="data">
            <h2>Files, partitions and rows</h2>
            {{#dataLink}}<p><a class="button" href="{{dataLink}}" id="show-data">Show files, partitions and the first rows</a></p><p class="hint">Reads the current snapshot's manifests, and data files until 20 rows, with your access.</p>{{/dataLink}}
            {{#dataEmpty}}<p class="hint">The table has no snapshot yet.</p>{{/dataEmpty}}
            {{#dataError}}<p class="flash error" role="alert" id="data-error">{{dataError}}</p>{{/dataError}}
            {{#dataShown}}
            <h3>Rows</h3>
            <table class="list" id="row-preview"><thead><tr>{{#columns}}<th scope="col">{{name}}</th>{{/columns}}</tr></thead><tbody>
            {{#rows}}<tr>{{#cells}}<td>{{text}}</td>{{/cells}}</tr>{{/rows}}
            </tbody></table>
            <p class="hint">The first rows of the current snapshot, deletes applied{{#moreColumns}}; the first 24 columns{{/moreColumns}}.</p>
            <h3>Partitions ({{partitionCount}})</h3>
            <table class="list" id="partitions"><thead><tr><th scope="col">Partition</th><th scope="col" class="num">Files</th><th scope="col" class="num">Records</th><th scope="col" class="num">Size</th></tr></thead><tbody>
            {{#partitionRows}}<tr><td>{{name}}</td><td class="num">{{files}}</td><td class="num">{{records}}</td><td class="num">{{size}}</td></tr>{{/partitionRows}}
            </tbody></table>
            {{#morePartitions}}<p class="hint">The first 100 partitions.</p>{{/morePartitions}}
            <h3>Data files ({{fileCount}})</h3>
            <table class="list" id="data-files"><thead><tr><th scope="col">File</th><th scope="col">Partition</th><th scope="col" class="num">Records</th><th scope="col" class="num">Size</th><th scope="col" class="num">Delete files</th></tr></thead><tbody>
            {{#files}}<tr><td>{{#href}}<a href="{{href}}">{{path}}</a>{{/href}}{{^href}}{{path}}{{/href}}</td><td>{{partition}}</td><td class="num">{{records}}</td><td class="num">{{size}}</td><td class="num">{{deletes}}</td></tr>{{/files}}
            </tbody></table>
            {{#moreFiles}}<p class="hint">The first 100 files.</p>{{/moreFiles}}
            {{/dataShown}}
            </section>
            {{#rename}}
            <form method="post" action="/catalog/table/rename" class="card" id="rename-table-form">
            {{> csrf}}<input type="hidden" name="back" value="{{back}}"><input type="hidden" name="warehouse" value="{{warehouse}}">
            <input type="hidden" name="ns" value="{{nsKey}}"><input type="hidden" name="table" value="{{table}}">
            <label for="rename-namespace">Move to namespace (levels separated by dots; leave empty to stay in {{nsDisplay}})</label>
            <input id="rename-namespace" name="newNamespace" placeholder="{{nsDisplay}}" autocomplete="off">
            <label for="rename-name">New name</label>
            <input id="rename-name" name="newName" value="{{table}}" required autocomplete="off">
            <button type="submit" id="rename-table">Rename table</button>
            </form>
            {{/rename}}
            {{#drop}}
            <form method="post" action="/catalog/table/drop" class="card danger" id="drop-table-form" data-confirm="Drop table {{table}}?">
            {{> csrf}}<input type="hidden" name="back" value="{{back}}"><input type="hidden" name="warehouse" value="{{warehouse}}">
            <input type="hidden" name="ns" value="{{nsKey}}"><input type="hidden" name="table" value="{{table}}">
            <label for="drop-table-confirm">Type <strong>{{table}}</strong> to drop this table</label>
            <input id="drop-table-confirm" name="confirm" required autocomplete="off">
            <label class="check" for="drop-table-purge"><input type="checkbox" id="drop-table-purge" name="purge" value="true"> Also delete its data and metadata files (purge; cannot be undone)</label>
            <button type="submit" class="danger" id="drop-table">Drop table</button>
            </form>
            {{/drop}}
            """,
    ]
}
