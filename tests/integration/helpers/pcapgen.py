"""Synthetic SPICE captures, byte for byte as the protocol lays them out
(protocol-reference 2-4): a client's link, the server's reply, the ticket,
mini-header messages on the main and inputs channels with the agent's
messages in AGENT_DATA. Then TCP segments in any order, with losses and
retransmissions, inside a chosen link layer, written as a pcap file."""
import struct

MAIN, INPUTS = 1, 3
CAP_AUTH_SELECTION, CAP_AUTH_SPICE, CAP_MINI = 0, 1, 3
MSG_MAIN_INIT, MSG_MAIN_AGENT_DATA = 103, 109
MSGC_AGENT_START, MSGC_AGENT_DATA = 106, 107
MSGC_MOUSE_POSITION, MSGC_MOUSE_PRESS, MSGC_MOUSE_RELEASE = 112, 113, 114

# agent
ANNOUNCE, MONITORS_CONFIG, REPLY, CLIPBOARD, GRAB, REQUEST = 6, 2, 3, 4, 7, 8
CLIENT_CAPS = 0x3efef  # spice-gtk's, as vdsim announces them
AGENT_CAPS = 0x38de7


def link_header(size):
    return b"REDQ" + struct.pack("<III", 2, 2, size)


def link_mess(conn_id, ctype, cid, common=(1 << CAP_AUTH_SELECTION | 1 << CAP_AUTH_SPICE |
                                           1 << CAP_MINI)):
    body = struct.pack("<IBBIII", conn_id, ctype, cid, 1, 0, 18) + struct.pack("<I", common)
    return link_header(len(body)) + body


def link_reply(common=(1 << CAP_AUTH_SELECTION | 1 << CAP_AUTH_SPICE | 1 << CAP_MINI)):
    body = struct.pack("<I", 0) + bytes(162) + struct.pack("<III", 1, 0, 178) + struct.pack(
        "<I", common)
    return link_header(len(body)) + body


def mini(mtype, body):
    return struct.pack("<HI", mtype, len(body)) + body


def agent(atype, data):
    return struct.pack("<IIQI", 1, atype, 0, len(data)) + data


def announce(request, caps):
    return agent(ANNOUNCE, struct.pack("<II", request, caps))


def monitors(w, h):
    return agent(MONITORS_CONFIG, struct.pack("<II", 1, 0) + struct.pack("<IIIii", h, w, 32, 0, 0))


def reply(of, error=1):  # VD_AGENT_SUCCESS
    return agent(REPLY, struct.pack("<II", of, error))


def agent_data(msg, client):
    """AGENT_DATA pieces of at most 2048 bytes, as spice-gtk and spice-server cut them."""
    mtype = MSGC_AGENT_DATA if client else MSG_MAIN_AGENT_DATA
    return b"".join(mini(mtype, msg[i:i + 2048]) for i in range(0, len(msg), 2048))


def session(session_id=0x1234, extra=None):
    """The two streams of a main channel: link, ticket, INIT, AGENT_START, the
    announcements, one monitors-config and its reply. Each item of the result
    is (to_server, bytes) in the order they went out."""
    out = [
        (True, link_mess(0, MAIN, 0)),
        (False, link_reply()),
        (True, struct.pack("<I", CAP_AUTH_SPICE)),
        (True, bytes(range(128))),  # the RSA ticket
        (False, struct.pack("<I", 0)),
        (False, mini(MSG_MAIN_INIT, struct.pack("<8I", session_id, 1, 3, 1, 1, 10, 0, 0))),
        (True, mini(MSGC_AGENT_START, struct.pack("<I", 10))),
        (True, agent_data(announce(1, CLIENT_CAPS), True)),
        (False, agent_data(announce(0, AGENT_CAPS), False)),
        (True, agent_data(monitors(1024, 768), True)),
        (False, agent_data(reply(MONITORS_CONFIG), False)),
    ]
    return out + (extra or [])


def inputs(session_id, x, y):
    """The two streams of an inputs channel of the session: its link, then
    one mouse position (x, y, no buttons, display 0)."""
    return [
        (True, link_mess(session_id, INPUTS, 0)),
        (False, link_reply()),
        (True, struct.pack("<I", CAP_AUTH_SPICE)),
        (True, bytes(range(128))),
        (False, struct.pack("<I", 0)),
        (True, mini(MSGC_MOUSE_POSITION, struct.pack("<IIHB", x, y, 0, 0))),
    ]


