import HTTPTypes
import Identity

extension HTTPField.Name {
    public static let floeConsoleClient = HTTPField.Name(ForwardedClient.header)!
}

extension ForwardedClient {
    /// Whom a request's conditions and audit record name: the browser behind the console when its
    /// statement verifies, else the TCP peer. One rule for the S3 and catalog APIs.
    public func callerAddress(_ headers: HTTPFields, peer: String?) -> String? {
        address(from: headers[.floeConsoleClient], peer: peer) ?? peer
    }
}
