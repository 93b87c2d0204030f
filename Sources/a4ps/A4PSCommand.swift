import ArgumentParser
import Logging

/// The `a4ps` command line: the living image, its personas and their messages.
@main
struct A4PSCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "a4ps",
        abstract: "A4PS — the Living Image: four personas living as objects in a persistent image.",
        subcommands: [
            ImageCommand.self, InspectCommand.self, SendCommand.self, MethodCommand.self, SlotCommand.self,
            BatchCommand.self, ServeCommand.self, ThinkCommand.self, DoctorCommand.self, ModelsCommand.self,
            MemoryCommand.self, RunsCommand.self, AskCommand.self, ForgeCommand.self, DebugCommand.self,
            OracleCommand.self, GoldenCommand.self, FinetuneCommand.self, ProposalsCommand.self, CodexCommand.self, GoalsCommand.self,
            GovernanceCommand.self, AscendCommand.self, MCPCommand.self,
        ]
    )
}
