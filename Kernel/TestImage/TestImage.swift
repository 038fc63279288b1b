// The test image: the same kernel, plus what only tests need. The image a
// node boots for real (kernel.elf) is built without this folder; the test
// image (kernel-test.elf, KERNEL_TEST_IMAGE) adds the self-checking
// scenarios (Scenarios/), the user test programs carried in the image, and
// the fixtures the multi-host tests and benchmarks start from the command
// line (Fixtures/): `bench` (rpc_bench's server), `call=` and `run=`
// (a kernel thread or a boot-image program calling across the network).
// scripts/kernel-run.sh boots the test image when those words are given.
import AmoebaCore
import KernelCore

enum TestImage {
    /// After the node is up: the fixtures the command line asks for.
    static func startFixtures(_ line: BootCommandLine) {
        if line.has("bench"), let directory = KernelServers.directory { BenchServer.start(in: directory) }
        RemoteCaller.start(line)
    }
}
