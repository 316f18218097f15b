import CKrb5
import Foundation

/// libkrb5's configuration for one login, held in memory (`profile_init_vtable`): no
/// /etc/krb5.conf, no KRB5_CONFIG, no include file is read. Only the relations below exist; for
/// every other one libkrb5 uses its built-in default.
final class KerberosProfile {
    /// Values by relation path (`["libdefaults", "dns_lookup_kdc"]`).
    let relations: [[String]: [String]]

    init(realm: String, kdc: LoginEndpoint) {
        let host = kdc.host.contains(":") ? "[\(kdc.host)]" : kdc.host
        relations = [
            ["libdefaults", "default_realm"]: [realm],
            // No DNS: neither SRV/TXT records for KDCs and realms nor a fallback to them.
            ["libdefaults", "dns_lookup_kdc"]: ["false"],
            ["libdefaults", "dns_lookup_realm"]: ["false"],
            ["libdefaults", "dns_fallback"]: ["false"],
            ["libdefaults", "dns_canonicalize_hostname"]: ["false"],
            ["libdefaults", "rdns"]: ["false"],
            // TCP only (RFC 4120 §7.2.2). revenant carries the messages itself; this only keeps
            // the configuration true to what happens.
            ["libdefaults", "udp_preference_limit"]: ["1"],
            ["realms", realm, "kdc"]: ["\(host):\(kdc.port)"],
        ]
    }

    /// Runs `body` with a profile over this object; the profile is released afterwards (a
    /// context made from it keeps its own copy, which shares this object: keep it alive as long).
    func withProfile<R>(_ body: (profile_t) -> R) -> R? {
        var vtable = profile_vtable()
        vtable.minor_ver = 1
        vtable.get_values = { data, names, values in
            guard let data, let names, let values else { return PROF_NO_RELATION }
            let profile = Unmanaged<KerberosProfile>.fromOpaque(data).takeUnretainedValue()
            var path: [String] = []
            var i = 0
            while let name = names[i] {
                path.append(String(cString: name))
                i += 1
            }
            guard let found = profile.relations[path] else { return PROF_NO_RELATION }
            let list = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>.allocate(capacity: found.count + 1)
            for (k, value) in found.enumerated() { list[k] = strdup(value) }
            list[found.count] = nil
            values.pointee = list
            return 0
        }
        vtable.free_values = { _, values in
            guard let values else { return }
            var i = 0
            while let value = values[i] {
                free(value)
                i += 1
            }
            values.deallocate()
        }
        var made: profile_t?
        guard profile_init_vtable(&vtable, Unmanaged.passUnretained(self).toOpaque(), &made) == 0, let profile = made else { return nil }
        defer { profile_release(profile) }
        return body(profile)
    }
}
