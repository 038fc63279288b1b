# Shared by scripts/kernel-bench.sh and kernel-node-bed.sh (sourced, not
# run; root): one Ethernet bridge in a namespace of its own, Linux hosts as
# namespaces whose v0 is a veth onto it, and tap devices on it for QEMU
# kernel nodes. The caller deletes the namespaces (deleting BR takes the
# bridge, the taps and the veths' far ends with it).

# bb_bridge BR: the namespace BR with the bridge br0 up.
bb_bridge() {
  ip netns add "$1"
  ip -n "$1" link add br0 type bridge
  ip -n "$1" link set br0 up
}

# bb_host NS BR NAME: the namespace NS whose v0 is a veth (NAMEx/NAMEy
# while being moved) onto BR's bridge, v0 and lo up.
bb_host() {
  local ns=$1 br=$2 name=$3
  ip netns add "$ns"
  ip link add "${name}x" type veth peer name "${name}y"
  ip link set "${name}x" netns "$ns"; ip link set "${name}y" netns "$br"
  ip -n "$ns" link set "${name}x" name v0; ip -n "$ns" link set v0 up; ip -n "$ns" link set lo up
  ip -n "$br" link set "${name}y" master br0 up
}

# bb_tap BR TAP: the tap device TAP on BR's bridge, up.
bb_tap() {
  ip -n "$1" tuntap add "$2" mode tap
  ip -n "$1" link set "$2" master br0 up
}
