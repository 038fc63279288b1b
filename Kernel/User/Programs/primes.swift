// `primes N`: prints the primes up to N (default 1000), one line each, as
// it finds them by trial division: a program that computes for a while
// and writes as it goes (ax's Ctrl-C and std_destroy are tested on it).
// Only the primes up to the square root of N are kept (all a trial
// division needs), so memory stays small whatever N is.
import AmoebaCore

func programMain(_ argument: UInt32) -> Int32 {
    let limit = argument == 0 ? 1000 : argument
    var found: [UInt32] = []
    var count = 0
    var n: UInt32 = 2
    while n <= limit {
        var prime = true
        for p in found {
            if UInt64(p) * UInt64(p) > UInt64(n) { break }
            if n % p == 0 { prime = false; break }
        }
        if prime {
            count += 1
            if UInt64(n) * UInt64(n) <= UInt64(limit) { found.append(n) }
            print("\(n)")
        }
        n += 1
    }
    print("\(count) primes up to \(limit)")
    return 0
}
