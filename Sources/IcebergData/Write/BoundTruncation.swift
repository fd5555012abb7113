/// Iceberg's default metrics mode, `truncate(16)`: string bounds keep 16 code points and binary
/// bounds 16 bytes; an upper bound that was cut is incremented so it still bounds every value
/// (and dropped when no increment exists).
enum BoundTruncation {
    static let length = 16

    static func lower(_ value: IcebergValue) -> IcebergValue {
        switch value {
        case .string(let text) where text.unicodeScalars.count > length:
            var scalars = String.UnicodeScalarView()
            scalars.append(contentsOf: text.unicodeScalars.prefix(length))
            return .string(String(scalars))
        case .binary(let bytes) where bytes.count > length: return .binary(Array(bytes.prefix(length)))
        default: return value
        }
    }

    static func upper(_ value: IcebergValue) -> IcebergValue? {
        switch value {
        case .string(let text) where text.unicodeScalars.count > length:
            var scalars = Array(text.unicodeScalars.prefix(length))
            while let last = scalars.popLast() {
                var next = last.value + 1
                if (0xD800...0xDFFF).contains(next) { next = 0xE000 }
                if let scalar = Unicode.Scalar(next) {
                    scalars.append(scalar)
                    var view = String.UnicodeScalarView()
                    view.append(contentsOf: scalars)
                    return .string(String(view))
                }
            }
            return nil
        case .binary(let bytes) where bytes.count > length:
            var prefix = Array(bytes.prefix(length))
            while let last = prefix.popLast() {
                if last < 0xFF {
                    prefix.append(last + 1)
                    return .binary(prefix)
                }
            }
            return nil
        default: return value
        }
    }
}
