import ArgumentParser
import AsyncHTTPClient
import NIOCore
import NIOHTTP1

/// Every CLI command, in the order `floe --help` lists them.
public enum FloeCLI {
    public static let commands: [any ParsableCommand.Type] = [
        AliasCommand.self, ListCommand.self, TreeCommand.self, DiskUsage.self, FindCommand.self, StatCommand.self,
        MakeBucket.self, RemoveBucket.self, CopyCommand.self, MoveCommand.self, RemoveCommand.self, MirrorCommand.self,
        CatCommand.self, HeadCommand.self, VersionCommand.self, UndoCommand.self, TagCommand.self, AnonymousCommand.self,
        PresignCommand.self, RetentionCommand.self, LegalHoldCommand.self, LifecycleCommand.self, EncryptCommand.self, EventCommand.self, AdminCommand.self, CatalogCommand.self, TableCommand.self, IngestCommand.self, QueryCommand.self,
    ]
}
