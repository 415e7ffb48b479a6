import HashSets
import Matching
import NIOConcurrencyHelpers
import PerceptualHashing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The served index and the hash-set folder behind it: reloads build a new `Matcher` aside and swap it in whole;
/// admin changes are written to the set's file durably first, then applied to a copy of the live index (only what
/// they touch is copied), which is swapped in.
///
/// Readers take the current `Matcher` (a copy-on-write value) under a short lock and search it outside the lock,
/// so a request in flight finishes on the index it started with, and no write ever holds that lock for longer
/// than a swap. Writers (reloads, admin changes) are serialized by a second lock and run on worker threads, never
/// on an event loop.
public final class Catalogue: Sendable {
    /// What is being served.
    public struct Snapshot: Sendable {
        /// The index.
        public var matcher: Matcher
        /// Incremented by every reload and admin change.
        public var generation: Int
        /// Problems found by the last load (bad lines, skipped files).
        public var issues: [String]
    }

    /// What a reload did.
    public struct ReloadSummary: Sendable {
        /// The sets now served.
        public var sets: [String]
        /// Entries per algorithm.
        public var counts: [HashAlgorithm: Int]
        /// Bad lines skipped (warnings, not failures).
        public var issues: [String]
        /// The new generation.
        public var generation: Int
        /// Lines appended to the sets since the index snapshot was built, replayed onto it (0 when the snapshot was
        /// current or the sets were parsed).
        public var replayedLines = 0
    }

    private let store: HashSetStore
    private let thresholds: MatchThresholds
    private let state: NIOLockedValueBox<Snapshot?>
    private let writer = NIOLock()
    /// mtime and size of every `.hashset` file as last loaded (or tried: see `reload`) or written by us.
    private let signature = NIOLockedValueBox<[String: FileStamp]>([:])

    /// A catalogue over `directory`; nothing is loaded until `reload()`.
    public init(directory: String, thresholds: MatchThresholds) {
        self.store = HashSetStore(directory: directory)
        self.thresholds = thresholds
        self.state = NIOLockedValueBox(nil)
    }

    /// The folder served.
    public var directory: String { store.directory }

    /// The current snapshot, nil before the first successful load.
    public var snapshot: Snapshot? { state.withLockedValue { $0 } }

    /// Loads every set and swaps the new index in. Blocking: call it off the event loops.
    ///
    /// A file that cannot be loaded at all (unreadable, not a hash-set file) fails the reload and the previous index
    /// stays: silently dropping a set of known-harmful hashes would be worse than serving a stale one.
    ///
    /// - Throws: `ServiceError` with code `reload_failed`.
    @discardableResult
    public func reload() throws(ServiceError) -> ReloadSummary {
        try writer.withLock { () -> Result<ReloadSummary, ServiceError> in reloadLocked(Self.stamps(store.directory)) }
            .get()
    }

    /// Reloads if a `.hashset` file appeared, disappeared or changed since the last load, reload attempt or admin
    /// write, judged once no write is under way: a folder watcher that saw an admin change's file a moment before
    /// the change recorded it would otherwise reload every set for nothing.
    ///
    /// - Returns: nil when nothing changed.
    /// - Throws: `ServiceError` with code `reload_failed`.
    public func reloadIfFolderChanged() throws(ServiceError) -> ReloadSummary? {
        try writer.withLock { () -> Result<ReloadSummary?, ServiceError> in
            let stamps = Self.stamps(store.directory)
            guard signature.withLockedValue({ $0 != stamps }) else { return .success(nil) }
            return reloadLocked(stamps).map { $0 }
        }.get()
    }

    /// Loads every set and swaps the new index in; call with `writer` held. `stamps` are the files' stamps, taken
    /// before anything is read.
    private func reloadLocked(_ stamps: [String: FileStamp]) -> Result<ReloadSummary, ServiceError> {
        // Recorded even when the reload fails, so the watcher retries once the files change again rather than
        // every interval (an unreadable folder would otherwise log the same failure every two seconds).
        defer { signature.withLockedValue { $0 = stamps } }
        var issues: [String] = []
        switch MatcherSnapshotFile.load(from: store.directory, thresholds: thresholds) {
        case .success(let loaded):
            // The index snapshot is current, or behind by appended lines only: no whole set to parse, no index to build.
            var summary = swapIn(loaded.matcher, issues: loaded.issues.map { "\($0)" })
            summary.replayedLines = loaded.replayedLines
            return .success(summary)
        case .failure(let skipped): issues.append("\(skipped); loaded the sets instead")
        case nil: break
        }
        let load: HashSetStore.Load
        do {
            load = try store.loadAll()
        } catch {
            return .failure(ServiceError(.reloadFailed, "cannot load hash sets from \(store.directory): \(error)"))
        }
        let fatal = load.issues.filter { $0.line == nil }
        if !fatal.isEmpty {
            let reasons = fatal.map { "\($0)" }.joined(separator: "; ")
            return .failure(ServiceError(.reloadFailed, "kept the previous index: \(reasons)"))
        }
        let matcher = Matcher(sets: load.sets, thresholds: thresholds)
        return .success(swapIn(matcher, issues: issues + load.issues.map { "\($0)" }))
    }

    /// Makes `matcher` the served index (call with `writer` held).
    private func swapIn(_ matcher: Matcher, issues: [String]) -> ReloadSummary {
        let generation = (snapshot?.generation ?? 0) + 1
        publish(Snapshot(matcher: matcher, generation: generation, issues: issues))
        return ReloadSummary(sets: matcher.setNames, counts: matcher.counts, issues: issues, generation: generation)
    }

