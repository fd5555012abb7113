import Crypto
import Hummingbird
import HTTPTypes
import NIOCore
import Identity
import ObjectStore
import S3Model
import SigV4

extension S3Responder {
    func deleteObjects(_ call: S3Call) async throws -> Response {
        let bucket = try await bucket(call)
        let document = try await readXML(call, root: "Delete", limit: 2 << 20, digestRequired: true)
        let objects = document.children("Object")
        guard !objects.isEmpty, objects.count <= 1000 else { throw S3Error.malformedXML() }
        let quiet = document.value("Quiet")?.lowercased() == "true"
        var xml = XMLWriter()
        var results: [(key: String, versionID: String?, outcome: Result<ObjectStore.DeleteOutcome, S3Error>)] = []
        var entries: [(key: String, versionID: String?, guarded: DeleteGuard?)] = []
        for object in objects {
            guard let key = object.value("Key") else { throw S3Error.malformedXML() }
            let versionID = object.value("VersionId").flatMap { $0.isEmpty ? nil : $0 }
            if let versionID { try RequestNames.checkVersionID(versionID) }
            var guarded = DeleteGuard(etag: object.value("ETag"))
            if let text = object.value("Size") {
                guard let size = Int64(text) else { throw S3Error.malformedXML() }
                guarded.size = size
            }
            if let text = object.value("LastModifiedTime") {
                guard let seconds = HTTPDate.parseISO8601(text).map({ $0 / 1000 }) ?? HTTPDate.parse(text) else { throw S3Error.malformedXML() }
                guarded.lastModifiedSeconds = seconds
            }
            entries.append((key, versionID, guarded.isEmpty ? nil : guarded))
        }
        // Each key is its own resource: authorized as DeleteObject(Version) on its own ARN.
        var scope = AccessScope(call: call)
        var refused = 0
        for (key, versionID, conditions) in entries {
            let access = ResourceAccess.deleteObject(bucket: bucket.name, key: key, versionID: versionID)
            guard await isAllowed(access, in: &scope, audited: false) else {
                results.append((key, versionID, .failure(S3Error.accessDenied())))
                refused += 1
                continue
            }
            remember(scope)
            do {
                // Judged again, should the key's version change between its decision and its removal.
                let judge: (inout AccessScope) async throws -> Void = { scope in
                    guard await self.isAllowed(access, in: &scope, audited: false) else { throw S3Error.accessDenied() }
                }
                let outcome = try await deleteAsJudged(call, bucket: bucket, key: key, versionID: versionID, conditions: conditions, judge: judge)
                results.append((key, versionID, .success(outcome)))
            } catch let error as S3Error where error.code == "AccessDenied" {
                results.append((key, versionID, .failure(error)))
                refused += 1
            } catch {
                results.append((key, versionID, .failure(ErrorMapping.s3Error(error))))
            }
        }
        // One audit line for the batch, however many keys it names.
        if refused > 0 {
            auditDenied(call, request: AccessRequest(action: "s3:DeleteObject", resource: "arn:aws:s3:::\(bucket.name)/* (\(refused) of \(entries.count) keys)"))
        }
        xml.group("DeleteResult", namespace: XMLWriter.s3Namespace) { x in
            for result in results {
                switch result.outcome {
                case .success(let outcome):
                    if quiet { continue }
                    x.group("Deleted") { x in
                        x.element("Key", result.key)
                        x.optional("VersionId", result.versionID)
                        if outcome.isDeleteMarker {
                            x.element("DeleteMarker", true)
                            x.optional("DeleteMarkerVersionId", outcome.versionID)
                        }
                    }
                case .failure(let error):
                    x.group("Error") { x in
                        x.element("Key", result.key)
                        x.optional("VersionId", result.versionID)
                        x.element("Code", error.code)
                        x.element("Message", error.message)
                    }
                }
            }
        }
        return Self.xmlResponse(xml)
    }
}
