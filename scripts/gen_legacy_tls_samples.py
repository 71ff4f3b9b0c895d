#!/usr/bin/env python3
"""Generates the legacy-suite real-TLS samples (3DES and RC4, static RSA).

This machine's OpenSSL has no RC4 or DES suites compiled in and rustls never
had them (samples/TLS-SAMPLES.md), so these samples come from tlslite-ng, a
pure-Python TLS stack: a tlslite-ng client (the provider, P:41000) and a
tlslite-ng server (the Edge, 203.0.113.10:5061, holding samples/keys/edge-rsa.pem)
talk over in-memory sockets in this one process. Every TLS byte each side
writes is recorded in order and framed into Ethernet/IPv4/TCP in a classic
pcap exactly as examples/tls_samples/pcap.rs does for the Rust-made samples
(SYN/SYN-ACK/ACK, segments of at most 1460 bytes, a pure ACK after each
flight, FIN close, valid checksums, fixed timestamps from
2026-11-20T10:00:00Z). The client's CLIENT_RANDOM / master secret is written
as an NSS key log beside each capture.

The SIP inside is the standard 16-message Lync federation exchange of the
other samples, dumped by the Rust example `dump_federation_script` (which
includes examples/tls_samples/sip.rs) so the texts are the same code's.

Usage (from the repository root):

    python3 -m venv target/py
    target/py/bin/pip install tlslite-ng==0.8.2
    target/py/bin/python scripts/gen_legacy_tls_samples.py [OUT_DIR] [--verify]

OUT_DIR defaults to samples/. --verify runs tshark on each written sample
with the key log and with the Edge's RSA key and prints its SIP counts.
A rerun changes only the TLS randoms, the secrets and the ciphertext.
"""

import collections
import errno
import os
import socket
import struct
import subprocess
import sys
import tempfile

import tlslite
from tlslite import HandshakeSettings, TLSConnection, X509CertChain, parsePEMKey
from tlslite.constants import CipherSuite

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# 2026-11-20T10:00:00Z in microseconds (BASE_US of examples/gen_tls_samples.rs).
BASE_US = 1_795_168_800 * 1_000_000
MSS = 1460
EDGE_IP = (203, 0, 113, 10)
EDGE_SNI = "sip.contoso.com"
PROVIDERS = {
    "msn": (134, 170, 96, 10),
    "aol": (64, 12, 24, 10),
    "yahoo": (98, 136, 47, 10),
}

# name, (major, minor) version, tlslite cipher, tlslite MAC, provider, seed,
# expected suite (IANA name, code point).
SAMPLES = [
    ("tls12-rsa-3des", (3, 3), "3des", "sha", "aol", 301,
     "TLS_RSA_WITH_3DES_EDE_CBC_SHA", CipherSuite.TLS_RSA_WITH_3DES_EDE_CBC_SHA),
    ("tls10-rsa-3des", (3, 1), "3des", "sha", "msn", 302,
     "TLS_RSA_WITH_3DES_EDE_CBC_SHA", CipherSuite.TLS_RSA_WITH_3DES_EDE_CBC_SHA),
    ("tls12-rsa-rc4-sha", (3, 3), "rc4", "sha", "yahoo", 303,
     "TLS_RSA_WITH_RC4_128_SHA", CipherSuite.TLS_RSA_WITH_RC4_128_SHA),
    ("tls12-rsa-rc4-md5", (3, 3), "rc4", "md5", "msn", 304,
     "TLS_RSA_WITH_RC4_128_MD5", CipherSuite.TLS_RSA_WITH_RC4_128_MD5),
]


# ---------------------------------------------------------------- SIP script

