//! Link layers: where the IP packet starts in a frame. Each is a few fixed
//! fields, checked against the frame length before they are read.

use super::packet::DecodeError;
use crate::capture::LinkType;

/// The network layer a link header announces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Net {
    /// IPv4 at this offset.
    V4(usize),
    /// IPv6 at this offset.
    V6(usize),
    /// Not IP (ARP, LLDP ...): ignored.
    Other,
}

/// A frame shorter than its link header. Cold and out of line: the per-frame
/// path stays small enough to inline.
#[cold]
#[inline(never)]
fn short(layer: &'static str, need: usize, have: usize) -> DecodeError {
    DecodeError {
        layer,
        offset: 0,
        reason: format!("header needs {need} bytes, frame has {have}"),
    }
}

/// A VLAN tag cut short; cold like [`short`].
#[cold]
#[inline(never)]
fn vlan_short(offset: usize) -> DecodeError {
    DecodeError {
        layer: "vlan",
        offset,
        reason: "tag cut short".into(),
    }
}

#[inline]
fn be16(d: &[u8], i: usize) -> u16 {
    u16::from_be_bytes([d[i], d[i + 1]])
}

#[inline]
fn by_ethertype(t: u16, off: usize) -> Net {
    match t {
        0x0800 => Net::V4(off),
        0x86DD => Net::V6(off),
        _ => Net::Other,
    }
}

#[inline]
fn by_version(d: &[u8], off: usize) -> Net {
    match d.get(off).map(|b| b >> 4) {
        Some(4) => Net::V4(off),
        Some(6) => Net::V6(off),
        _ => Net::Other,
    }
}

/// Finds the network layer of a frame of link type `link`.
#[inline]
pub(crate) fn network(link: LinkType, d: &[u8]) -> Result<Net, DecodeError> {
    match link {
        LinkType::Ethernet => {
            if d.len() < 14 {
                return Err(short("ethernet", 14, d.len()));
            }
            let (mut t, mut off) = (be16(d, 12), 14);
            // 802.1Q, 802.1ad (QinQ) and the old 0x9100 tag, any depth up to 4.
            for _ in 0..4 {
                if !matches!(t, 0x8100 | 0x88a8 | 0x9100) {
                    break;
                }
                if d.len() < off + 4 {
                    return Err(vlan_short(off));
                }
                t = be16(d, off + 2);
                off += 4;
            }
            Ok(by_ethertype(t, off))
        }
        LinkType::Null | LinkType::Loop => {
            if d.len() < 4 {
                return Err(short("loopback", 4, d.len()));
            }
            let b = [d[0], d[1], d[2], d[3]];
            // BSD AF values: host byte order for NULL, network order for LOOP; accept both.
            let af = if link == LinkType::Loop {
                u32::from_be_bytes(b)
            } else {
                u32::from_le_bytes(b)
            };
            let af = if af > 0xffff { af.swap_bytes() } else { af };
            Ok(match af {
                2 => Net::V4(4),
                10 | 24 | 28 | 30 => Net::V6(4),
                _ => Net::Other,
            })
        }
        LinkType::Raw | LinkType::Ipv4 | LinkType::Ipv6 => Ok(by_version(d, 0)),
        LinkType::LinuxSll => {
            if d.len() < 16 {
                return Err(short("linux-sll", 16, d.len()));
            }
            Ok(by_ethertype(be16(d, 14), 16))
        }
        LinkType::LinuxSll2 => {
            if d.len() < 20 {
                return Err(short("linux-sll2", 20, d.len()));
            }
            Ok(by_ethertype(be16(d, 0), 20))
        }
        LinkType::Other(_) => Ok(Net::Other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_ip_behind_each_link() {
        let mut eth = vec![0u8; 12];
        eth.extend_from_slice(&[0x81, 0x00, 0, 7, 0x88, 0xa8, 0, 9, 0x08, 0x00, 0x45]);
        assert_eq!(network(LinkType::Ethernet, &eth), Ok(Net::V4(22)));
        assert_eq!(network(LinkType::Null, &[2, 0, 0, 0, 0x45]), Ok(Net::V4(4)));
        assert_eq!(
            network(LinkType::Null, &[0, 0, 0, 30, 0x60]),
            Ok(Net::V6(4))
        );
        assert_eq!(network(LinkType::Loop, &[0, 0, 0, 2, 0x45]), Ok(Net::V4(4)));
        let mut sll = vec![0u8; 14];
        sll.extend_from_slice(&[0x86, 0xdd]);
        assert_eq!(network(LinkType::LinuxSll, &sll), Ok(Net::V6(16)));
        let mut sll2 = vec![0x08, 0x00];
        sll2.extend_from_slice(&[0u8; 18]);
        assert_eq!(network(LinkType::LinuxSll2, &sll2), Ok(Net::V4(20)));
        assert_eq!(network(LinkType::Raw, &[0x60]), Ok(Net::V6(0)));
        assert!(network(LinkType::Ethernet, &[0u8; 10]).is_err());
        let arp = [0u8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x08, 0x06];
        assert_eq!(network(LinkType::Ethernet, &arp), Ok(Net::Other));
    }
}
