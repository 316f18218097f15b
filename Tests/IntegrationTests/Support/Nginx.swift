import Foundation
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// An nginx in the foreground (`daemon off;`) with the `server { }` blocks a test gives, its pid,
/// logs and temp files in the test's directory; stopped by pid.
struct Nginx {
    let process: RunningCommand

    static func start(_ work: WorkDirectory, servers: String, ports: [Int]) async throws -> Nginx {
        let dir = work.path
        let conf = try work.write("nginx-\(ports.first ?? 0).conf", """
        worker_processes 1;
        daemon off;
        pid "\(dir)/nginx-\(ports.first ?? 0).pid";
        error_log "\(dir)/error.log" notice;
        events { worker_connections 64; }
        http {
            access_log off;
            client_body_temp_path "\(dir)/tmp/body";
            proxy_temp_path "\(dir)/tmp/proxy";
            fastcgi_temp_path "\(dir)/tmp/fastcgi";
            uwsgi_temp_path "\(dir)/tmp/uwsgi";
            scgi_temp_path "\(dir)/tmp/scgi";
        \(servers)
        }
        """)
        try FileManager.default.createDirectory(at: work.file("tmp"), withIntermediateDirectories: true)
        let nginxPath = ["/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/bin/nginx", "/usr/local/bin/nginx"]
            .first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let nginxPath else { throw CommandError(description: "nginx is required for this test and was not found") }
        // Its own process group, so the command's timeout (a backstop) also reaches the worker.
        let process = try RunningCommand(executable: URL(fileURLWithPath: nginxPath), ["-c", conf, "-p", dir, "-e", "\(dir)/error.log"],
                                         timeout: 600, ownProcessGroup: true)
        let nginx = Nginx(process: process)
        for _ in 0..<100 {
            if ports.allSatisfy(Loopback.canConnect) { return nginx }
            if kill(process.pid, 0) != 0 { break }
            try await Task.sleep(nanoseconds: 100_000_000)
        }
        await nginx.stop()
        throw CommandError(description: "nginx did not start on 127.0.0.1:\(ports):\n\(work.read("error.log"))")
    }

    /// Runs `body` with nginx up, and stops nginx afterwards, also when `body` throws.
    static func with<T>(_ work: WorkDirectory, servers: String, ports: [Int], _ body: () async throws -> T) async throws -> T {
        let nginx = try await start(work, servers: servers, ports: ports)
        do {
            let value = try await body()
            await nginx.stop()
            return value
        } catch {
            await nginx.stop()
            throw error
        }
    }

    func stop() async {
        process.signal(SIGTERM)
        let child = process.child
        DispatchQueue.global().asyncAfter(deadline: .now() + 5) { child.signalGroup(SIGKILL) }
        _ = await process.wait()
    }
}