def load_script(provider, seed):
    """The 16 messages as [(from_edge, bytes)], from the Rust example."""
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "script.txt")
        subprocess.run(
            ["cargo", "run", "-q", "--example", "dump_federation_script", "--",
             path, provider, str(seed)],
            cwd=REPO, check=True, stdout=subprocess.DEVNULL)
        with open(path, "rb") as f:
            data = f.read()
    steps = []
    pos = 0
    while pos < len(data):
        nl = data.index(b"\n", pos)
        who, length = data[pos:nl].decode().split()
        length = int(length)
        start = nl + 1
        steps.append((who == "EDGE", data[start:start + length]))
        assert data[start + length:start + length + 1] == b"\n", "script format"
        pos = start + length + 1
    return steps


def label(msg):
    """Method of a request or status code of a response."""
    line = msg.split(b"\r", 1)[0].decode()
    if line.startswith("SIP/2.0 "):
        return line.split(" ")[1]
    return line.split(" ")[0]


# ------------------------------------------------- in-memory TLS over tlslite

class MemSock:
    """One end of an in-memory duplex for tlslite: send() fills the outbox
    (moved to the peer by the driver), recv() reads the inbox and reports
    EWOULDBLOCK when it is empty, so tlslite's async generators yield 0."""

    def __init__(self):
        self.inbox = bytearray()
        self.outbox = bytearray()
        self.closed = False

    def send(self, data):
        self.outbox += data
        return len(data)

    def sendall(self, data):
        self.outbox += data

    def recv(self, n):
        if not self.inbox:
            raise socket.error(errno.EWOULDBLOCK, "would block")
        out = bytes(self.inbox[:n])
        del self.inbox[:n]
        return out

    def close(self):
        self.closed = True

    def shutdown(self, how):
        pass

    def settimeout(self, t):
        pass

    def gettimeout(self):
        return None


class Pair:
    """A tlslite client and server over MemSocks, recording every flight."""

    def __init__(self):
        self.cs = MemSock()
        self.ss = MemSock()
        self.client = TLSConnection(self.cs)
        self.server = TLSConnection(self.ss)
        # (from_client, bytes) in wire order.
        self.chunks = []

    def flush(self):
        moved = False
        for from_client, src, dst in ((True, self.cs, self.ss), (False, self.ss, self.cs)):
            if src.outbox:
                data = bytes(src.outbox)
                src.outbox.clear()
                dst.inbox += data
                self.chunks.append((from_client, data))
                moved = True
        return moved

    @staticmethod
    def step(gen, sock):
        """Runs `gen` until it waits for input that is not there (returns
        False) or finishes (returns (True, last value))."""
        while True:
            try:
                r = next(gen)
            except StopIteration:
                return True, None
            if isinstance(r, int):
                if r == 0 and not sock.inbox:
                    return False, None
                continue
            return True, r

    def handshake(self, client_settings, server_settings, cert_chain, key):
        cgen = self.client.handshakeClientCert(
            settings=client_settings, serverName=EDGE_SNI, async_=True)
        sgen = self.server.handshakeServerAsync(
            certChain=cert_chain, privateKey=key, settings=server_settings)
        done = [False, False]
        for _ in range(50):
            if not done[0]:
                done[0] = self.step(cgen, self.cs)[0]
            self.flush()
            if not done[1]:
                done[1] = self.step(sgen, self.ss)[0]
            self.flush()
            if all(done):
                return
        raise RuntimeError("handshake did not finish")

    def send(self, from_client, msg):
        writer, wsock = (self.client, self.cs) if from_client else (self.server, self.ss)
        reader, rsock = (self.server, self.ss) if from_client else (self.client, self.cs)
        done, _ = self.step(writer.writeAsync(msg), wsock)
        assert done, "write blocked"
        self.flush()
        got = bytearray()
        while len(got) < len(msg):
            done, data = self.step(reader.readAsync(), rsock)
            assert done and data, "reader starved"
            got += data
        assert bytes(got) == msg, "peer read something else"
        self.flush()

    def close(self):
        """close_notify from the client, the server's close_notify in reply."""
        self.step(self.client.closeAsync(), self.cs)
        self.flush()
        done, data = self.step(self.server.readAsync(), self.ss)
        assert done and not data, "server read data after close_notify"
        self.flush()


# ------------------------------------------------------ Ethernet/IPv4/TCP pcap

