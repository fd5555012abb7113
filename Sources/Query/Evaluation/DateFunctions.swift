import IcebergData

/// date_trunc and EXTRACT / year() … on dates and timestamps (UTC for timestamptz).
enum DateFunctions {
    static let truncUnits: Set<String> = ["year", "quarter", "month", "week", "day", "hour", "minute", "second"]
    static let extractFields: Set<String> = ["year", "quarter", "month", "day", "hour", "minute", "second", "dow", "doy", "epoch", "week", "millisecond", "microsecond", "isodow"]

    /// Splits a temporal value into days since the epoch and microseconds of the day.
    static func parts(_ v: IcebergValue) -> (days: Int64, micros: Int64)? {
        let us: Int64
        switch v {
        case .date(let d): return (Int64(d), 0)
        case .timestamp(let x), .timestamptz(let x): us = x
        case .timestampNs(let x), .timestamptzNs(let x): us = CivilCalendar.floorDiv(x, 1000)
        default: return nil
        }
        let days = CivilCalendar.floorDiv(us, CivilCalendar.microsPerDay)
        return (days, us - days * CivilCalendar.microsPerDay)
    }

    static func extract(_ field: String, _ c: CompiledExpression, at loc: SourceLocation) throws(QueryError) -> CompiledExpression {
        guard extractFields.contains(field) else { throw QueryError("unknown date part \"\(field)\"", at: loc) }
        guard TypeRules.isTemporal(c.type) || c.type == .unknown else {
            throw QueryError("cannot extract \(field) from \(c.type)", at: loc)
        }
        let run = c.run
        let isDate = c.type == .date
        if !isDate, field == "epoch" {
            return CompiledExpression(type: .double) { row throws(QueryError) in
                let v = try run(row)
                switch v {
                case .timestamp(let us), .timestamptz(let us): return .double(Double(us) / 1e6)
                case .timestampNs(let ns), .timestamptzNs(let ns): return .double(Double(ns) / 1e9)
                default: return .null
                }
            }
        }
        return CompiledExpression(type: field == "epoch" ? .double : .long) { row throws(QueryError) in
            guard let (days, micros) = parts(try run(row)) else { return .null }
            return part(field, days: days, micros: micros)
        }
    }

    static func part(_ field: String, days: Int64, micros: Int64) -> IcebergValue {
        let (y, m, d) = CivilCalendar.civil(days: days)
        switch field {
        case "year": return .long(y)
        case "quarter": return .long((m - 1) / 3 + 1)
        case "month": return .long(m)
        case "day": return .long(d)
        case "hour": return .long(micros / 3_600_000_000)
        case "minute": return .long(micros / 60_000_000 % 60)
        case "second": return .long(micros / 1_000_000 % 60)
        case "millisecond": return .long(micros / 1000 % 60_000)
        case "microsecond": return .long(micros % 60_000_000)
        case "dow": return .long(CivilCalendar.floorDiv(days + 4, 7) * -7 + days + 4)  // 1970-01-01 was a Thursday; Sunday = 0
        case "isodow":
            let dow = days + 4 - CivilCalendar.floorDiv(days + 4, 7) * 7
            return .long(dow == 0 ? 7 : dow)
        case "doy": return .long(days - CivilCalendar.days(year: y, month: 1, day: 1) + 1)
        case "week": return .long(isoWeek(days))
        case "epoch": return .double(Double(days) * 86_400 + Double(micros) / 1e6)
        default: return .null
        }
    }

    static func isoWeek(_ days: Int64) -> Int64 {
        let dow = days + 3 - CivilCalendar.floorDiv(days + 3, 7) * 7  // Monday = 0
        let thursday = days - dow + 3
        let (y, _, _) = CivilCalendar.civil(days: thursday)
        return (thursday - CivilCalendar.days(year: y, month: 1, day: 1)) / 7 + 1
    }

    /// date_trunc(unit, x): a date gives a timestamp (DuckDB); timestamps keep their type.
    static func trunc(_ unit: String, _ c: CompiledExpression, at loc: SourceLocation) throws(QueryError) -> CompiledExpression {
        guard truncUnits.contains(unit) else { throw QueryError("unknown date_trunc unit \"\(unit)\"", at: loc) }
        guard TypeRules.isTemporal(c.type) || c.type == .unknown else { throw QueryError("date_trunc needs a date or timestamp, not \(c.type)", at: loc) }
        let resultType: IcebergType = c.type == .date || c.type == .unknown ? .timestamp : c.type
        let run = c.run
        return CompiledExpression(type: resultType) { row throws(QueryError) in
            let v = try run(row)
            guard let (days, micros) = parts(v) else { return .null }
            let (y, m, _) = CivilCalendar.civil(days: days)
            var newDays = days
            var newMicros: Int64 = 0
            switch unit {
            case "year": newDays = CivilCalendar.days(year: y, month: 1, day: 1)
            case "quarter": newDays = CivilCalendar.days(year: y, month: (m - 1) / 3 * 3 + 1, day: 1)
            case "month": newDays = CivilCalendar.days(year: y, month: m, day: 1)
            case "week": newDays = days - (days + 3 - CivilCalendar.floorDiv(days + 3, 7) * 7)  // back to Monday
            case "day": break
            case "hour": newMicros = micros / 3_600_000_000 * 3_600_000_000
            case "minute": newMicros = micros / 60_000_000 * 60_000_000
            default: newMicros = micros / 1_000_000 * 1_000_000
            }
            let us = newDays * CivilCalendar.microsPerDay + newMicros
            switch resultType {
            case .timestamptz: return .timestamptz(us)
            case .timestampNs: return .timestampNs(us * 1000)
            case .timestamptzNs: return .timestamptzNs(us * 1000)
            default: return .timestamp(us)
            }
        }
    }
}
