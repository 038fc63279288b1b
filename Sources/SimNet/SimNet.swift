// SimNet: a deterministic simulated network for the protocol tests.
//
// Ethernet segments joined by nodes, a virtual clock, and a seeded fault
// injector. Host-only: the kernel never links it.
