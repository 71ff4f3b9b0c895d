//! Who the provider side claims to be: PIC-UNKNOWN-SOURCE ("Firewall and
//! provider addresses"), PIC-DOMAIN ("Supported provider domains", with
//! retirement dates judged by the capture's timestamps) and PIC-EASI ("MSN
//! (Windows Live) specifics", EASI IDs).

use crate::analysis::findings::Findings;
use crate::analysis::flows::DomainIndex;
use crate::analysis::view::{MsgView, Side};
use crate::providers::is_easi;

/// True when the host is an IP literal (no domain to judge). Only hex
/// digits, dots and colons make up an address `IpAddr` parses, so a host
/// with any other character is not parsed at all (most are domain names).
fn is_ip_literal(host: &str) -> bool {
    host.is_empty()
        || host.starts_with('[')
        || (host
            .bytes()
            .all(|b| b.is_ascii_hexdigit() || b == b'.' || b == b':')
            && host.parse::<std::net::IpAddr>().is_ok())
}

/// PIC-UNKNOWN-SOURCE: the sender claims a provider's user (P-Asserted-Identity,
/// From for requests, To for responses) but its address is outside that
/// provider's ranges (or in another provider's). Once per flow and claim.
pub(crate) fn unknown_source(v: &MsgView<'_, '_>, index: &DomainIndex<'_>, f: &mut Findings) {
    let Some(id) = v.sender() else {
        return;
    };
    let Some((claimed, _)) = id.listed else {
        return;
    };
    if claimed.ranges.is_empty() {
        return; // a partner defined by domain only: nothing to compare against
    }
    let src = v.ev.src.ip();
    let from_flow_range = v.src_in_range && v.provider.is_some_and(|p| std::ptr::eq(p, claimed));
    if from_flow_range || claimed.contains(src) {
        return;
    }
    let flow = v.ev.flow;
    f.report_with(
        "PIC-UNKNOWN-SOURCE",
        format_args!("{}|{}|{}", flow.capture, flow.id.0, claimed.name),
        Some(&claimed.name),
        || {
            let from_where = match index.table().by_addr(src) {
                Some(other) => format!("from {} which is in {}'s documented range", src, other.name),
                None => format!("from {src}, outside {}'s documented ranges", claimed.name),
            };
            (
                v.evidence(),
                format!(
                    "SIP claiming {} user {} ({}) came {from_where}; KB 897567 Firewall: provider traffic comes from the documented addresses ({})",
                    claimed.name,
                    id.address(),
                    v.ev.msg.method().map(|m| m.as_str().to_string()).or(v.ev.msg.status().map(|c| c.to_string())).unwrap_or_default(),
                    claimed.ranges.iter().map(|r| r.to_string()).collect::<Vec<_>>().join(", ")
                ),
            )
        },
    );
}

/// PIC-DOMAIN: the provider-side party's domain is not on the provider's
/// list, or is retired at the message's capture time. Once per flow and address.
pub(crate) fn domain(v: &MsgView<'_, '_>, f: &mut Findings) {
    let Some(p) = v.provider else { return };
    if v.side == Side::Unknown {
        return;
    }
    let Some(remote) = v.remote_party() else {
        return;
    };
    let host = &remote.host;
    if is_ip_literal(host) {
        return;
    }
    let flow = v.ev.flow;
    match remote.listed {
        Some((owner, entry)) => {
            if entry.retired_at(v.time()) {
                let addr = remote.address();
                f.report_with("PIC-DOMAIN", format_args!("{}|{}|{}", flow.capture, flow.id.0, addr), Some(&owner.name), || {
                    let day = entry.retired.map(|r| r.rfc3339()).unwrap_or_default();
                    (
                        v.evidence(),
                        format!(
                            "{} address {addr} uses {host}, retired on {} (capture time {}); KB 897567 Supported provider domains: {host} is no longer federated{}",
                            owner.name,
                            day.get(..10).unwrap_or(&day),
                            v.time().rfc3339(),
                            if host == "icq.com" { " (disconnected 2011-06-10, when AOL sold ICQ)" } else { "" }
                        ),
                    )
                });
            } else if v.side == Side::Out
                && v.is_request()
                // (the same provider is the common case: no name compare)
                && !std::ptr::eq(owner, p)
                && owner.name != p.name
            {
                let addr = remote.address();
                f.report_with("PIC-DOMAIN", format_args!("{}|{}|{}", flow.capture, flow.id.0, addr), Some(&p.name), || {
                    (
                        v.evidence(),
                        format!(
                            "{addr} is a {} domain but is addressed through {}'s connection; KB 897567 Supported provider domains lists {host} under {}",
                            owner.name, p.name, owner.name
                        ),
                    )
                });
            }
        }
        None => {
            // The enterprise chose this address (the To of its own request, or
            // of the provider's response to it): PIC-EASI judges it for MSN.
            let remote_is_addressed = (v.side == Side::Out) == v.is_request();
            if remote_is_addressed && v.takes_easi {
                return;
            }
            let addr = remote.address();
            f.report_with("PIC-DOMAIN", format_args!("{}|{}|{}", flow.capture, flow.id.0, addr), Some(&p.name), || {
                (
                    v.evidence(),
                    format!(
                        "{} party {addr} has domain {host}, which is not on {}'s list; KB 897567 Supported provider domains",
                        p.name, p.name
                    ),
                )
            });
        }
    }
}

/// PIC-EASI: an enterprise request through MSN to a non-provider domain not
/// written as `user(domain)@msn.com`. Once per address.
pub(crate) fn easi(v: &MsgView<'_, '_>, f: &mut Findings) {
    let Some(p) = v.provider else { return };
    if !v.takes_easi || v.side != Side::Out || !v.is_request() {
        return;
    }
    let Some(remote) = v.remote_party() else {
        return;
    };
    let (addr, host) = (remote.address(), &remote.host);
    if is_ip_literal(host) || is_easi(&addr) || remote.listed.is_some() {
        return;
    }
    f.report_with(
        "PIC-EASI",
        format_args!("{}|{addr}", v.ev.flow.capture),
        Some(&p.name),
        || {
            let user = addr.rsplit_once('@').map(|(u, _)| u).unwrap_or(&addr);
            (
                v.evidence(),
                format!(
                    "{addr} (a non-provider domain) is addressed through {} directly; KB 897567 MSN, EASI IDs: write it as {user}({host})@msn.com",
                    p.name
                ),
            )
        },
    );
}

#[cfg(test)]
mod tests {
    use super::is_ip_literal;

    #[test]
    fn ip_literals_are_told_from_domains() {
        for ip in [
            "",
            "[::1]",
            "192.0.2.1",
            "::1",
            "::ffff:192.0.2.1",
            "fe80::1",
        ] {
            assert!(is_ip_literal(ip), "{ip}");
        }
        for host in [
            "hotmail.com",
            "cafe.de",
            "1.2.3",
            "beef",
            "192.0.2.1x",
            "a.b.c.d",
        ] {
            assert!(!is_ip_literal(host), "{host}");
        }
    }
}
