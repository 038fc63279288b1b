// `exit N`: prints a line and exits with status N (0 without an argument),
// so a test sees an exit status travel from a kernel process back to ax
// in the checkpoint.
import AmoebaCore

func programMain(_ argument: UInt32) -> Int32 {
    print("exiting with status \(argument)")
    return Int32(bitPattern: argument)
}
