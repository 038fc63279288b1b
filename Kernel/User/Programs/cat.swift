// `cat`: copies its standard input to its standard output (FSQ_READ on
// STDIN, FSQ_WRITE on STDOUT) until end of input, then exits 0; 1 when it
// has no STDIN or STDOUT, 2 when a write is refused.
import AmoebaCore

func programMain(_ argument: UInt32) -> Int32 {
    guard let input = Program.capability("STDIN"), let output = Program.capability("STDOUT") else {
        Console.error("cat: no STDIN or STDOUT capability")
        return 1
    }
    var position = 0
    while let bytes = Console.read(input, position: position, wanted: 1024) {
        guard Console.write(output, bytes) else { return 2 }
        position += bytes.count
    }
    return 0
}
