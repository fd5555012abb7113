import Foundation
import HTTPTypes
import NIOCore
import IcebergModel
import Testing

@testable import Catalog
@testable import CatalogAPI

@Suite struct CatalogRouteTests {
    @Test func everyAdvertisedEndpointResolvesToItsRoute() throws {
        let endpoints = CatalogRoute.all.map(\.endpoint)
        #expect(Set(endpoints).count == endpoints.count)
        for route in CatalogRoute.all {
            let parts = route.endpoint.split(separator: " ")
            let method = HTTPRequest.Method(String(parts[0]))!
            let rest = parts[1].split(separator: "/").dropFirst(2).map { segment -> String in
                switch segment {
                case "{namespace}": return "n"
                case "{table}", "{view}": return "t"
                default: return String(segment)
                }
            }
            #expect(try CatalogRoute.resolve(method, rest) == route, "\(route.endpoint)")
        }
    }

    @Test func namesWithControlCharactersAreRefused() {
        #expect(throws: IcebergError.self) { try CatalogRoute.resolve(.get, ["namespaces", "vault\u{0}x"]) }
        #expect(throws: IcebergError.self) { try CatalogRoute.resolve(.get, ["namespaces", "ns", "tables", "t\u{1}"]) }
        let body: JSONValue = ["source": ["namespace": ["a"], "name": "t"], "destination": ["namespace": ["b"], "name": "x\u{7f}"]]
        #expect(throws: IcebergError.self) { try CatalogRoute.renameTable.accesses(warehouse: "wh", body: body) }
    }

    /// Rename drops its source and creates its destination; a transaction updates every table it
    /// names and creates those it asserts absent.
    @Test func accessesNameEveryTouchedResource() throws {
        let rename: JSONValue = ["source": ["namespace": ["gold"], "name": "payroll"], "destination": ["namespace": ["open"], "name": "p"]]
        #expect(try CatalogRoute.renameTable.accesses(warehouse: "wh", body: rename) == [
            CatalogAccess(action: "iceberg:DropTable", resource: "arn:floe:iceberg:::wh/gold/payroll"),
            CatalogAccess(action: "iceberg:CreateTable", resource: "arn:floe:iceberg:::wh/open"),
        ])
        let transaction: JSONValue = ["table-changes": [
            ["identifier": ["namespace": ["a"], "name": "t1"], "requirements": [], "updates": []],
            ["identifier": ["namespace": ["gold"], "name": "t2"], "requirements": [["type": "assert-create"]], "updates": []],
        ]]
        #expect(try CatalogRoute.commitTransaction.accesses(warehouse: "wh", body: transaction) == [
            CatalogAccess(action: "iceberg:UpdateTable", resource: "arn:floe:iceberg:::wh/a/t1"),
            CatalogAccess(action: "iceberg:UpdateTable", resource: "arn:floe:iceberg:::wh/gold/t2"),
            CatalogAccess(action: "iceberg:CreateTable", resource: "arn:floe:iceberg:::wh/gold"),
        ])
        let table = TableIdentifier(namespace: ["a"], name: "t")
        let create: JSONValue = ["requirements": [["type": "assert-create"]], "updates": []]
        #expect(try CatalogRoute.updateTable(table).accesses(warehouse: "wh", body: create).map(\.action) == ["iceberg:UpdateTable", "iceberg:CreateTable"])
    }

    @Test func idempotencyCacheIsBoundedInBytes() {
        var state = IdempotencyCache.State()
        let body = String(repeating: "x", count: 200 * 1024)
        for i in 0..<200 {
            let entry = IdempotencyCache.Entry(status: .ok, headers: [:], body: .init(string: body), expires: .distantFuture)
            IdempotencyCache.insert("key-\(i)", entry, into: &state)
        }
        #expect(state.bytes <= IdempotencyCache.maxTotalBytes)
        #expect(state.entries.count == state.order.count)
        #expect(state.entries["key-199"] != nil && state.entries["key-0"] == nil)
    }
}
