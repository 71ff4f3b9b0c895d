//! Frame decoding: link layers, IPv4 (with fragment reassembly), IPv6 (with
//! extension headers and fragments), TCP and UDP. IP and transport headers are
//! read through `etherparse` header slices, which check every length; link
//! layers and the IPv6 extension chain are a few fixed fields read here after
//! a length check.

mod fragments;
mod link;
mod packet;

pub use fragments::FragmentStats;
pub use packet::{DecodeError, Packet, TcpFlags, TcpSegment, Transport, UdpDatagram};

use std::net::IpAddr;

use etherparse::{Ipv4HeaderSlice, Ipv6HeaderSlice, TcpHeaderSlice, UdpHeaderSlice};

use crate::capture::LinkType;
use crate::time::Timestamp;
use fragments::{Defragmenter, FragKey};
use link::Net;

/// Decodes frames into transport packets; holds IP fragment state.
#[derive(Default)]
pub struct Decoder {
    defrag: Defragmenter,
    assembled: Vec<u8>,
}

/// Where the transport header starts, once the IP layer is read.
struct IpPart<'a> {
    src: IpAddr,
    dst: IpAddr,
    proto: u8,
    payload: &'a [u8],
    offset: usize,
}

impl Decoder {
    /// A decoder with empty fragment state.
    pub fn new() -> Self {
        Decoder::default()
    }

    /// Fragment counters.
    pub fn fragment_stats(&self) -> &FragmentStats {
        &self.defrag.stats
    }

    /// Decodes one frame. `Ok(None)`: not IP, or a fragment still waiting for
    /// the rest. The returned packet borrows `data` or the decoder's
    /// reassembly buffer.
    #[inline]
    pub fn decode<'a>(
        &'a mut self,
        link: LinkType,
        data: &'a [u8],
        ts: Timestamp,
    ) -> Result<Option<Packet<'a>>, DecodeError> {
        let ip = match link::network(link, data)? {
            Net::V4(off) => ipv4(data, off)?,
            Net::V6(off) => ipv6(data, off)?,
            Net::Other => return Ok(None),
        };
        let (ip, frag) = ip;
        if let Some((key, offset, more)) = frag {
            match self.defrag.add(key, offset, more, ip.payload, ts) {
                Some(whole) => {
                    self.assembled = whole;
                    let part = IpPart {
                        payload: &self.assembled,
                        ..ip
                    };
                    return transport(part).map(Some);
                }
                None => return Ok(None),
            }
        }
        transport(ip).map(Some)
    }
}

type Frag = Option<(FragKey, usize, bool)>;

/// A header `etherparse` rejected. Out of line and cold: the per-frame path
/// stays small enough to inline.
#[cold]
#[inline(never)]
fn slice_err(layer: &'static str, offset: usize, e: impl std::fmt::Display) -> DecodeError {
    DecodeError {
        layer,
        offset,
        reason: e.to_string(),
    }
}

/// A header whose fields contradict each other or the frame; cold like [`slice_err`].
#[cold]
#[inline(never)]
fn field_err(layer: &'static str, offset: usize, reason: String) -> DecodeError {
    DecodeError {
        layer,
        offset,
        reason,
    }
}

/// An IPv4 total length shorter than its header.
#[cold]
#[inline(never)]
fn ipv4_total_err(offset: usize, total: usize, hl: usize) -> DecodeError {
    field_err(
        "ipv4",
        offset,
        format!("total length {total} is shorter than the header ({hl})"),
    )
}

/// An IPv6 extension header that does not fit the packet.
#[cold]
#[inline(never)]
fn ext_err(offset: usize, reason: &str) -> DecodeError {
    field_err("ipv6-ext", offset, reason.to_string())
}

