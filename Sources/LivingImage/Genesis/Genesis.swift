import Foundation
import TOMLKit

/// The genesis image: the protos a new image starts with, read from the repository's
/// resources — `persona_codex.toml` (each persona's codex), `methods/PROTO/SELECTOR.lua` and
/// `slots/PROTO/SLOT.json` (such as ALFRED's deliberation graph).
///
/// After the first start the image is the truth; genesis is only read to create a new image.
public struct Genesis: Sendable {
    /// The shared parent every persona delegates to.
    public static let rootProto = "Persona"

    /// Protos in creation order (parents first).
    public let protos: [Proto]

    public init(protos: [Proto]) {
        self.protos = protos
    }

    /// The genesis shipped with a4ps.
    public static func bundled() throws(ImageError) -> Genesis {
        guard let url = Bundle.module.url(forResource: "genesis", withExtension: nil) else {
            throw ImageError(.genesis, "the genesis resources are missing from this build of a4ps: rebuild with `swift build`")
        }
        return try load(from: url)
    }

    /// Reads a genesis directory.
    public static func load(from directory: URL) throws(ImageError) -> Genesis {
        let codexURL = directory.appendingPathComponent("persona_codex.toml")
        let codexText: String
        do {
            codexText = try String(contentsOf: codexURL, encoding: .utf8)
        } catch {
            throw ImageError(.genesis, "cannot read \(codexURL.path): \(error.localizedDescription)")
        }
        let table: TOMLTable
        do {
            table = try TOMLTable(string: codexText)
        } catch let error as TOMLParseError {
            throw ImageError(.genesis, "\(codexURL.path) line \(error.source.begin.line): \(error.description)")
        } catch {
            throw ImageError(.genesis, "\(codexURL.path): \(error)")
        }
        guard let personas = table["personas"]?.table else {
            throw ImageError(.genesis, "\(codexURL.path) has no [personas.NAME] tables")
        }
        var protos = [Proto(name: rootProto)]
        for (name, value) in personas.sorted(by: { $0.0 < $1.0 }) {
            let codex = JSONValue(toml: value)
            for key in ["role", "system_prompt", "model"] where codex[key]?.stringValue == nil {
                throw ImageError(.genesis, "persona \(name) in \(codexURL.path) needs a string `\(key)`")
            }
            var codexWithName = codex.objectValue ?? [:]
            codexWithName["name"] = .string(name)
            protos.append(Proto(name: try Name.validate(name, as: .proto), parent: rootProto, codex: .object(codexWithName)))
        }
        let methodsURL = directory.appendingPathComponent("methods")
        for index in protos.indices {
            let dir = methodsURL.appendingPathComponent(protos[index].name)
            let files = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
            for file in files.sorted() where file.hasSuffix(".lua") {
                let selector = try Name.validate(String(file.dropLast(4)), as: .selector)
                do {
                    let source = try String(contentsOf: dir.appendingPathComponent(file), encoding: .utf8)
                    protos[index].define(selector, source: source)
                } catch {
                    throw ImageError(.genesis, "cannot read \(dir.appendingPathComponent(file).path): \(error.localizedDescription)")
                }
            }
        }
        let slotsURL = directory.appendingPathComponent("slots")
        for index in protos.indices {
            let dir = slotsURL.appendingPathComponent(protos[index].name)
            let files = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
            for file in files.sorted() where file.hasSuffix(".json") {
                let slot = try Name.validate(String(file.dropLast(5)), as: .slot)
                let path = dir.appendingPathComponent(file).path
                guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                    throw ImageError(.genesis, "cannot read \(path)")
                }
                do {
                    protos[index].slots[slot] = try JSONValue(parsing: text)
                } catch {
                    throw ImageError(.genesis, "\(path) is not JSON: \(error)")
                }
            }
        }
        return Genesis(protos: protos)
    }
}
