import AsyncHTTPClient
import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Identity
import Logging
import NIOCore
import NIOPosix
import IdentityStorePostgres
import IdentityStoreSQLite
import ObjectIndexSQLite
import ObjectStore
import Catalog
import CatalogAPI
import CatalogStorePostgres
import CatalogStoreSQLite
import S3API
import ServiceLifecycle
import UnixSignals

/// The composition root: opens the stores, sweeps leftovers of a crash, and runs the S3
/// listener until SIGTERM or SIGINT, then drains in-flight requests and returns.
public enum FloeServer {
    /// Tasks run on the event loops that serve the connections, not on a second pool of threads:
    /// otherwise every request crosses between the two twice (docs/benchmarks.md). Work that
    /// blocks goes to a thread pool (blob files, SQLite writes and scans, the orphan sweep).
    /// A static constant, so a second `run` in one process does not install it again (NIO allows one).
    static let tasksOnEventLoops = NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()

    /// Threads for blob files. Most of their time is spent waiting on the disk (an fsync of a large
    /// blob takes tens of milliseconds), not computing, so there are several per core: with one
    /// per core, as NIO's shared pool has, a few uploads' fsyncs held back every other upload's
    /// writes and every download's reads (PUT 1 MiB +9 %, 64 MiB +5 % with eight, docs/benchmarks.md).
    /// Started once and kept for the process, as NIO's own pools are.
    static let blobThreads = max(8, 2 * System.coreCount)
    static let blobIO: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: blobThreads)
        pool.start()
        return pool
    }()

    public static func run(configuration: ServerConfiguration) async throws {
        IdleMemoryRelease.limitAllocatorArenas(cores: System.coreCount)
        _ = tasksOnEventLoops
        var logger = Logger(label: "floe")
        logger.logLevel = Logger.Level(rawValue: configuration.logLevel) ?? .info

        let data = configuration.dataDirectory
        let meta = data + "/meta"
        try FileManager.default.createDirectory(atPath: meta, withIntermediateDirectories: true)
        // Held until the process ends: nothing below may touch a directory another server uses.
        let lock = try DataDirectoryLock(directory: data)
        defer { withExtendedLifetime(lock) {} }
        // Before anything is written: a start that cannot listen leaves no credentials or buckets.
        try await ListenerPreflight.check([configuration.s3Address, configuration.catalogAddress] + (configuration.consoleAddress.map { [$0] } ?? []))
        let root = try RootCredentials.load(configuration: configuration, metaDirectory: meta)

        let index = try SQLiteObjectIndex(path: meta + "/index.sqlite")
        let blobs = try DiskBlobStore(
            root: data + "/blobs", threadPool: blobIO, coldReadThreads: blobThreads / 2, preparedFiles: 32,
            directWrites: configuration.directWrites ? DirectWriteBuffers() : nil, logger: logger)
        let startedAt = DiskBlobStore.orphanCutoff()
        let temporary = blobs.sweepTemporary()
        logger.notice("startup sweep", metadata: ["temporary_files": "\(temporary)"])
        // Orphaned blobs (a crash between rename and index commit) are found in the background:
        // startup costs nothing per stored object.
        Task.detached(priority: .background) { [logger] in
            do {
                let orphans = try await blobs.sweepOrphans(writtenBefore: startedAt) { ids throws(StoreError) in
                    try await index.referencedBlobs(among: ids)
                }
                logger.notice("orphan sweep finished", metadata: ["orphan_blobs": "\(orphans)"])
            } catch {
                logger.error("orphan sweep failed", metadata: ["error": "\(error)"])
            }
        }
        let masterKey = try SecretBox.masterKey(environment: configuration.masterKey, file: meta + "/master.key")
        let store = ObjectStore(
            index: index, blobs: blobs, region: configuration.region, logger: logger, vault: KeyVault(masterKey: masterKey, index: index))
        let box = try SecretBox(masterKey: masterKey)
        let parts = Parts(
            configuration: configuration, root: root, meta: meta, masterKey: masterKey, store: store,
            audit: try AuditLog(destinations: configuration.auditLog), tls: try TLSContextSource(configuration), logger: logger)
        if let url = configuration.catalogDB {
            // Catalog and identity share the PostgreSQL database, so nodes share both.
            let postgres = try PostgresCatalogStore(url: url, logger: logger)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await postgres.runClient() }
                try await Self.migrate(postgres, logger: logger)
                let identity = IdentityStorePostgres(client: postgres.client, box: box, logger: logger)
                try await identity.migrate()
                try await serve(parts, identityStore: identity, refreshIdentity: true, catalogStore: postgres)
                group.cancelAll()
            }
        } else {
            let identity = try await IdentityStoreSQLite(database: index.database, box: box)
            if try await identity.importLegacy(path: meta + "/identity.sqlite") {
                logger.notice("imported users, keys and policies from meta/identity.sqlite into meta/index.sqlite")
            }
            let sqlite = try SQLiteCatalogStore(path: meta + "/catalog.sqlite")
            try await serve(parts, identityStore: identity, refreshIdentity: false, catalogStore: sqlite)
            await sqlite.close()
        }
        await index.close()
        logger.info("stopped")
    }

    /// What both listeners are built from, once the stores are open.
    struct Parts {
        let configuration: ServerConfiguration
        let root: RootCredentials.Loaded
        let meta: String
        let masterKey: [UInt8]
        let store: ObjectStore
        let audit: AuditLog
        let tls: TLSContextSource?
        let logger: Logger
    }

    /// Applies the PostgreSQL catalog migrations, waiting up to a minute for the database.
    static func migrate(_ postgres: PostgresCatalogStore, logger: Logger) async throws {
        var attempt = 0
        while true {
            do {
                try await postgres.migrate()
                return
            } catch {
                attempt += 1
                if attempt >= 60 { throw error }
                logger.warning("catalog database not ready, retrying", metadata: ["error": "\(error)"])
                try await Task.sleep(for: .seconds(1))
            }
        }
    }

    /// A listener for child channels of one kind (the S3 API's own connection handling).
    static func server(
        _ channel: any ServerChildChannel, configuration: HummingbirdCore.ServerConfiguration, logger: Logger,
        onServerRunning: @escaping @Sendable (any Channel) async -> Void
    ) -> any Service {
        channel.server(configuration: configuration, onServerRunning: onServerRunning, eventLoopGroup: MultiThreadedEventLoopGroup.singleton, logger: logger)
    }

    static func serve(_ parts: Parts, identityStore: any IdentityPersistence, refreshIdentity: Bool, catalogStore: any CatalogStore) async throws {
        let (configuration, logger, tls, store) = (parts.configuration, parts.logger, parts.tls, parts.store)
        let directory = Directory(root: parts.root.key, snapshot: try await identityStore.load(), sessions: SessionIssuer(masterKey: parts.masterKey))
        let metrics = ServerMetrics()
        // The console names its browsers' addresses to the APIs it calls on loopback.
        let forwarded = ForwardedClient()
        var s3Configuration = S3Configuration(
            region: configuration.region, domains: configuration.domains,
            secureTransport: configuration.tlsCertificate != nil, defaultObjectOwnership: configuration.defaultObjectOwnership,
            accessLogRollSeconds: configuration.accessLogRollSeconds, defaultKMSKey: configuration.defaultKMSKey)
        s3Configuration.forwardedClient = forwarded
        let responder = S3Responder(
            store: store,
            directory: directory,
            identityStore: identityStore,
            configuration: s3Configuration,
            metrics: metrics,
            audit: parts.audit,
            logger: logger
        )
        let address = configuration.s3Address
        // Idle and slow-header connections are closed after the idle timeout, and each listener
        // holds at most `maxConnections`: neither can pile up.
        let idleTimeout = TimeAmount.seconds(Int64(configuration.idleTimeoutSeconds))
        let s3Connections = ConnectionLimiter.Count(limit: configuration.maxConnections)
        let catalogConnections = ConnectionLimiter.Count(limit: configuration.maxConnections)
        let s3Channel = HTTP1Channel.Configuration(
            additionalChannelHandlers: [ConnectionLimiter(s3Connections)] + S3Responder.channelHandlers(),
            idleTimeout: idleTimeout,
            httpDecoderConfiguration: .init(maxHeaderFieldSize: 64 * 1024, maxHeaderListSize: 64 * 1024)
        )
        let (listening, listenerBound) = AsyncStream.makeStream(of: Void.self)
        let s3Listener = HTTPConnectionChannel(responder: responder, configuration: s3Channel)
        let s3Server = Self.server(
            tls.map { ReloadableTLSChannel(base: s3Listener, source: $0) as any ServerChildChannel } ?? s3Listener,
            configuration: .init(address: .hostname(address.host, port: address.port), serverName: nil),
            logger: logger
        ) { channel in
            let bound = channel.localAddress?.port.map(String.init) ?? "?"
            print("Floe S3 API listening on \(tls == nil ? "http" : "https")://\(address.host):\(bound) (region \(configuration.region), data \(configuration.dataDirectory))")
            if parts.root.generated {
                print("Root credentials were generated and stored in \(parts.meta)/root-credentials (shown only this once):")
                print("  FLOE_ROOT_USER=\(parts.root.key.accessKeyID)")
                print("  FLOE_ROOT_PASSWORD=\(parts.root.key.secretKey)")
            }
            fflush(nil)
            listenerBound.yield()
        }
        let catalogChannel = HTTP1Channel.Configuration(additionalChannelHandlers: [ConnectionLimiter(catalogConnections)], idleTimeout: idleTimeout)
        let catalog = CatalogService(store: catalogStore, objects: store)
        if configuration.bootstrap { try await Bootstrap.lakehouse(store: store, catalog: catalog, logger: logger) }
        let catalogAddress = configuration.catalogAddress
        let catalogResponder = CatalogResponder(
            service: catalog, tokens: TokenService(directory: directory, masterKey: parts.masterKey, lifetime: TimeInterval(configuration.catalogTokenLifetime)), directory: directory,
            vendor: CredentialVendor(directory: directory, settings: .init(
                publicS3URL: configuration.publicS3URL, s3Port: configuration.s3Address.port, secure: configuration.tlsCertificate != nil,
                region: configuration.region, lifetime: configuration.vendedCredentialLifetime)),
            audit: parts.audit,
            defaultWarehouse: Bootstrap.warehouse,
            forwardedClient: forwarded,
            logger: logger)
        let catalogListener = HTTPConnectionChannel(responder: catalogResponder, configuration: catalogChannel)
        let catalogServer = Self.server(
            tls.map { ReloadableTLSChannel(base: catalogListener, source: $0) as any ServerChildChannel } ?? catalogListener,
            configuration: .init(address: .hostname(catalogAddress.host, port: catalogAddress.port), serverName: nil),
            logger: logger
        ) { channel in
            let bound = channel.localAddress?.port.map(String.init) ?? "?"
            print("Floe Iceberg REST catalog listening on \(catalogAddress.host):\(bound)")
            fflush(nil)
            listenerBound.yield()
        }
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: s3Server), .init(service: catalogServer),
            .init(service: UploadJanitor(store: store, maxAge: configuration.multipartExpirySeconds * 1000, logger: logger)),
            .init(service: TLSReloader(source: tls, logger: logger)),
            .init(service: AccessLogFlusher(responder: responder, rollSeconds: configuration.accessLogRollSeconds)),
            .init(service: LifecycleScanner(
                store: store, clock: LifecycleClock(dayLength: Int64(configuration.lifecycleDaySeconds) * 1000),
                interval: .seconds(configuration.lifecycleIntervalSeconds ?? min(3600, max(1, configuration.lifecycleDaySeconds / 4))),
                cursorFile: parts.meta + "/lifecycle-cursor.json", metrics: metrics, audit: parts.audit, logger: logger)),
            .init(service: NotificationDelivery(store: store, metrics: metrics, maxAttempts: configuration.notificationMaxAttempts, logger: logger)),
            .init(service: StartupCodeRelease(listening: listening, listeners: 2, delay: .seconds(1), logger: logger)),
            .init(service: IdleMemoryRelease(
                interval: .seconds(5), caches: [{ store.listings.removeAll() }, { store.versions.removeAll() }, { store.blobs.directWrites?.releaseIdle() }],
                logger: logger)),
        ]
        let secure = configuration.tlsCertificate != nil
        let consoleHTTP = configuration.consoleAddress.map { _ in
            (pages: ConsoleListener.client(secure: secure, connections: 32), transfers: ConsoleListener.client(secure: secure, connections: 256))
        }
        if let consoleAddress = configuration.consoleAddress, let consoleHTTP {
            let history = MetricsHistory(metrics: metrics)
            services.append(.init(service: history))
            services.append(.init(service: ConsoleListener.application(
                configuration, address: consoleAddress, directory: directory, store: store, metrics: metrics, audit: parts.audit, history: history,
                forwardedClient: forwarded, transferHTTP: consoleHTTP.transfers, http: consoleHTTP.pages, tls: tls,
                connections: ConnectionLimiter.Count(limit: configuration.maxConnections), idleTimeout: idleTimeout, logger: logger)))
        }
        if refreshIdentity {
            services.append(.init(service: IdentityRefresher(store: identityStore, directory: directory, interval: .seconds(5), logger: logger)))
        }
        let group = ServiceGroup(
            configuration: .init(
                services: services,
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        // The console's clients are shut down however the group ends: one dropped without a
        // shutdown stops the process (AsyncHTTPClient's deinit check), so a listener that could
        // not bind its address crashed the server instead of ending it with that error.
        do {
            try await group.run()
        } catch {
            try? await consoleHTTP?.pages.shutdown()
            try? await consoleHTTP?.transfers.shutdown()
            throw error
        }
        try? await consoleHTTP?.pages.shutdown()
        try? await consoleHTTP?.transfers.shutdown()
        // Replaced blobs still waiting to be unlinked go before the process ends, for a few
        // seconds at most (a stop must not outlast a supervisor's patience); the rest are
        // orphans for the next start's sweep.
        let left = await store.blobs.settle(within: .seconds(5))
        if left > 0 { logger.notice("replaced blobs left for the next start's orphan sweep", metadata: ["blobs": "\(left)"]) }
    }
}
