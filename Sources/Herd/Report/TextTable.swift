// Aligned text tables for the terminal report.

/// Columns padded to their widest cell; a column of figures (digits and separators only) is right-aligned,
/// its heading too.
struct TextTable {
    let header: [String]
    let rows: [[String]]

    init(_ header: [String], _ rows: [[String]]) {
        self.header = header
        self.rows = rows
    }

    func render() -> String {
        let all = [header] + rows
        let widths = header.indices.map { column in all.map { $0.indices.contains(column) ? $0[column].count : 0 }.max() ?? 0 }
        let figures = header.indices.map { column in
            !rows.isEmpty && rows.allSatisfy { $0.indices.contains(column) && Self.isFigure($0[column]) }
        }
        return all.map { row in
            row.enumerated().map { index, cell in
                let pad = String(repeating: " ", count: max(widths[index] - cell.count, 0))
                if figures[index] { return pad + cell }
                return index == row.count - 1 ? cell : cell + pad
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }

    /// A count or a measure as `Figures` writes them: digits with `,` `.` and a leading `-`.
    static func isFigure(_ cell: String) -> Bool {
        cell.contains { $0.isNumber } && cell.allSatisfy { $0.isNumber || $0 == "," || $0 == "." || $0 == "-" }
    }
}
