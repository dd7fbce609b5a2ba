// IdentifierRule: which region, unit, sale and user ids are accepted.

import FlashSaleCore
import Testing

@Suite("IdentifierRule")
struct IdentifierRuleTests {
    @Test("valid ids", arguments: ["a", "0", "eu-west-1", "1st-sale", "a-", "a--b", String(repeating: "z", count: 64)])
    func validIDs(id: String) {
        #expect(IdentifierRule.isValidID(id))
    }

    @Test("invalid ids", arguments: [
        "", "-a", "-", "A", "eU", "a_b", "a b", "a.b", "a/b", "é", "a\n", " a", "a:1",
        String(repeating: "z", count: 65),
    ])
    func invalidIDs(id: String) {
        #expect(!IdentifierRule.isValidID(id))
    }

    @Test("limits are 64 for ids and 128 for user ids")
    func limits() {
        #expect(IdentifierRule.idMaxLength == 64)
        #expect(IdentifierRule.userIDMaxLength == 128)
        #expect(IdentifierRule.isValidUserID(String(repeating: "u", count: 128)))
        #expect(!IdentifierRule.isValidUserID(String(repeating: "u", count: 129)))
    }

    @Test("valid user ids", arguments: [
        "alice", "Alice", "u", "user@example.com", "a-b_c.d+e", "~!#$%&'()*+,-.:;<=>?@[]^_`{|}~", "12345",
    ])
    func validUserIDs(id: String) {
        #expect(IdentifierRule.isValidUserID(id))
    }

    @Test("invalid user ids", arguments: [
        "", "a b", " alice", "alice ", "a\"b", "a/b", "a\\b", "a\tb", "a\nb", "\u{7F}", "é", "名前", "a\u{0}b",
    ])
    func invalidUserIDs(id: String) {
        #expect(!IdentifierRule.isValidUserID(id))
    }

    @Test("user ids may be checked on a substring")
    func substring() {
        let header = "Bearer alice/bob"
        let user = header.dropFirst(7).prefix(5)
        #expect(IdentifierRule.isValidUserID(user))
        #expect(!IdentifierRule.isValidUserID(header.dropFirst(7)))
    }
}
