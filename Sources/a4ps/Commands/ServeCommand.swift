import A4PS
import A4PSServer
import LivingImage
import ArgumentParser
import Foundation
import Scrapbook
import Logging

/// `a4ps serve`: the whole runtime over HTTP — the API, the event stream and the Entropic UI —
/// until SIGINT or SIGTERM.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the runtime over HTTP: the JSON API (described at /openapi.json), an event stream, and the Entropic UI at /.",
        discussion: """
            Every request but GET /health needs the server's token, sent as `Authorization: Bearer <token>`. \
            The token is made the first time a server starts on an image, printed once, and kept beside the image \
            in <image>.token (mode 0600, readable by you only). Requests must name the server as 127.0.0.1, \
            localhost, [::1], the --host or an --allowed-host, and may not come from another web page. \
            The browser signs in with the one-time login URL printed at start (it sets an HttpOnly session cookie; \
            POST /login/code gives a new one). While it runs, other a4ps commands on the image go through it or refuse.
            """
    )
    @OptionGroup var options: ImageOptions
    @Option(help: "Address to listen on (loopback by default: the API changes code; do not expose it).") var host = "127.0.0.1"
    @Option(help: "Port (0 picks a free one).") var port = 8350
    @Option(name: .customLong("allowed-host"), help: "Another name clients may reach the server by (the machine's name or address when --host is 0.0.0.0); repeatable.")
    var allowedHosts: [String] = []
    @Option(name: .customLong("max-body"), help: "The largest request body, in bytes.") var maxBody = 1 << 20
    @Option(name: .customLong("max-sends"), help: "How many message sends may run at once; more are refused with 429.") var maxSends = 8

    func validate() throws {
        guard maxBody > 0 else { throw ValidationError("--max-body must be positive") }
        guard maxSends > 0 else { throw ValidationError("--max-sends must be positive") }
    }

    func run() async throws {
        let path = options.imagePath
        let (token, created) = try ServerToken.loadOrCreate(forImage: path)
        let server = ImageServer.Configuration(host: host, port: port, token: token, allowedHosts: allowedHosts,
                                               maxBodyBytes: maxBody, maxConcurrentSends: maxSends)
        let logger = options.logger
        if created {
            emitLine("a4ps: made the server's token (kept in \(token.path), readable by you only; shown this once):\n  \(token.value)")
        }
        if !ImageServer.Configuration.isLoopback(host) {
            logger.warning("listening on \(host): the API is plain HTTP, so the token crosses the network readable; put a TLS proxy in front")
        }
        let host = host
        try await options.withRuntime(repairing: true) { runtime in
            // Fine-tune jobs queued by anyone (the golden trigger, `a4ps finetune --queue`) run here, one at a time.
            let finetunes = Task {
                while !Task.isCancelled {
                    _ = await runtime.finetune.runQueued()
                    try? await Task.sleep(for: .seconds(5))
                }
            }
            // Proposals the Architect did not decide in time expire, and ALFRED's runs waiting for them conclude.
            let expiry = Task {
                while !Task.isCancelled {
                    do {
                        try await runtime.amendments.expire()
                        _ = try await runtime.ascension.expire()
                    } catch {
                        logger.warning("could not expire overdue proposals: \(error)")
                    }
                    try? await Task.sleep(for: .seconds(60))
                }
            }
            // The memory index is read now, partition by partition off the request path, so no search by meaning waits on the file.
            let warming = Task {
                do { try await runtime.scrapbook.warmIndex() } catch { logger.warning("could not load the memory index (the first search tries again): \(error)") }
            }
            // The motivator pursues its goals while no request of the Architect's runs; the curiosity review looks for gaps.
            let motivator = Task { await runtime.motivator.run() }
            let curiosity = Task {
                guard runtime.config.motivator.enabled else { return }
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(runtime.config.motivator.curiosityIntervalSeconds))
                    if Task.isCancelled { break }
                    do { try await runtime.motivator.reviewCuriosity() } catch { logger.warning("the curiosity review failed: \(error)") }
                }
            }
            // With [system] history_keep_days, the change log is compacted now and once a day (freed pages are
            // returned to the disk when the image uses incremental vacuum; an older image is not rewritten here).
            let compaction = Task {
                guard let days = runtime.config.system.historyKeepDays else { return }
                while !Task.isCancelled {
                    do {
                        let report = try runtime.image.compactHistory(keepingDays: days, holds: ChangeLogHold.loops)
                        if report.removedChanges > 0 {
                            logger.info("compacted the change log: removed \(report.removedChanges) change(s) older than \(days) day(s)")
                        }
                    } catch {
                        logger.warning("could not compact the change log (history_keep_days = \(days)): \(error)")
                    }
                    try? await Task.sleep(for: .seconds(86_400))
                }
            }
            defer { finetunes.cancel(); expiry.cancel(); motivator.cancel(); curiosity.cancel(); compaction.cancel(); ServerClaim.remove(forImage: path) }
            let imageServer = ImageServer(runtime: runtime, logger: logger)
            let background = imageServer.background
            try await imageServer.run(server) { bound in
                let shown = host.contains(":") ? "[\(host)]" : (host == "0.0.0.0" ? "127.0.0.1" : host)
                // Other a4ps commands on this image go through this server (or refuse) while it runs.
                do { try ServerClaim.write(forImage: path, url: "http://\(shown):\(bound)") } catch {
                    logger.warning("could not mark \(path) as served (other commands will not know): \(error)")
                }
                emitLine("a4ps serving \(path) on http://\(shown):\(bound)  (token in \(token.path); Ctrl-C to stop)")
                // The UI's way in: a one-time code that becomes an HttpOnly cookie (the token never enters the browser).
                emitLine("the Entropic UI: open http://\(shown):\(bound)/login?code=\(imageServer.sessions.issueCode())  (works once, for 10 minutes)")
                // Runs an earlier server started over the API and left at a checkpoint go on.
                await background?.resumeInterrupted()
            }
            ServerClaim.remove(forImage: path)
            // In-flight deliberations stop at their next checkpoint; the next start resumes them.
            await background?.stopAll()
            finetunes.cancel()
            expiry.cancel()
            motivator.cancel()
            curiosity.cancel()
            compaction.cancel()
            await finetunes.value
            await expiry.value
            await motivator.value
            await curiosity.value
            await compaction.value
            await warming.value      // it reads the image file, which closes next
        }
    }
}
