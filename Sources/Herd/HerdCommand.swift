import ArgumentParser

@main
struct HerdCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "herd")
    func run() async throws {}
}
