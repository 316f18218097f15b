import Foundation
import RevenantCore

/// A file read whole into pages of its own (an anonymous mapping), which are given back to the
/// system as the reader moves past them (`madvise(MADV_DONTNEED)`). A 183 MB inventory is then
/// never held whole beside the million credentials made from it. The bytes are a copy taken when
/// the file is opened: a file rewritten while it is parsed cannot change under the parser (a
/// mapping of the file itself would fault on a truncated page).
final class ReleasableFileBytes: InventoryBytes {
    let buffer: UnsafeBufferPointer<UInt8>
    private let mapping: UnsafeMutableRawPointer
    private let mappedLength: Int
    /// The bytes before this offset have been given back.
    private var released = 0
    /// Pages are given back in steps of at least this much: one system call per few thousand credentials.
    static let step = 4 << 20
    static let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))

    private init(mapping: UnsafeMutableRawPointer, mappedLength: Int, count: Int) {
        self.mapping = mapping
        self.mappedLength = mappedLength
        buffer = UnsafeBufferPointer(start: mapping.assumingMemoryBound(to: UInt8.self), count: count)
    }

    deinit { munmap(mapping, mappedLength) }

    /// A regular file's bytes, or nil when it cannot be read (as `FileBytes.read`).
    static func read(_ path: String) -> (any InventoryBytes)? {
        guard let (fd, size) = FileBytes.openRegular(path) else { return nil }
        defer { close(fd) }
        // A mapping cannot be empty; an empty file gets one page and a count of 0.
        let length = max(size, 1)
        guard let mapping = mmap(nil, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
              mapping != UnsafeMutableRawPointer(bitPattern: -1) else { return nil }
        guard let done = FileBytes.fill(fd, mapping, count: size) else {
            munmap(mapping, length)
            return nil
        }
        return ReleasableFileBytes(mapping: mapping, mappedLength: length, count: done)
    }

    func release(upTo offset: Int) {
        let end = min(offset, buffer.count) / Self.pageSize * Self.pageSize
        guard end - released >= Self.step else { return }
        madvise(mapping + released, end - released, MADV_DONTNEED)
        released = end
    }
}