def checksum(data, start=0):
    if len(data) % 2:
        data += b"\0"
    s = start + sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s > 0xFFFF:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def build_frame(src, dst, seq, ack, flags, ip_id, payload):
    """Ethernet II / IPv4 / TCP with valid checksums (pcap.rs build_frame)."""
    mac = lambda ip: bytes([0x02, 0x00]) + bytes(ip)
    eth = mac(dst[0]) + mac(src[0]) + b"\x08\x00"
    ip = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, 40 + len(payload), ip_id,
                               0x4000, 64, 6, 0, bytes(src[0]), bytes(dst[0])))
    ip[10:12] = struct.pack("!H", checksum(bytes(ip)))
    tcp = bytearray(struct.pack("!HHIIBBHHH", src[1], dst[1], seq, ack, 5 << 4,
                                flags, 64240, 0, 0))
    pseudo = bytes(src[0]) + bytes(dst[0]) + struct.pack("!BBH", 0, 6, 20 + len(payload))
    tcp[16:18] = struct.pack("!H", checksum(pseudo + bytes(tcp) + payload))
    return eth + bytes(ip) + bytes(tcp) + payload


FIN, SYN, PSH, ACK = 0x01, 0x02, 0x08, 0x10


class TcpConv:
    """One TCP conversation (pcap.rs TcpConv: same ISNs, IP IDs, timing)."""

    def __init__(self, client, server, start_us):
        isn = (client[1] * 2_654_435_761) & 0xFFFFFFFF
        self.client, self.server = client, server
        self.client_seq = isn
        self.server_seq = (((isn << 13) | (isn >> 19)) & 0xFFFFFFFF) ^ 0x5A5A5A5A
        self.now_us = start_us
        self.ip_id = client[1]
        self.frames = []

    def frame(self, from_client, flags, payload=b""):
        src, dst = (self.client, self.server) if from_client else (self.server, self.client)
        seq, ack = ((self.client_seq, self.server_seq) if from_client
                    else (self.server_seq, self.client_seq))
        self.ip_id = (self.ip_id + 1) & 0xFFFF
        self.frames.append((self.now_us, build_frame(src, dst, seq, ack, flags,
                                                     self.ip_id, payload)))

    def advance(self, from_client, n):
        if from_client:
            self.client_seq = (self.client_seq + n) & 0xFFFFFFFF
        else:
            self.server_seq = (self.server_seq + n) & 0xFFFFFFFF

    def handshake(self):
        self.frame(True, SYN)
        self.advance(True, 1)
        self.now_us += 20_000
        self.frame(False, SYN | ACK)
        self.advance(False, 1)
        self.now_us += 20_000
        self.frame(True, ACK)
        self.now_us += 1_000

    def send(self, from_client, data):
        for i in range(0, len(data), MSS):
            seg = data[i:i + MSS]
            self.frame(from_client, ACK | PSH, seg)
            self.advance(from_client, len(seg))
            self.now_us += 150
        self.now_us += 800
        self.frame(not from_client, ACK)
        self.now_us += 5_000

    def close(self):
        self.frame(True, FIN | ACK)
        self.advance(True, 1)
        self.now_us += 1_000
        self.frame(False, FIN | ACK)
        self.advance(False, 1)
        self.now_us += 1_000
        self.frame(True, ACK)
        self.now_us += 1_000


def write_pcap(path, frames):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for ts, data in frames:
            f.write(struct.pack("<IIII", ts // 1_000_000, ts % 1_000_000,
                                len(data), len(data)))
            f.write(data)


# ------------------------------------------------------------------- samples

def settings(version, cipher, mac):
    s = HandshakeSettings()
    s.minVersion = version
    s.maxVersion = version
    s.cipherNames = [cipher]
    s.macNames = [mac]
    s.keyExchangeNames = ["rsa"]
    # Extended master secret: tlslite's default (on), negotiated.
    s.useExtendedMasterSecret = True
    # No encrypt-then-MAC: the legacy stacks these suites stand for
    # (SChannel of the Lync era) never had it; MAC-then-encrypt CBC.
    s.useEncryptThenMAC = False
    return s


