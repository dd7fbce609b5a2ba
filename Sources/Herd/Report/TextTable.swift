// Aligned text tables for the terminal report.

/// Columns padded to their widest cell; numbers (cells starting with a digit) right-aligned.
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
        return all.enumerated().map { lineIndex, row in
            row.enumerated().map { index, cell in
                let pad = String(repeating: " ", count: max(widths[index] - cell.count, 0))
                let numeric = lineIndex > 0 && index > 0 && cell.first.map { $0.isNumber } == true
                if numeric { return pad + cell }
                return index == row.count - 1 ? cell : cell + pad
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}
