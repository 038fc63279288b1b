// RPC: Amoeba's transactions (trans/getreq/putrep) over FLIP.
//
// A client sends a request to a put-port; the RPC layer finds a server
// listening on the matching get-port by broadcast port locate, carries the
// request and reply over FLIP, retransmits through loss, and guarantees that
// the server runs each request at most once. Sans-I/O like FLIP.