UPGRADE = (b"GET /websockify HTTP/1.1\r\nHost: 10.0.0.1:5900\r\nConnection: Upgrade\r\n"
           b"Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
           b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: binary\r\n\r\n")
SWITCHED = (b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
            b"Sec-WebSocket-Protocol: binary\r\n\r\n")
WS_CONT, WS_BINARY, WS_PING, WS_PONG = 0x0, 0x2, 0x9, 0xa


def ws_frame(opcode, payload, masked, fin=True, rsv=0, wide=False):
    """One RFC 6455 frame. A client's frames are masked; wide uses the
    64-bit length even where a shorter one would do (it is allowed)."""
    head = bytes([(0x80 if fin else 0) | rsv | opcode])
    m = 0x80 if masked else 0
    if wide:
        head += bytes([m | 127]) + struct.pack("!Q", len(payload))
    elif len(payload) < 126:
        head += bytes([m | len(payload)])
    elif len(payload) < 65536:
        head += bytes([m | 126]) + struct.pack("!H", len(payload))
    else:
        head += bytes([m | 127]) + struct.pack("!Q", len(payload))
    if not masked:
        return head + payload
    key = bytes([0x37, 0xfa, 0x21, 0x3d])
    return head + key + bytes(b ^ key[i & 3] for i, b in enumerate(payload))


def websocket(items):
    """A session's items as a web client and spice-server carry them: the
    HTTP upgrade first, then each item in frames. The frames do not follow
    SPICE's messages: items are cut in two (the second half a continuation
    frame), every third has a ping or pong before it, one uses the 64-bit
    length."""
    out = [(True, UPGRADE), (False, SWITCHED)]
    for n, (to_server, data) in enumerate(items):
        frames = b""
        if n % 3 == 2:
            frames += ws_frame(WS_PING if to_server else WS_PONG, b"hi", to_server)
        half = len(data) // 2 if len(data) > 20 else len(data)
        frames += ws_frame(WS_BINARY, data[:half], to_server, fin=half == len(data), wide=n == 4)
        if half < len(data):
            frames += ws_frame(WS_CONT, data[half:], to_server)
        out.append((to_server, frames))
    return out


class Tcp:
    """Both directions of one connection, as segments with sequence numbers."""

    def __init__(self, client=("10.0.0.2", 40000), server=("10.0.0.1", 5900), v6=False):
        self.client, self.server, self.v6 = client, server, v6
        self.seq = {True: 1000, False: 5000}
        self.segments = []  # (to_server, seq, flags, payload)

    def syn(self):
        self.segments.append((True, self.seq[True] - 1, 0x02, b""))
        self.segments.append((False, self.seq[False] - 1, 0x12, b""))

    def send(self, to_server, data, mss=1000):
        for i in range(0, len(data), mss):
            self.segments.append((to_server, self.seq[to_server], 0x18, data[i:i + mss]))
            self.seq[to_server] += len(data[i:i + mss])


def ip_packet(src, dst, v6, tcp):
    if v6:
        return struct.pack("!IHBB", 6 << 28, len(tcp), 6, 64) + ip6(src) + ip6(dst) + tcp
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0, 64, 6, 0, ip4(src), ip4(dst))
    return hdr + tcp


def ip4(a):
    return bytes(int(x) for x in a.split("."))


def ip6(a):
    return bytes(15) + bytes([int(a.split(":")[-1] or "1")])


def tcp_bytes(sport, dport, seq, flags, payload):
    return struct.pack("!HHIIBBHHH", sport, dport, seq & 0xffffffff, 0, 5 << 4, flags, 65535, 0,
                       0) + payload


LINKS = {"ethernet": 1, "null": 0, "cooked": 113, "cooked2": 276, "raw": 101}


def frame(link, ip, v6):
    if link == "ethernet":
        return bytes(6) + bytes(6) + struct.pack("!H", 0x86dd if v6 else 0x0800) + ip
    if link == "null":
        return struct.pack("<I", 10 if v6 else 2) + ip
    if link == "cooked":
        return struct.pack("!HHH8sH", 0, 772, 6, bytes(8), 0x86dd if v6 else 0x0800) + ip
    if link == "cooked2":
        return struct.pack("!HHIHBB8s", 0x86dd if v6 else 0x0800, 0, 1, 772, 0, 6, bytes(8)) + ip
    return ip  # raw


def write_pcap(path, tcp, link="ethernet", order=None, t0=1_700_000_000.0, snap=65535):
    """Segments in order (a list of indexes into tcp.segments, repeats and
    omissions allowed), each a frame 1 ms after the one before; frames
    longer than snap are cut to it, as a capture tool's snap length does."""
    order = range(len(tcp.segments)) if order is None else order
    return write_frames(path, [(tcp, tcp.segments[i]) for i in order], link, t0, snap)


def write_conns(path, tcps, link="ethernet"):
    """Several connections, one after the other."""
    return write_frames(path, [(t, s) for t in tcps for s in t.segments], link)


def write_frames(path, frames, link="ethernet", t0=1_700_000_000.0, snap=65535):
    out = [struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, snap, LINKS[link])]
    for n, (tcp, segment) in enumerate(frames):
        to_server, seq, flags, payload = segment
        src, dst = (tcp.client, tcp.server) if to_server else (tcp.server, tcp.client)
        ip = ip_packet(src[0], dst[0], tcp.v6, tcp_bytes(src[1], dst[1], seq, flags, payload))
        f = frame(link, ip, tcp.v6)
        t = t0 + n / 1000.0
        kept = f[:snap]
        out.append(struct.pack("<IIII", int(t), int((t % 1) * 1e6), len(kept), len(f)) + kept)
    data = b"".join(out)
    with open(path, "wb") as fh:
        fh.write(data)
    return data


CONNECT = b"CONNECT 10.0.0.1:5900 HTTP/1.1\r\nHost: 10.0.0.1:5900\r\n\r\n"
ESTABLISHED = b"HTTP/1.0 200 Connection established\r\nProxy-agent: tinyproxy/1.11.1\r\n\r\n"


def capture(path, link="ethernet", v6=False, order=None, extra=None, syn=True, ws=False,
            proxy=False):
    """One main channel's session; ws: inside a WebSocket; proxy: through an
    HTTP proxy (its CONNECT first)."""
    client = ("fd00::2", 40000) if v6 else ("10.0.0.2", 40000)
    server = ("fd00::1", 5900) if v6 else ("10.0.0.1", 5900)
    tcp = Tcp(client, server, v6)
    if syn:
        tcp.syn()
    items = session(extra=extra)
    items = websocket(items) if ws else items
    if proxy:
        items = [(True, CONNECT), (False, ESTABLISHED)] + items
    for to_server, data in items:
        tcp.send(to_server, data)
    return write_pcap(path, tcp, link, order(tcp) if callable(order) else order)
