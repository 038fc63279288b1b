// A group member is an upper layer: it already has the shape (handle,
// tick, nextDeadline, hasOutputs); this makes the node accept it. It lives
// here, not in Group, so the group machine needs nothing of the node.

import Group

extension GroupMember: NodeUpperLayer {}
