//! PIC-PLAINTEXT (kb-897567.md "General restrictions" 5: Edge <-> provider
//! traffic is TLS) and PIC-PORT ("Firewall and provider addresses": TCP 5061).

use crate::analysis::events::{FlowContext, TransportKind};
use crate::analysis::findings::{Evidence, Findings};
use crate::analysis::view::MsgView;

/// PIC-PLAINTEXT: SIP with a provider over plain TCP or UDP; once per flow.
/// True once the flow's finding exists: the caller keeps that in the flow's
/// state and does not call again (nothing else de-duplicates it).
pub(crate) fn plaintext(v: &MsgView<'_, '_>, f: &mut Findings) -> bool {
    let Some(p) = v.provider else { return false };
    let t = match v.ev.flow.transport {
        TransportKind::Tls => return false,
        TransportKind::Tcp => "plain TCP",
        TransportKind::Udp => "UDP",
    };
    let flow = v.ev.flow;
    f.report_for_flow(
        "PIC-PLAINTEXT",
        Some(&p.name),
        || {
            (
                v.evidence(),
                format!(
                    "SIP with {} travels over {t} without TLS ({} <-> {}); KB 897567 General 5: Edge <-> provider traffic is SIP over TLS (MTLS) on TCP 5061",
                    p.name, flow.client, flow.server
                ),
            )
        },
    );
    true
}

/// PIC-PORT: a provider connection where neither end uses TCP 5061; once per flow.
/// True once the flow is judged (it has a provider): its finding exists or
/// its ports comply, and neither can change. The caller keeps that in the
/// flow's state and does not call again (nothing else de-duplicates it).
pub(crate) fn port(v: &MsgView<'_, '_>, f: &mut Findings) -> bool {
    let Some(p) = v.provider else { return false };
    port_with(&p.name, v.ev.flow, || v.evidence(), f);
    true
}

/// PIC-PORT judged on the flow alone (e.g. an undecrypted TLS flow in a provider range).
/// True once the flow's finding exists.
pub(crate) fn port_of_flow(
    provider: &str,
    flow: &FlowContext,
    ev: Evidence,
    f: &mut Findings,
) -> bool {
    port_with(provider, flow, || ev, f)
}

fn port_with(
    provider: &str,
    flow: &FlowContext,
    ev: impl FnOnce() -> Evidence,
    f: &mut Findings,
) -> bool {
    let tcp = flow.transport != TransportKind::Udp;
    if tcp && (flow.client.port() == 5061 || flow.server.port() == 5061) {
        return false;
    }
    let proto = if tcp { "TCP" } else { "UDP" };
    f.report_for_flow(
        "PIC-PORT",
        Some(provider),
        || {
            (
                ev(),
                format!(
                    "{provider} connection {} <-> {} uses {proto} ports {} and {}, not TCP 5061; KB 897567 Firewall: providers connect to TCP 5061 on the Access Edge external interface",
                    flow.client,
                    flow.server,
                    flow.client.port(),
                    flow.server.port()
                ),
            )
        },
    );
    true
}
