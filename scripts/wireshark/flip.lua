-- A Wireshark dissector for Amoeba 5.3 FLIP and RPC, so that a capture of
-- this system's traffic reads as what it is: FLIP packets (EtherType
-- 0x8146), the RPC amp header inside them, and the 32-byte Amoeba header
-- of every request and reply with its command or status by name.
--
-- Amoeba writes integers in the sender's byte order and says so with a
-- flag (0x01 = big-endian) in the FLIP header and again in the amp header,
-- so each field is read in the order its own header declares. The layouts
-- are the ones in shared/DESIGN.md ("Wire facts"), which the Swift codecs
-- in Sources/FLIP and Sources/RPC implement.
--
-- Besides raw Ethernet, the same frames travel inside UDP datagrams on the
-- Ethernet-in-UDP links (amunixd's udp: and mcast: links, QEMU's dgram and
-- socket netdevs); a heuristic recognises those by the EtherType at bytes
-- 12-13 of the datagram, so no port needs configuring.
--
--   tshark -X lua_script:scripts/wireshark/flip.lua -r capture.pcap
--   wireshark -X lua_script:scripts/wireshark/flip.lua
-- or copy this file to ~/.local/lib/wireshark/plugins/.
--
-- Display filters: aflip.type, aflip.src, aflip.dst, arpc.type, arpc.tid,
-- arpc.port, amoeba.command, amoeba.status, amoeba.object, ...

local flip = Proto("aflip", "Amoeba FLIP")
local amp = Proto("arpc", "Amoeba RPC (amp header)")
local amoeba = Proto("amoeba", "Amoeba header")

local fragment_types = {
  [0] = "DATA", [1] = "REQCREDIT", [2] = "CREDIT", [3] = "MCREQ",
  [4] = "MCACK", [5] = "MCNAK", [6] = "ABSCREDIT",
}
local flip_types = {
  [1] = "LOCATE", [2] = "HEREIS", [3] = "UNIDATA", [4] = "MULTIDATA",
  [5] = "NOTHERE", [6] = "UNTRUSTED",
}
local amp_types = {
  [1] = "LOCATE", [2] = "HEREIS", [3] = "REQUEST", [4] = "REPLY", [5] = "ACK",
  [6] = "NAK", [7] = "ENQUIRE", [8] = "ALIVE", [9] = "RECEIVED",
  [10] = "FORWARD", [11] = "FAIL",
}
local protocols = { [1] = "RPC", [2] = "group" }

-- Commands by number; ranges from Amoeba's cmdreg.h.
local commands = {
  [1000] = "STD_MONITOR", [1001] = "STD_AGE", [1002] = "STD_COPY",
  [1003] = "STD_DESTROY", [1004] = "STD_INFO", [1005] = "STD_RESTRICT",
  [1006] = "STD_STATUS", [1007] = "STD_TOUCH", [1008] = "STD_GETPARAMS",
  [1009] = "STD_SETPARAMS", [1010] = "STD_NTOUCH",
  [2001] = "BS_CREATE", [2002] = "BS_DELETE", [2003] = "BS_FSCK",
  [2004] = "BS_INSERT", [2005] = "BS_MODIFY", [2006] = "BS_READ",
  [2007] = "BS_SIZE", [2008] = "BS_DISK_COMPACT", [2009] = "BS_SYNC",
  [2100] = "SP_CREATE", [2101] = "SP_DISCARD", [2102] = "SP_LIST",
  [2103] = "SP_APPEND", [2104] = "SP_CHMOD", [2105] = "SP_DELETE",
  [2106] = "SP_LOOKUP", [2107] = "SP_SETLOOKUP", [2108] = "SP_INSTALL",
  [2109] = "SP_PUTTYPE", [2110] = "SP_REPLACE", [2111] = "SP_GETMASKS",
  [2112] = "SP_GETSEQNR",
  [2201] = "DS_INFO", [2202] = "DS_READ", [2203] = "DS_SIZE",
  [2204] = "DS_WRITE", [2205] = "DS_GETGEOMETRY", [2206] = "DS_CONTROL",
  [2300] = "PS_STUN", [2301] = "PS_GETOWNER", [2302] = "PS_SETOWNER",
  [2303] = "PS_EXEC", [2304] = "PS_GETDEF", [2305] = "PS_GETLOAD",
  [2306] = "PS_SEG_CREATE", [2307] = "PS_SEG_WRITE", [2308] = "PS_CHECKPOINT",
  [2309] = "PS_SETCOMMENT", [2310] = "PS_GETCOMMENT", [2311] = "PS_SWAPPROC",
  [2312] = "PS_SGETLOAD",
  [2400] = "TOD_GETTIME", [2500] = "SYS_PRINTBUF", [2501] = "SYS_KSTAT",
  [2600] = "RND_GETRANDOM", [4052] = "FSQ_READ", [4053] = "FSQ_WRITE",
}
local statuses = {
  [0] = "STD_OK",
  [-1] = "RPC_FAILURE", [-2] = "RPC_NOTFOUND", [-3] = "RPC_BADADDRESS",
  [-4] = "RPC_ABORTED", [-5] = "RPC_TRYAGAIN", [-6] = "RPC_COMBAD",
  [-7] = "RPC_REMOTERPC", [-8] = "RPC_BADPORT", [-9] = "RPC_UNSAFE",
  [-1000] = "STD_CAPBAD", [-1001] = "STD_COMBAD", [-1002] = "STD_ARGBAD",
  [-1003] = "STD_NOTNOW", [-1004] = "STD_NOSPACE", [-1005] = "STD_DENIED",
  [-1006] = "STD_NOMEM", [-1007] = "STD_EXISTS", [-1008] = "STD_NOTFOUND",
  [-1009] = "STD_SYSERR", [-1010] = "STD_INTR", [-1011] = "STD_OVERFLOW",
  [-1012] = "STD_WRITEPROT", [-1013] = "STD_NOMEDIUM",
  [-2101] = "SP_UNAVAIL", [-2102] = "SP_NOTEMPTY", [-2103] = "SP_UNREACH",
  [-2104] = "SP_CLASH",
}

