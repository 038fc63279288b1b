// FLIP: the Fast Local Internet Protocol of Amoeba 5.3.
//
// FLIP names endpoints, not machines: an endpoint listens on the public
// address flip_oneway(private), and the FLIP box of each node finds where an
// address lives by broadcasting LOCATE and learning from HEREIS replies and
// from the source of traffic it sees. Above it sits RPC; below it, any link
// that carries Ethernet frames. This module holds no I/O: the box is fed
// frames and the time, and hands back frames to send and messages to deliver.