#[inline]
fn ipv4(d: &[u8], off: usize) -> Result<(IpPart<'_>, Frag), DecodeError> {
    let rest = d.get(off..).unwrap_or(&[]);
    let h = Ipv4HeaderSlice::from_slice(rest).map_err(|e| slice_err("ipv4", off, e))?;
    let hl = usize::from(h.ihl()) * 4;
    let total = usize::from(h.total_len());
    if total < hl {
        return Err(ipv4_total_err(off, total, hl));
    }
    // Honour total length (strips Ethernet padding); a frame cut by the snaplen keeps what it has.
    let end = (off + total).min(d.len());
    let payload = d.get(off + hl..end).unwrap_or(&[]);
    let (src, dst) = (
        IpAddr::V4(h.source_addr()),
        IpAddr::V4(h.destination_addr()),
    );
    let proto = h.protocol().0;
    let frag_off = usize::from(h.fragments_offset().byte_offset());
    let frag = (h.more_fragments() || frag_off > 0).then(|| {
        (
            FragKey {
                src,
                dst,
                proto,
                id: u32::from(h.identification()),
            },
            frag_off,
            h.more_fragments(),
        )
    });
    Ok((
        IpPart {
            src,
            dst,
            proto,
            payload,
            offset: off + hl,
        },
        frag,
    ))
}

#[inline]
fn ipv6(d: &[u8], off: usize) -> Result<(IpPart<'_>, Frag), DecodeError> {
    let rest = d.get(off..).unwrap_or(&[]);
    let h = Ipv6HeaderSlice::from_slice(rest).map_err(|e| slice_err("ipv6", off, e))?;
    let (src, dst) = (
        IpAddr::V6(h.source_addr()),
        IpAddr::V6(h.destination_addr()),
    );
    let end = (off + 40 + usize::from(h.payload_length())).min(d.len());
    let mut next = h.next_header().0;
    let mut pos = off + 40;
    let mut frag: Frag = None;
    // Walk the extension headers: hop-by-hop, routing, fragment, destination options, AH.
    for _ in 0..16 {
        let at = pos;
        match next {
            0 | 43 | 60 => {
                let (Some(&nh), Some(&len)) = (d.get(pos), d.get(pos + 1)) else {
                    return Err(ext_err(at, "extension header cut short"));
                };
                next = nh;
                pos += (usize::from(len) + 1) * 8;
            }
            51 => {
                let (Some(&nh), Some(&len)) = (d.get(pos), d.get(pos + 1)) else {
                    return Err(ext_err(at, "authentication header cut short"));
                };
                next = nh;
                pos += (usize::from(len) + 2) * 4;
            }
            44 => {
                let Some(f) = d.get(pos..pos + 8) else {
                    return Err(ext_err(at, "fragment header cut short"));
                };
                next = f[0];
                let offset_field = u16::from_be_bytes([f[2], f[3]]);
                let more = offset_field & 1 == 1;
                let id = u32::from_be_bytes([f[4], f[5], f[6], f[7]]);
                frag = Some((
                    FragKey {
                        src,
                        dst,
                        proto: next,
                        id,
                    },
                    usize::from(offset_field & !7),
                    more,
                ));
                pos += 8;
            }
            _ => break,
        }
        if pos > end {
            return Err(ext_err(at, "extension headers run past the packet"));
        }
    }
    let payload = d.get(pos..end).unwrap_or(&[]);
    if let Some((k, _, _)) = &mut frag {
        k.proto = next;
    }
    Ok((
        IpPart {
            src,
            dst,
            proto: next,
            payload,
            offset: pos,
        },
        frag,
    ))
}

#[inline]
fn transport(ip: IpPart<'_>) -> Result<Packet<'_>, DecodeError> {
    let IpPart {
        src,
        dst,
        proto,
        payload,
        offset,
    } = ip;
    let transport = match proto {
        6 => {
            let t = TcpHeaderSlice::from_slice(payload).map_err(|e| slice_err("tcp", offset, e))?;
            let hl = usize::from(t.data_offset()) * 4;
            Transport::Tcp(TcpSegment {
                src_port: t.source_port(),
                dst_port: t.destination_port(),
                seq: t.sequence_number(),
                ack: t.acknowledgment_number(),
                flags: TcpFlags {
                    syn: t.syn(),
                    ack: t.ack(),
                    fin: t.fin(),
                    rst: t.rst(),
                    psh: t.psh(),
                },
                payload: payload.get(hl..).unwrap_or(&[]),
            })
        }
        17 => {
            let u = UdpHeaderSlice::from_slice(payload).map_err(|e| slice_err("udp", offset, e))?;
            let len = usize::from(u.length()).max(8).min(payload.len());
            Transport::Udp(UdpDatagram {
                src_port: u.source_port(),
                dst_port: u.destination_port(),
                payload: payload.get(8..len).unwrap_or(&[]),
            })
        }
        other => Transport::Other(other),
    };
    Ok(Packet {
        src,
        dst,
        transport,
    })
}
