// `config-center`: the config-center server and the operator's CLI that talks to it.

import ArgumentParser

@main
struct ConfigCenterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config-center",
        abstract: "Run the config-center, or manage regions, units and sales on a running one.",
        discussion: """
            Exit codes: 0 done; 1 refused by the config-center (the reason is printed); 64 bad usage; \
            65 bad file; 69 config-center unreachable; 70 unexpected answer.
            """,
        subcommands: [
            Serve.self, RegionCommand.self, UnitCommand.self, SaleCommand.self, Allocate.self, Restock.self,
            Status.self, Report.self, Apply.self, TokenCommand.self, BlacklistCommand.self, OperatorCommand.self,
        ])
}
