import Foundation
import RevenantCore

/// Helpers shared by the importer tests: a mapping, running an importer over text, and the errors it threw.
enum ImportTest {
    static func mapping(_ json: String) -> ProbeMapping {
        try! ProbeMapping.decode(Array(json.utf8), file: "mapping.json")
    }

    static func options(_ mapping: String = #"{"map": {}}"#, state: LifecycleState? = nil, owner: String? = nil) -> ImportOptions {
        ImportOptions(state: state, owner: owner, mapping: self.mapping(mapping))
    }

    /// The errors `body` threw (empty when it succeeded).
    static func errors(_ body: () throws(InputErrors) -> ImportedInventory) -> [InputError] {
        do { _ = try body(); return [] } catch { return error.errors }
    }

    /// The credential with this id prefix (the hash part varies with the location, by design).
    static func first(_ inventory: ImportedInventory, _ prefix: String) -> ImportedCredential? {
        inventory.credentials.first { $0.id.hasPrefix(prefix) }
    }
}
