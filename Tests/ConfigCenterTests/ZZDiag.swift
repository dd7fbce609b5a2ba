import Testing
import Foundation
@Test func diagOverflow() async throws {
    for body in [#"{"counts":{"eu":9223372036854775807,"us":1}}"#] {
        let r = await #expect(processExitsWith: .success, observing: [\.standardErrorContent]) { [body = body as String] in
            try await runSteps([["POST", "/v1/sales/s1/allocations", body]])
        }
        let text = String(decoding: r?.standardErrorContent ?? [], as: UTF8.self)
        print("STDERR>>>", text.prefix(3000))
    }
}
