// Parses --listen host:port.

import ArgumentParser

enum ListenAddress {
    static func parse(_ text: String) throws -> (host: String, port: Int) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port),
            colon != text.startIndex
        else { throw ValidationError("--listen must be host:port, e.g. 127.0.0.1:8101") }
        return (String(text[..<colon]), port)
    }
}