local F = flip.fields
F.fc_type = ProtoField.uint8("aflip.fc.type", "Fragment control", base.DEC, fragment_types)
F.fc_count = ProtoField.uint8("aflip.fc.count", "Credit count", base.DEC)
F.version = ProtoField.uint8("aflip.version", "Version", base.DEC)
F.type = ProtoField.uint8("aflip.type", "Type", base.DEC, flip_types)
F.flags = ProtoField.uint8("aflip.flags", "Flags", base.HEX)
F.flag_big = ProtoField.bool("aflip.flags.bigendian", "Big-endian", 8, nil, 0x01)
F.flag_code = ProtoField.bool("aflip.flags.codefield", "Code field", 8, nil, 0x02)
F.flag_security = ProtoField.bool("aflip.flags.security", "Security", 8, nil, 0x04)
F.flag_unreachable = ProtoField.bool("aflip.flags.unreachable", "Unreachable", 8, nil, 0x10)
F.flag_unsafe = ProtoField.bool("aflip.flags.unsafe", "Unsafe", 8, nil, 0x20)
F.reserved = ProtoField.uint8("aflip.reserved", "Reserved", base.HEX)
F.act_hop = ProtoField.uint16("aflip.act_hop", "Actual hop count", base.DEC)
F.max_hop = ProtoField.uint16("aflip.max_hop", "Maximum hop count", base.DEC)
F.dst = ProtoField.bytes("aflip.dst", "Destination address")
F.src = ProtoField.bytes("aflip.src", "Source address")
F.messid = ProtoField.uint32("aflip.messid", "Message id", base.DEC)
F.length = ProtoField.uint32("aflip.length", "Length in this packet", base.DEC)
F.offset = ProtoField.uint32("aflip.offset", "Offset in message", base.DEC)
F.total = ProtoField.uint32("aflip.total", "Message length", base.DEC)
F.here_count = ProtoField.uint16("aflip.hereis.count", "Locations known", base.DEC)
F.here_trusted = ProtoField.uint16("aflip.hereis.trusted", "Trusted locations", base.DEC)
F.protocol = ProtoField.uint32("aflip.protocol", "Broadcast protocol", base.DEC, protocols)
F.fragment = ProtoField.bytes("aflip.fragment", "Message fragment")
F.data = ProtoField.bytes("aflip.data", "Data")

