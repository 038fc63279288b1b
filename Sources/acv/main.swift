// acv: turns an i386 ELF user program (as scripts/kernel-build.sh links
// them) into an Amoeba binary file, the form a kernel's proc server runs:
// the process descriptor, then the text and read-only data, then the
// initialised data (ProcessDescriptor.AmoebaBinary). Store the result on
// the file server with `put /bin/NAME < FILE` and run it with ax.

import ArgumentParser
import Foundation
import KernelCore
import ProcessDescriptor

@main
struct ACV: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "acv",
        abstract: "Convert an i386 ELF program into an Amoeba binary (descriptor, text, data).",
        discussion: "Exit status: 0 ok, 1 the input is not a program acv can convert, 64 bad usage.")

    @Option(name: .short, help: "Extra BSS in bytes beyond the program's own (default 16384, as Amoeba's acv).")
    var b: UInt32 = AmoebaBinary.extraBSS

    @Argument(help: "The ELF executable.") var input: String
    @Argument(help: "Where to write the Amoeba binary.") var output: String

    func run() throws {
        guard let bytes = FileManager.default.contents(atPath: input) else { fail("cannot read \(input)") }
        let elf: [UInt8] = Array(bytes)
        let parsed: Result<ELFImage, ELFError> = elf.withUnsafeBytes { raw in
            do throws(ELFError) { return .success(try ELFImage(raw)) } catch { return .failure(error) }
        }
        let image: ELFImage
        switch parsed {
        case .success(let i): image = i
        case .failure(let error): fail("\(input): not an i386 ELF user program (\(error))")
        }
        let texts = image.segments.filter { $0.executable && !$0.writable }
        let datas = image.segments.filter { $0.writable }
        guard texts.count == 1, datas.count <= 1 else {
            fail("\(input): expected one read-only executable segment and at most one writable one")
        }
        let t = texts[0]
        let text = Array(elf[Int(t.fileOffset)..<Int(t.fileOffset + t.fileSize)])
        var data: [UInt8] = []
        var dataAddress = (t.virtualAddress + t.memorySize + 0xFFF) & ~0xFFF
        var dataMemory: UInt32 = 0
        if let d = datas.first {
            data = Array(elf[Int(d.fileOffset)..<Int(d.fileOffset + d.fileSize)])
            dataAddress = d.virtualAddress
            dataMemory = d.memorySize
        }
        let binary: [UInt8]
        do throws(AmoebaBinary.BuildError) {
            binary = try AmoebaBinary.build(entry: image.entry, textAddress: t.virtualAddress, text: text,
                                            dataAddress: dataAddress, data: data, dataMemorySize: dataMemory, extraBSS: b)
        } catch {
            fail("\(input): segments not page aligned (\(error))")
        }
        guard FileManager.default.createFile(atPath: output, contents: Data(binary)) else { fail("cannot write \(output)") }
    }

    func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("acv: \(message)\n".utf8))
        Foundation.exit(1)
    }
}
