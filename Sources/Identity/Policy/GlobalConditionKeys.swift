import SigV4

/// The `aws:*` condition keys every API supplies (S3, admin and the catalog alike), so a
/// condition such as an `aws:SourceIp` Deny binds a caller whichever door it uses.
public enum GlobalConditionKeys {
    /// - Parameter now: seconds since 1970.
    public static func context(principal: Principal?, remoteAddress: String?, secureTransport: Bool, now: Int64) -> [String: [String]] {
        var context: [String: [String]] = [
            "aws:SecureTransport": [secureTransport ? "true" : "false"],
            "aws:CurrentTime": [HTTPDate.iso8601(milliseconds: now * 1000)],
            "aws:EpochTime": [String(now)],
        ]
        switch principal?.kind {
        case nil, .anonymous?: context["aws:PrincipalType"] = ["Anonymous"]
        case .root?: context["aws:PrincipalType"] = ["Account"]
        case .session?, .delegated?: context["aws:PrincipalType"] = ["AssumedRole"]
        case .user?, .serviceAccount?: context["aws:PrincipalType"] = ["User"]
        }
        if let principal, principal.kind != .anonymous {
            context["aws:username"] = [principal.name]
            context["aws:userid"] = [principal.name]
        }
        if let remoteAddress { context["aws:SourceIp"] = [remoteAddress] }
        return context
    }
}
