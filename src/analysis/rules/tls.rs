//! TLS rules: PIC-WEAK-TLS (kb-897567.md "General restrictions" 5, with a
//! modern baseline beyond the KB) and PIC-CERT ("Certificates": provider
//! certificates must chain to a public root; validity and names checked at
//! capture time).

use x509_parser::prelude::{FromDer, X509Certificate};

use crate::analysis::findings::{Evidence, Findings};
use crate::time::Timestamp;
use crate::tls::{CertInfo, TlsStatus};

/// PIC-WEAK-TLS: below TLS 1.2, or a weak suite.
pub(crate) fn weak_tls(provider: &str, status: &TlsStatus, ev: Evidence, f: &mut Findings) {
    let mut why = Vec::new();
    if let Some(v) = &status.version {
        let old = matches!(v.as_str(), "SSL 2.0" | "SSL 3.0" | "TLS 1.0" | "TLS 1.1")
            || v.starts_with("SSL");
        if old {
            why.push(format!("version {v}"));
        }
    }
    if let Some(c) = &status.cipher {
        let u = c.to_ascii_uppercase();
        for (needle, label) in [
            ("RC4", "RC4"),
            ("3DES", "3DES"),
            ("DES_CBC", "DES"),
            ("_NULL_", "NULL cipher"),
            ("WITH_NULL", "NULL cipher"),
            ("EXPORT", "EXPORT"),
            ("_ANON_", "anonymous key exchange"),
        ] {
            if u.contains(needle) && !why.iter().any(|w: &String| w.contains(label)) {
                why.push(format!("{label} suite {c}"));
            }
        }
    }
    if why.is_empty() {
        return;
    }
    let key = format!("{}|{:?}", ev.capture, ev.flow);
    f.report(
        "PIC-WEAK-TLS",
        key,
        Some(provider),
        ev,
        format!(
            "{provider} TLS session uses {}; KB 897567 General 5 says Edge <-> provider traffic is TLS-encrypted; beyond the KB, the modern baseline is TLS 1.2+ without RC4, 3DES, NULL, EXPORT or anonymous suites",
            why.join(" and ")
        ),
    );
}

/// True when certificate name `pattern` (maybe `*.x`) covers `host`.
fn name_matches(pattern: &str, host: &str) -> bool {
    let p = pattern.trim_end_matches('.').to_ascii_lowercase();
    let h = host.trim_end_matches('.').to_ascii_lowercase();
    match p.strip_prefix("*.") {
        Some(suffix) => h
            .split_once('.')
            .is_some_and(|(label, rest)| !label.is_empty() && rest == suffix),
        None => p == h,
    }
}

/// Verifies that `chain[0]` chains through `chain` to one of `anchors` (DER).
fn chains_to(chain: &[CertInfo], anchors: &[Vec<u8>]) -> Result<(), String> {
    let parsed: Vec<X509Certificate<'_>> = chain
        .iter()
        .filter_map(|c| X509Certificate::from_der(&c.der).ok().map(|(_, x)| x))
        .collect();
    let roots: Vec<X509Certificate<'_>> = anchors
        .iter()
        .filter_map(|d| X509Certificate::from_der(d).ok().map(|(_, x)| x))
        .collect();
    let Some(mut cur) = parsed.first() else {
        return Err("no parsable certificate".into());
    };
    for _ in 0..8 {
        for r in &roots {
            if r.subject() == cur.issuer() && cur.verify_signature(Some(r.public_key())).is_ok() {
                return Ok(());
            }
        }
        if roots
            .iter()
            .any(|r| r.tbs_certificate.as_ref() == cur.tbs_certificate.as_ref())
        {
            return Ok(());
        }
        let next = parsed.iter().find(|c| {
            c.subject() == cur.issuer() && cur.verify_signature(Some(c.public_key())).is_ok()
        });
        match next {
            Some(n) if !std::ptr::eq(n, cur) => cur = n,
            _ => return Err(format!("no trusted root for issuer \"{}\"", cur.issuer())),
        }
    }
    Err("chain too long".into())
}

/// PIC-CERT: validity at capture time `at`, the SNI named by the leaf, and
/// (with trust anchors) the chain. One finding per flow listing every problem.
pub(crate) fn cert(
    provider: &str,
    status: &TlsStatus,
    at: Timestamp,
    anchors: &[Vec<u8>],
    ev: Evidence,
    f: &mut Findings,
) {
    let mut why = Vec::new();
    for c in &status.certificates {
        if at < c.not_before {
            why.push(format!(
                "\"{}\" is not valid before {}",
                c.subject,
                c.not_before.rfc3339()
            ));
        } else if at > c.not_after {
            why.push(format!(
                "\"{}\" expired on {}",
                c.subject,
                c.not_after.rfc3339()
            ));
        }
    }
    if let (Some(sni), Some(leaf)) = (&status.sni, status.certificates.first())
        && !leaf.dns_names.iter().any(|n| name_matches(n, sni))
    {
        why.push(format!(
            "\"{}\" does not name the server {sni} (names: {})",
            leaf.subject,
            leaf.dns_names.join(", ")
        ));
    }
    if !anchors.is_empty()
        && !status.certificates.is_empty()
        && let Err(e) = chains_to(&status.certificates, anchors)
    {
        why.push(format!("the chain does not lead to a trusted root ({e})"));
    }
    if why.is_empty() {
        return;
    }
    let key = format!("{}|{:?}", ev.capture, ev.flow);
    f.report(
        "PIC-CERT",
        key,
        Some(provider),
        ev,
        format!(
            "{provider} TLS handshake certificate problem at capture time {}: {}; KB 897567 Certificates: the provider certificate must be valid and chain to a public root CA (KB 931125)",
            at.rfc3339(),
            why.join("; ")
        ),
    );
}

#[cfg(test)]
mod tests {
    use super::name_matches;

    #[test]
    fn wildcards() {
        assert!(name_matches("*.msn.com", "sip.msn.com"));
        assert!(!name_matches("*.msn.com", "a.b.msn.com"));
        assert!(!name_matches("*.msn.com", "msn.com"));
        assert!(name_matches(
            "Federation.Messenger.MSN.com",
            "federation.messenger.msn.com"
        ));
    }
}