def make_sample(out_dir, spec, cert_chain, key):
    name, version, cipher, mac, provider, seed, iana, code = spec
    script = load_script(provider, seed)
    assert len(script) == 16, name
    pair = Pair()
    pair.handshake(settings(version, cipher, mac), settings(version, cipher, mac),
                   cert_chain, key)
    sess = pair.client.session
    assert pair.client.version == version, (name, pair.client.version)
    assert sess.cipherSuite == code, (name, hex(sess.cipherSuite))
    assert pair.server.session.cipherSuite == code
    assert sess.extendedMasterSecret, name
    assert not sess.encryptThenMAC, name
    # The provider is the TLS client: Edge-sent messages go server -> client.
    for from_edge, msg in script:
        pair.send(not from_edge, msg)
    pair.close()

    prov_ip = PROVIDERS[provider]
    conv = TcpConv((prov_ip, 41000), (EDGE_IP, 5061), BASE_US)
    conv.handshake()
    for from_client, data in pair.chunks:
        conv.send(from_client, data)
    conv.close()
    pcap = os.path.join(out_dir, name + ".pcap")
    write_pcap(pcap, conv.frames)
    keylog = os.path.join(out_dir, name + ".keylog")
    with open(keylog, "w") as f:
        f.write("CLIENT_RANDOM %s %s\n" % (bytes(pair.client._clientRandom).hex(),
                                          bytes(sess.masterSecret).hex()))
    counts = collections.Counter(label(m) for _, m in script)
    print("%s: %s %s EMS=%s EtM=%s, %s -> Edge, %d TLS writes, %d frames, %d bytes; "
          "%d messages: %s" % (
              name, {(3, 1): "TLS 1.0", (3, 3): "TLS 1.2"}[version], iana,
              sess.extendedMasterSecret, sess.encryptThenMAC, provider.upper(),
              len(pair.chunks), len(conv.frames), os.path.getsize(pcap), len(script),
              ", ".join("%s %d" % kv for kv in sorted(counts.items()))))
    return pcap, keylog


def tshark_counts(pcap, key_opts):
    cmd = ["tshark", "-n", "-r", pcap,
           "-o", "tcp.desegment_tcp_streams:TRUE", "-o", "tls.desegment_ssl_records:TRUE",
           "-o", "tcp.analyze_sequence_numbers:TRUE", "-d", "tcp.port==5061,tls",
           *key_opts, "-Y", "sip", "-T", "fields", "-E", "occurrence=a",
           "-E", "aggregator=,", "-e", "sip.Method", "-e", "sip.Status-Code"]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    c = collections.Counter()
    for line in out.splitlines():
        for field in line.split("\t"):
            for v in field.split(","):
                if v:
                    c[v] += 1
    return ", ".join("%s %d" % kv for kv in sorted(c.items())) or "(none)"


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    verify = "--verify" in sys.argv[1:]
    out_dir = args[0] if args else os.path.join(REPO, "samples")
    keys = os.path.join(REPO, "samples", "keys")
    print("tlslite-ng %s, Python %s" % (tlslite.__version__, sys.version.split()[0]))
    with open(os.path.join(keys, "edge-cert.pem")) as f:
        chain = X509CertChain()
        chain.parsePemList(f.read())
    with open(os.path.join(keys, "edge-rsa.pem")) as f:
        key = parsePEMKey(f.read(), private=True)
    for spec in SAMPLES:
        pcap, keylog = make_sample(out_dir, spec, chain, key)
        if verify:
            rsa = os.path.join(keys, "edge-rsa.pem")
            print("  tshark, key log: " + tshark_counts(pcap, ["-o", "tls.keylog_file:" + keylog]))
            print("  tshark, RSA key: " + tshark_counts(
                pcap, ["-o", 'uat:rsa_keys:"%s",""' % rsa]))


if __name__ == "__main__":
    main()
