import Foundation
import Inference
import LivingImage
import Logging

/// The autotelic drive (seed 003 Part IV, seed 004 §3.4): events in, goals out. It observes the
/// image's event bus — no polling of state — and asks ALFRED's Lua method `goalFor` (rules in his
/// codex, `motivator`) what each event calls for: a follow-up deliberation, research for BABS, a
/// forge, a fine-tune, a codex amendment. Goals are durable (``GoalStore``), deduplicated and
/// prioritized; the governor checks each against the Architect's budget (`[motivator]`), and one
/// that may not start yet waits, deferred, with the reason.
///
/// Every process with a runtime queues goals from what it observes; `a4ps serve` (``run()``)
/// pursues them, one at a time, only while no Architect's request runs (``ArchitectPresence``) —
/// a goal's deliberation gives way at its next step and resumes later.
public actor Motivator {
    /// The events the motivator turns into goals (ALFRED's `goalFor` decides what each calls for).
    public static let observed: Set<String> = [
        "cognitive_dissonance", "curiosity_deficit", "characterological_dissonance", "not_understood", "debug.unfixed",
        "oracle.scored", "philosophical.dissonance.persistent",
    ]
    static let leaseSeconds: Double = 30

    let image: Image
    public nonisolated let store: GoalStore
    public nonisolated let presence: ArchitectPresence
    let handlers: GoalHandlers
    let settings: MotivatorSettings
    let logger: Logger
    private let owner = LeaseOwner().description
    /// The run loop waiting for something to change, and whether something did while it was busy.
    private var waiter: CheckedContinuation<Void, Never>?
    private var pendingWake = false

    init(image: Image, store: GoalStore, presence: ArchitectPresence, handlers: GoalHandlers, settings: MotivatorSettings, logger: Logger) {
        self.image = image
        self.store = store
        self.presence = presence
        self.handlers = handlers
        self.settings = settings
        self.logger = logger
    }

    /// The Architect's budget, as the governor checks it now.
    var budget: GoalBudget {
        let hour = Calendar.current.component(.hour, from: Date())
        let quiet = settings.quietHours.flatMap { $0.contains(hour: hour) ? $0.description : nil }
        return GoalBudget(goalsPerHour: settings.goalsPerHour, modelSecondsPerDay: settings.modelSecondsPerDay,
                          mayForge: settings.goalsMayForge, mayFinetune: settings.goalsMayFinetune, quietNow: quiet)
    }

    // MARK: Events in

    /// Observes the image's events until the bus finishes (the runtime shuts down).
    nonisolated func observe() -> Task<Void, Never> {
        let events = image.events.subscribe()
        return Task {
            for await event in events {
                guard case .emitted(let proto, let name, let payload) = event, Self.observed.contains(name) else { continue }
                await receive(name, from: proto, payload: payload)
            }
        }
    }

    /// What the event `name` (emitted by `proto`) calls for: the goal queued (or deferred), the open
    /// goal it repeats, or nil when ALFRED's rules want nothing (or the motivator is off).
    @discardableResult
    public func receive(_ name: String, from proto: String, payload: JSONValue, now: Date = Date()) async -> Goal? {
        guard settings.enabled else { return nil }
        // An image from before the motivator has no rules: asking would only be "not understood" (itself an event).
        guard image.memory.proto(named: "ALFRED")?.methods["goalFor"] != nil else { return nil }
        do {
            let subject = Self.subject(of: name, payload)
            let recent = try store.recordSignal(name, subject: subject, payload: payload, now: now)
            let verdict = try await image.send("ALFRED", "goalFor", [
                "event": .string(name), "proto": .string(proto), "payload": payload, "recent": .int(recent),
            ])
            guard let kindName = verdict["kind"]?.stringValue else { return nil }
            guard let kind = Goal.Kind(rawValue: kindName) else {
                throw MotivatorError(.invalidGoal, "ALFRED>>goalFor answered the kind \"\(kindName)\"; the kinds are "
                    + Goal.Kind.allCases.map(\.rawValue).joined(separator: ", "))
            }
            let goal = GoalStore.NewGoal(
                kind: kind, title: verdict["title"]?.stringValue ?? "\(kindName) after \(name)", args: verdict["args"] ?? .object([:]),
                key: verdict["key"]?.stringValue ?? "\(name):\(subject)", priority: verdict["priority"]?.intValue ?? 1,
                origin: ["event": .string(name), "proto": .string(proto), "payload": payload])
            // A burst beyond the hour's budget: the allowed number are queued, the rest wait (deferred) with the reason.
            var usage = try store.usage(now: now)
            usage.startedLastHour += try store.goals(status: .queued, limit: 1000).count
            let deferral = try Governor.goalVeto(kind: kind.rawValue, budget: budget, usage: usage).map { veto in
                (reason: veto.description, until: try deferredUntil(veto, now: now))
            }
            let (queued, isNew) = try store.enqueue(goal, deferral: deferral, now: now)
            if isNew {
                publish(queued.status == .deferred ? "motivator.goal.deferred" : "motivator.goal.queued", queued)
                wakeUp()
            }
            return queued
        } catch {
            logger.warning("the motivator could not turn \(name) into a goal: \(error)")
            image.events.publish(.emitted(proto: "ALFRED", name: "motivator.error", payload: ["event": .string(name), "error": .string("\(error)")]))
            return nil
        }
    }

    /// What an event is about, for deduplication and counting repeats.
    static func subject(of name: String, _ payload: JSONValue) -> String {
        switch name {
        case "not_understood": "\(payload["receiver"]?.stringValue ?? "?")>>\(payload["selector"]?.stringValue ?? "?")"
        case "debug.unfixed": "\(payload["proto"]?.stringValue ?? "?")>>\(payload["selector"]?.stringValue ?? "?")"
        case "cognitive_dissonance", "oracle.scored": payload["task"]?.stringValue ?? payload["run"]?.stringValue ?? "?"
        case "curiosity_deficit": payload["gap"]?.stringValue ?? "?"
        case "characterological_dissonance": "\(payload["persona"]?.stringValue ?? "?")→\(payload["model"]?.stringValue ?? "?")"
        case "philosophical.dissonance.persistent": (payload["runs"]?.arrayValue ?? []).compactMap(\.stringValue).joined(separator: ",")
        default: payload.jsonText
        }
    }

    /// When a goal the budget refused may try again.
    private func deferredUntil(_ veto: Governor.Veto, now: Date) throws -> Date {
        switch veto.rule {
        case "goals_per_hour", "model_seconds_per_day":
            return try store.budgetFrees(rule: veto.rule, now: now) ?? now.addingTimeInterval(veto.rule == "goals_per_hour" ? 3600 : 86_400)
        case "quiet_hours":
            let calendar = Calendar.current
            let until = settings.quietHours?.until ?? 0
            return calendar.nextDate(after: now, matching: DateComponents(hour: until % 24, minute: 0), matchingPolicy: .nextTime)
                ?? now.addingTimeInterval(3600)
        default:
            // Not allowed at all (goals_may_forge, goals_may_finetune): look again in a day, in case the Architect changed it.
            return now.addingTimeInterval(86_400)
        }
    }

    // MARK: Goals pursued

    /// What one step of the motivator did.
    public enum Step: Sendable, Equatable {
        /// Nothing may run now (nothing queued, or every queued goal waits for its time).
        case idle
        /// `[motivator] enabled = false`.
        case disabled
        /// An Architect's request is running: the goals wait.
        case architectBusy
        /// The goal, as it ended this step (done, failed, deferred, cancelled).
        case pursued(Goal)
    }

    /// Pursues the most urgent goal that may run now, to its end or until it gives way.
    public func runNext(now: Date = Date()) async -> Step {
        guard settings.enabled else { return .disabled }
        guard !presence.isBusy() else { return .architectBusy }
        do {
            for goal in try store.recover(now: now) {
                logger.warning("goal \(goal.id) lost its motivator; it is queued again")
            }
            guard let goal = try store.claimNext(owner: owner, leaseSeconds: Self.leaseSeconds, now: now) else { return .idle }
            let started = Date()
            var usage = try store.usage(now: now)
            if goal.attempts == 1 { usage.startedLastHour -= 1 }  // its own first start
            if let refusal = admit(goal.kind, usage: usage) {
                let until = try refusal.veto.map { try deferredUntil($0, now: now) }
                let deferred = try store.finish(goal.id, owner: owner, as: .deferred, reason: refusal.veto?.description ?? refusal.message,
                                                seconds: 0, startedAt: started, notBefore: until) ?? goal
                publish("motivator.goal.deferred", deferred)
                return .pursued(deferred)
            }
            publish("motivator.goal.started", goal)
            return .pursued(try await pursue(goal, started: started))
        } catch {
            logger.warning("the motivator stumbled: \(error)")
            return .idle
        }
    }

    /// The governor's refusal of a goal of `kind` starting now (published as a veto), or nil.
    private func admit(_ kind: Goal.Kind, usage: GoalBudget.Usage) -> (veto: Governor.Veto?, message: String)? {
        do {
            try image.admitGoal(kind: kind.rawValue, budget: budget, usage: usage)
            return nil
        } catch {
            return (error.veto, error.description)
        }
    }

    private func pursue(_ goal: Goal, started: Date) async throws -> Goal {
        let (store, presence, owner, id) = (store, presence, owner, goal.id)
        let renewal = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(Self.leaseSeconds / 3))
                if Task.isCancelled { break }
                _ = try? store.renew(id, owner: owner, leaseSeconds: Self.leaseSeconds)
            }
        }
        // Give way when the Architect needs the models, or stop when the goal was cancelled.
        let yieldWhen: @Sendable () async -> Bool = {
            presence.isBusy() || (try? store.goal(id))?.status == .cancelled
        }
        let result: GoalHandlers.Result
        do {
            result = try await handlers.pursue(goal, yieldWhen: yieldWhen)
        } catch {
            result = .failed("\(error)")
        }
        // Stopped, and waited for, before anything else touches the image (which may be closing next).
        renewal.cancel()
        await renewal.value
        let seconds = Date().timeIntervalSince(started)
        let ended: Goal?
        switch result {
        case .done(let outcome):
            ended = try store.finish(id, owner: owner, as: .done, reason: nil, outcome: outcome, seconds: seconds, startedAt: started)
        case .failed(let reason):
            ended = try store.finish(id, owner: owner, as: .failed, reason: reason, seconds: seconds, startedAt: started)
        case .yielded:
            ended = try store.finish(id, owner: owner, as: .deferred, reason: "gave way to the Architect's request; resumes after it",
                                     seconds: seconds, startedAt: started)
        }
        let goal = ended ?? goal
        switch goal.status {
        case .done: publish("motivator.goal.done", goal)
        case .failed:
            logger.warning("goal \(goal.id) (\(goal.title)) failed: \(goal.reason ?? "")")
            publish("motivator.goal.failed", goal)
        case .deferred: publish("motivator.goal.deferred", goal)
        case .cancelled: publish("motivator.goal.cancelled", goal)
        case .queued, .running: break
        }
        return goal
    }

    /// Pursues goals whenever one may run, until cancelled (`a4ps serve`): woken by a new goal, by
    /// the time a deferred goal waits for, by an Architect's request ending — never a polling loop.
    public func run() async {
        guard settings.enabled else { return }
        while !Task.isCancelled {
            var step = await runNext()
            while case .pursued = step, !Task.isCancelled { step = await runNext() }
            // Sleep until something may have changed: a new goal (woken), the next deferred goal's
            // time, or the end of the Architect's requests (their leases bound the wait).
            var wake = (try? store.nextWake()) ?? nil
            if step == .architectBusy { wake = min(wake ?? .distantFuture, ((try? presence.latestLease()) ?? nil) ?? Date().addingTimeInterval(5)) }
            await waitForWake(until: wake)
        }
    }

    /// Wakes the run loop (an Architect's request in this process ended, a goal was queued).
    public nonisolated func wake() { Task { await wakeUp() } }

    private func wakeUp() {
        if let waiter {
            self.waiter = nil
            waiter.resume()
        } else {
            pendingWake = true
        }
    }

    private func waitForWake(until: Date?) async {
        if pendingWake || Task.isCancelled {
            pendingWake = false
            return
        }
        let timer = until.map { date in
            Task { [weak self] in
                try? await Task.sleep(for: .seconds(max(0.05, date.timeIntervalSinceNow)))
                await self?.wakeUp()
            }
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { waiter = $0 }
        } onCancel: {
            Task { [weak self] in await self?.wakeUp() }
        }
        timer?.cancel()
        pendingWake = false
    }

    // MARK: Architect's decisions

    /// The Architect cancels goal `id`.
    public func cancel(_ id: Int64) throws -> Goal {
        let goal = try store.cancel(id)
        publish("motivator.goal.cancelled", goal)
        return goal
    }

    private func publish(_ name: String, _ goal: Goal) {
        var payload: [String: JSONValue] = ["goal": .int(Int(goal.id)), "kind": .string(goal.kind.rawValue), "title": .string(goal.title),
                                            "status": .string(goal.status.rawValue)]
        if let reason = goal.reason { payload["reason"] = .string(reason) }
        if let run = goal.run { payload["run"] = .string(run) }
        image.events.publish(.emitted(proto: "ALFRED", name: name, payload: .object(payload)))
    }
}
