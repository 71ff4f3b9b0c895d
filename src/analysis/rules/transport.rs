//! PIC-PLAINTEXT (kb-897567.md "General restrictions" 5: Edge <-> provider
//! traffic is TLS) and PIC-PORT ("Firewall and provider addresses": TCP 5061).

use super::flow_key;
use crate::analysis::events::TransportKind;
use crate::analysis::findings::Findings;
use crate::analysis::view::MsgView;

/// PIC-PLAINTEXT: SIP with a provider over plain TCP or UDP; once per flow.
pub(crate) fn plaintext(v: &MsgView<'_, '_>, f: &mut Findings) {
    let Some(p) = v.provider else { return };
    let t = match v.ev.flow.transport {
        TransportKind::Tls => return,
        TransportKind::Tcp => "plain TCP",
        TransportKind::Udp => "UDP",
    };
    f.report(
        "PIC-PLAINTEXT",
        flow_key(v),
        Some(&p.name),
        v.evidence(),
        format!(
            "SIP with {} travels over {t} without TLS ({} <-> {}); KB 897567 General 5: Edge <-> provider traffic is SIP over TLS (MTLS) on TCP 5061",
            p.name, v.ev.flow.client, v.ev.flow.server
        ),
    );
}

/// PIC-PORT: a provider connection where neither end uses TCP 5061; once per flow.
pub(crate) fn port(v: &MsgView<'_, '_>, f: &mut Findings) {
    let Some(p) = v.provider else { return };
    let flow = v.ev.flow;
    let tcp = flow.transport != TransportKind::Udp;
    if tcp && (flow.client.port() == 5061 || flow.server.port() == 5061) {
        return;
    }
    let proto = if tcp { "TCP" } else { "UDP" };
    f.report(
        "PIC-PORT",
        flow_key(v),
        Some(&p.name),
        v.evidence(),
        format!(
            "{} connection {} <-> {} uses {proto} ports {} and {}, not TCP 5061; KB 897567 Firewall: providers connect to TCP 5061 on the Access Edge external interface",
            p.name,
            flow.client,
            flow.server,
            flow.client.port(),
            flow.server.port()
        ),
    );
}