local A = amp.fields
A.kid = ProtoField.bytes("arpc.kid", "Kernel id")
A.port = ProtoField.bytes("arpc.port", "Put-port")
A.type = ProtoField.uint8("arpc.type", "Type", base.DEC, amp_types)
A.flags = ProtoField.uint8("arpc.flags", "Flags", base.HEX)
A.flag_big = ProtoField.bool("arpc.flags.bigendian", "Big-endian", 8, nil, 0x01)
A.flag_retrans = ProtoField.bool("arpc.flags.retrans", "Retransmission", 8, nil, 0x02)
A.flag_request = ProtoField.bool("arpc.flags.request", "Request", 8, nil, 0x04)
A.flag_reply = ProtoField.bool("arpc.flags.reply", "Reply", 8, nil, 0x08)
A.flag_sigtrans = ProtoField.bool("arpc.flags.sigtrans", "Signalled transaction", 8, nil, 0x10)
A.tid = ProtoField.uint32("arpc.tid", "Transaction id", base.DEC)
A.dest = ProtoField.uint16("arpc.dest", "Destination slot", base.DEC)
A.from = ProtoField.uint16("arpc.from", "Source slot", base.DEC)

local H = amoeba.fields
H.port = ProtoField.bytes("amoeba.port", "Port")
H.signature = ProtoField.bytes("amoeba.signature", "Signature")
H.object = ProtoField.uint24("amoeba.object", "Object", base.DEC)
H.rights = ProtoField.uint8("amoeba.rights", "Rights", base.HEX)
H.check = ProtoField.bytes("amoeba.check", "Check")
H.command = ProtoField.uint16("amoeba.command", "Command", base.DEC, commands)
H.status = ProtoField.int16("amoeba.status", "Status", base.DEC, statuses)
H.offset = ProtoField.int32("amoeba.offset", "Offset", base.DEC)
H.size = ProtoField.uint16("amoeba.size", "Size", base.DEC)
H.extra = ProtoField.uint16("amoeba.extra", "Extra", base.DEC)
H.data = ProtoField.bytes("amoeba.data", "Data")
H.text = ProtoField.string("amoeba.text", "Data as text")

-- Adds `field` over `range` in the byte order `big` says; returns the value.
local function put(tree, field, range, big)
  if big then
    tree:add(field, range)
    return range:uint()
  end
  tree:add_le(field, range)
  return range:le_uint()
end

local function hex(range)
  return tostring(range:bytes()):lower()
end

-- True when every byte of the range is printable text (a trailing NUL is
-- allowed), as in std_info replies.
local function printable(range)
  local n = range:len()
  if n == 0 then return false end
  for i = 0, n - 1 do
    local b = range(i, 1):uint()
    if (b < 0x20 or b > 0x7e) and not (b == 0 and i == n - 1) and b ~= 0x0a and b ~= 0x09 then
      return false
    end
  end
  return true
end

-- The 32-byte Amoeba header and the data after it. A request carries a
-- command, a reply a status in the same field.
local function dissect_amoeba(tvb, offset, limit, pinfo, tree, big, is_reply)
  if limit - offset < 32 then return nil end
  local t = tree:add(amoeba, tvb(offset, 32))
  t:add(H.port, tvb(offset, 6))
  t:add(H.signature, tvb(offset + 6, 6))
  t:add_le(H.object, tvb(offset + 12, 3))  -- always little-endian in Amoeba
  t:add(H.rights, tvb(offset + 15, 1))
  t:add(H.check, tvb(offset + 16, 6))
  local code
  local r = tvb(offset + 22, 2)
  if is_reply then
    if big then t:add(H.status, r); code = r:int() else t:add_le(H.status, r); code = r:le_int() end
  else
    code = put(t, H.command, r, big)
  end
  if big then t:add(H.offset, tvb(offset + 24, 4)) else t:add_le(H.offset, tvb(offset + 24, 4)) end
  put(t, H.size, tvb(offset + 28, 2), big)
  put(t, H.extra, tvb(offset + 30, 2), big)
  local n = limit - offset - 32
  if n > 0 then
    local d = tvb(offset + 32, n)
    tree:add(H.data, d)
    if printable(d) then tree:add(H.text, d) end
  end
  if is_reply then
    return statuses[code] or ("status " .. code)
  end
  return commands[code] or ("command " .. code)
end