    /// Serves `next` (call with `writer` held). The index it replaces is released after the readers' lock, not
    /// under it: freeing a large index (or the last reference to parts of it) under the lock stalled every lookup
    /// for tens of milliseconds at 1M entries.
    private func publish(_ next: Snapshot) {
        let previous = state.withLockedValue { current in
            defer { current = next }
            return current
        }
        withExtendedLifetime(previous) {}
    }

    /// Whether any `.hashset` file appeared, disappeared or changed since the last load, reload attempt or admin write.
    public func folderChanged() -> Bool {
        let now = Self.stamps(store.directory)
        return signature.withLockedValue { $0 != now }
    }

    /// Adds entries to `set` (creating the set when absent): appended to its file and `fsync`ed, then indexed.
    ///
    /// - Returns: how many entries were added and how many were already present.
    /// - Throws: `ServiceError` (`bad_set_name`, `duplicate_id`, `storage_failed`; `reload_failed` when the set changed
    ///   outside and the folder cannot be reloaded first); nothing changes on error.
    public func add(_ entries: [HashSetEntry], toSet set: String) throws(ServiceError) -> HashSetFile.AppendSummary {
        try writer.withLock { () -> Result<HashSetFile.AppendSummary, ServiceError> in
            guard HashSetStore.isValidSetName(set) else { return .failure(Self.badName(set)) }
            if case .failure(let error) = catchUp(withSet: set) { return .failure(error) }
            do throws(HashSetError) {
                var file: HashSetFile
                do throws(HashSetError) {
                    file = try store.open(set, selecting: Set(entries.map(\.id)))
                } catch .noSuchSet {
                    file = try store.create(set)
                }
                let summary = try file.add(entries)
                let settings = file.set.settings
                let added = entries.filter { file.set.entry(id: $0.id) == $0 }
                updateLive(path: file.path) { $0.insert(added, intoSet: set, settings: settings) }
                return .success(summary)
            } catch {
                return .failure(Self.storageError(error))
            }
        }.get()
    }

    /// Removes entries of `set` by id: tombstones appended and `fsync`ed, then the entries leave the index.
    ///
    /// - Returns: how many entries were removed.
    /// - Throws: `ServiceError` (`bad_set_name`, `storage_failed`, `reload_failed` as for `add`).
    public func remove(ids: [String], fromSet set: String) throws(ServiceError) -> Int {
        try writer.withLock { () -> Result<Int, ServiceError> in
            guard HashSetStore.isValidSetName(set) else { return .failure(Self.badName(set)) }
            if case .failure(let error) = catchUp(withSet: set) { return .failure(error) }
            do throws(HashSetError) {
                var file = try store.open(set, selecting: Set(ids))
                let summary = try file.remove(ids: ids)
                updateLive(path: file.path) { $0.remove(ids: ids, fromSet: set) }
                return .success(summary.removed)
            } catch {
                return .failure(Self.storageError(error))
            }
        }.get()
    }

    /// Reloads first (call with `writer` held) when the set's file changed since it was last loaded or written here
    /// (another writer: the CLI, a sync job) and the watcher has not caught up: patching the live index with this
    /// change alone would leave the other one unserved, and recording the file's new stamp would hide it from the
    /// watcher for good.
    private func catchUp(withSet set: String) -> Result<Void, ServiceError> {
        let current = Self.stamp(store.path(for: set))
        guard signature.withLockedValue({ $0["\(set).hashset"] }) != current else { return .success(()) }
        return reloadLocked(Self.stamps(store.directory)).map { _ in () }
    }

    /// Applies a change to the live matcher and records the file's new stamp, so the watcher does not reload it.
    ///
    /// Called with `writer` held, so nothing else changes the index between the read and the swap. The change is
    /// made to a copy outside the readers' lock and only the finished index is swapped in, so requests never wait
    /// for it. (Made in place under that lock, a change stalled every lookup for as long as it took: 35 ms at 1M
    /// entries to copy what readers still held, 0.6 s for the first change after a load, which maps every row.)
    private func updateLive(path: String, _ change: (inout Matcher) -> Void) {
        if var next = snapshot {
            change(&next.matcher)
            next.generation += 1
            publish(next)
        }
        let name = String(path.split(separator: "/").last ?? "")
        if let stamp = Self.stamp(path) { signature.withLockedValue { $0[name] = stamp } }
    }

    private static func badName(_ set: String) -> ServiceError {
        ServiceError(.badSetName, "\"\(set)\" is not a valid set name (letters, digits, - _ .)")
    }

    private static func storageError(_ error: HashSetError) -> ServiceError {
        switch error {
        case .duplicateID(let set, let id):
            ServiceError(.duplicateID, "set \(set) already has a different entry with id \(id); remove it first")
        case .invalidSetName(let name): ServiceError(.badSetName, "\"\(name)\" is not a valid set name")
        case .noSuchSet(let name): ServiceError(.noSuchSet, "no set named \"\(name)\"")
        default: ServiceError(.storageFailed, "\(error)")
        }
    }

    struct FileStamp: Equatable, Sendable {
        var seconds: Int
        var nanoseconds: Int
        var size: Int
    }

    private static func stamp(_ path: String) -> FileStamp? {
        var status = stat()
        guard stat(path, &status) == 0 else { return nil }
        #if canImport(Darwin)
        let time = status.st_mtimespec
        #else
        let time = status.st_mtim
        #endif
        return FileStamp(seconds: Int(time.tv_sec), nanoseconds: Int(time.tv_nsec), size: Int(status.st_size))
    }

    private static func stamps(_ directory: String) -> [String: FileStamp] {
        guard let names = try? HashSetStore(directory: directory).setNames() else { return [:] }
        var stamps: [String: FileStamp] = [:]
        for name in names {
            if let stamp = stamp("\(directory)/\(name).hashset") { stamps["\(name).hashset"] = stamp }
        }
        return stamps
    }
}
