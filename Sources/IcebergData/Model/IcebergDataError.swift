/// The one error type of the IcebergData target.
public enum IcebergDataError: Error, Sendable, Equatable {
    /// The input is well formed but not acceptable (an unknown column, a bad literal, a wrong type).
    case invalid(String)
    /// Valid Iceberg that this implementation does not handle.
    case unsupported(String)
    /// Bytes or JSON that do not follow the format.
    case malformed(String)
}