-- The 24-byte amp header; for REQUEST and REPLY the Amoeba header after it.
local function dissect_amp(tvb, offset, limit, pinfo, tree)
  if limit - offset < 24 then return nil end
  local kind = tvb(offset + 14, 1):uint()
  if not amp_types[kind] then return nil end
  local flags = tvb(offset + 15, 1):uint()
  local big = bit.band(flags, 0x01) ~= 0
  local t = tree:add(amp, tvb(offset, 24))
  t:add(A.kid, tvb(offset, 8))
  t:add(A.port, tvb(offset + 8, 6))
  t:add(A.type, tvb(offset + 14, 1))
  local ft = t:add(A.flags, tvb(offset + 15, 1))
  for _, f in ipairs({ A.flag_big, A.flag_retrans, A.flag_request, A.flag_reply, A.flag_sigtrans }) do
    ft:add(f, tvb(offset + 15, 1))
  end
  local tid = put(t, A.tid, tvb(offset + 16, 4), big)
  put(t, A.dest, tvb(offset + 20, 2), big)
  put(t, A.from, tvb(offset + 22, 2), big)
  local summary = amp_types[kind] .. " tid=" .. tid .. " port=" .. hex(tvb(offset + 8, 6))
  if kind == 3 or kind == 4 then
    local what = dissect_amoeba(tvb, offset + 24, limit, pinfo, tree, big, kind == 4)
    if what then summary = summary .. " " .. what end
  end
  return summary
end

function flip.dissector(tvb, pinfo, tree)
  local len = tvb:len()
  if len < 2 then return 0 end
  pinfo.cols.protocol = "FLIP"
  local t = tree:add(flip, tvb())
  local fc = tvb(0, 1):uint()
  t:add(F.fc_type, tvb(0, 1))
  t:add(F.fc_count, tvb(1, 1))
  if fc ~= 0 then
    pinfo.cols.info = (fragment_types[fc] or ("control " .. fc)) .. " " .. tvb(1, 1):uint()
    return len
  end
  if len < 42 then
    pinfo.cols.info = "truncated FLIP packet (" .. len .. " bytes)"
    return len
  end
  local flags = tvb(4, 1):uint()
  local big = bit.band(flags, 0x01) ~= 0
  t:add(F.version, tvb(2, 1))
  local kind = tvb(3, 1):uint()
  t:add(F.type, tvb(3, 1))
  local ft = t:add(F.flags, tvb(4, 1))
  for _, f in ipairs({ F.flag_big, F.flag_code, F.flag_security, F.flag_unreachable, F.flag_unsafe }) do
    ft:add(f, tvb(4, 1))
  end
  t:add(F.reserved, tvb(5, 1))
  local act = put(t, F.act_hop, tvb(6, 2), big)
  local max = put(t, F.max_hop, tvb(8, 2), big)
  t:add(F.dst, tvb(10, 8))
  t:add(F.src, tvb(18, 8))
  local messid = put(t, F.messid, tvb(26, 4), big)
  local length = put(t, F.length, tvb(30, 4), big)
  local offset = put(t, F.offset, tvb(34, 4), big)
  local total = put(t, F.total, tvb(38, 4), big)
  -- Ethernet pads short frames; the header's length says where data ends.
  local limit = 42 + math.min(length, len - 42)
  local info = (flip_types[kind] or ("type " .. kind)) .. " " .. hex(tvb(18, 8)) .. " > " .. hex(tvb(10, 8))
  if kind == 1 or kind == 2 then info = info .. " hop " .. act .. "/" .. max end

  if kind == 2 and limit - 42 == 4 then
    put(t, F.here_count, tvb(42, 2), big)
    put(t, F.here_trusted, tvb(44, 2), big)
  elseif (kind == 3 or kind == 4) and offset == 0 then
    local at = 42
    -- A port locate: a broadcast to the null address that starts with a
    -- big-endian protocol id.
    if kind == 4 and tvb(10, 8):bytes():tohex() == "0000000000000000" and limit - at >= 4 then
      local proto = tvb(at, 4):uint()
      if protocols[proto] then
        t:add(F.protocol, tvb(at, 4))
        info = info .. " " .. protocols[proto] .. " locate"
        at = at + 4
      end
    end
    local summary = dissect_amp(tvb, at, limit, pinfo, tree)
    if summary then
      info = info .. " RPC " .. summary
    elseif limit > at then
      t:add(F.data, tvb(at, limit - at))
    end
    if total > length then info = info .. " [first of " .. total .. " bytes]" end
  elseif kind == 3 or kind == 4 then
    t:add(F.fragment, tvb(42, limit - 42))
    info = info .. " fragment " .. offset .. "+" .. length .. " of " .. total .. " (message " .. messid .. ")"
  end
  pinfo.cols.info = info
  return len
end

DissectorTable.get("ethertype"):add(0x8146, flip)

-- Ethernet frames carried whole in UDP datagrams.
local eth = Dissector.get("eth_withoutfcs")
local function heuristic(tvb, pinfo, tree)
  if tvb:len() < 16 or tvb(12, 2):uint() ~= 0x8146 then return false end
  eth:call(tvb, pinfo, tree)
  return true
end
flip:register_heuristic("udp", heuristic)
