import Foundation

/// The command line of scrapbook-bench.
struct BenchOptions {
    var count = 100_000
    var dimension = 768
    var queries = 500
    var clusters = 400
    /// Noise norm relative to the (unit) cluster center.
    var spread: Float = 3.0
    var seed: UInt64 = 20_260_522
    var nprobes = [1, 2, 4, 8, 12, 16, 24, 32, 48, 64]
    var partitions: Int?
    var lancedb = true
    var python: String?
    var baselineScript = "Benchmarks/baseline/lancedb_ivf.py"
    var measureLoadPath: String?

    static let usage = """
        usage: scrapbook-bench [--count N] [--dim D] [--queries Q] [--clusters C] [--spread S]
                               [--nprobes 1,2,4,...] [--partitions P] [--large] [--seed N]
                               [--no-lancedb] [--python PATH] [--baseline-script PATH]
          --large        1,000,000 vectors instead of 100,000
          --no-lancedb   skip the LanceDB side-by-side run
        """

    init(arguments: [String]) throws {
        var rest = arguments.dropFirst()
        func value(_ name: String) throws -> String {
            guard let v = rest.popFirst() else { throw BenchError("\(name) needs a value\n\(Self.usage)") }
            return v
        }
        func int(_ name: String) throws -> Int {
            guard let v = Int(try value(name)), v > 0 else { throw BenchError("\(name) needs a positive integer") }
            return v
        }
        while let argument = rest.popFirst() {
            switch argument {
            case "--count": count = try int(argument)
            case "--dim": dimension = try int(argument)
            case "--queries": queries = try int(argument)
            case "--clusters": clusters = try int(argument)
            case "--spread":
                guard let s = Float(try value(argument)), s >= 0 else { throw BenchError("--spread needs a number ≥ 0") }
                spread = s
            case "--seed": seed = UInt64(try int(argument))
            case "--partitions": partitions = try int(argument)
            case "--nprobes":
                nprobes = try value(argument).split(separator: ",").map {
                    guard let n = Int($0), n > 0 else { throw BenchError("--nprobes takes positive integers, like 1,4,16") }
                    return n
                }
            case "--large": count = 1_000_000
            case "--no-lancedb": lancedb = false
            case "--python": python = try value(argument)
            case "--baseline-script": baselineScript = try value(argument)
            case "--measure-load": measureLoadPath = try value(argument)
            case "--help", "-h":
                print(Self.usage)
                exit(0)
            default: throw BenchError("unknown option \(argument)\n\(Self.usage)")
            }
        }
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
