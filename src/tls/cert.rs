//! X.509 certificates from the handshake turned into the report's
//! `CertInfo`: subject, issuer, DNS names (subjectAltName, else the subject
//! CN), validity and the DER for chain checks. Connections to the same Edge
//! present the same certificates, so parsed ones are kept in a small cache.

use std::collections::VecDeque;
use std::sync::Mutex;

use x509_parser::prelude::{FromDer, GeneralName, X509Certificate};

use super::session::CertInfo;
use crate::time::Timestamp;

/// Parses a DER certificate; `None` when it is not parsable X.509.
pub(crate) fn cert_info(der: &[u8]) -> Option<CertInfo> {
    let (_, x) = X509Certificate::from_der(der).ok()?;
    let mut dns_names = Vec::new();
    if let Ok(Some(san)) = x.subject_alternative_name() {
        for n in &san.value.general_names {
            if let GeneralName::DNSName(d) = n {
                dns_names.push(d.to_string());
            }
        }
    }
    if dns_names.is_empty() {
        dns_names.extend(
            x.subject()
                .iter_common_name()
                .filter_map(|cn| cn.as_str().ok())
                .map(str::to_string),
        );
    }
    let validity = x.validity();
    Some(CertInfo {
        subject: x.subject().to_string(),
        issuer: x.issuer().to_string(),
        dns_names,
        not_before: Timestamp::from_secs_nanos(validity.not_before.timestamp(), 0),
        not_after: Timestamp::from_secs_nanos(validity.not_after.timestamp(), 0),
        der: der.to_vec(),
    })
}

/// Certificates kept parsed; beyond that the oldest is dropped.
const CACHE_CERTS: usize = 32;

/// Largest DER kept in the cache (real certificates are a few KiB).
const CACHE_MAX_DER: usize = 16 * 1024;

/// Recently parsed certificates by DER (bounded), shared by the connections of a run.
#[derive(Default)]
pub(crate) struct CertCache {
    /// Newest last; each entry's `der` is its key.
    certs: Mutex<VecDeque<CertInfo>>,
}

impl CertCache {
    /// `cert_info(der)`, parsed once while the certificate stays in the cache.
    pub(crate) fn cert_info(&self, der: &[u8]) -> Option<CertInfo> {
        if let Ok(certs) = self.certs.lock()
            && let Some(c) = certs.iter().rev().find(|c| c.der == der)
        {
            return Some(c.clone());
        }
        let info = cert_info(der)?;
        if der.len() <= CACHE_MAX_DER
            && let Ok(mut certs) = self.certs.lock()
        {
            if certs.len() >= CACHE_CERTS {
                certs.pop_front();
            }
            certs.push_back(info.clone());
        }
        Some(info)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_gives_what_parsing_gives_and_stays_bounded() {
        let der = edge_der();
        let cache = CertCache::default();
        assert_eq!(cache.cert_info(&der), cert_info(&der));
        assert_eq!(cache.cert_info(&der), cert_info(&der));
        assert!(cache.cert_info(&der[..der.len() / 2]).is_none());
        assert_eq!(cache.certs.lock().unwrap().len(), 1);
        // Distinct DERs that parse: the same certificate with trailing bytes each.
        for i in 0..CACHE_CERTS + 5 {
            let mut d = der.clone();
            d.extend(std::iter::repeat_n(0u8, i + 1));
            assert_eq!(cache.cert_info(&d), cert_info(&d), "{i}");
        }
        assert!(cache.certs.lock().unwrap().len() <= CACHE_CERTS);
        assert_eq!(cache.cert_info(&der), cert_info(&der));
    }

    fn edge_der() -> Vec<u8> {
        let pem = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/samples/keys/edge-cert.pem"
        ))
        .unwrap();
        let b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        base64_decode(&b64)
    }

    #[test]
    fn edge_certificate() {
        let der = edge_der();
        let c = cert_info(&der).unwrap();
        assert!(c.subject.contains("sip.contoso.com"), "{}", c.subject);
        assert_eq!(c.dns_names, vec!["sip.contoso.com".to_string()]);
        assert!(c.not_before < c.not_after);
        assert!(cert_info(&der[..der.len() / 2]).is_none());
        assert!(cert_info(b"").is_none());
    }

    /// Minimal standard base64 decoder for the test's PEM.
    fn base64_decode(s: &str) -> Vec<u8> {
        let val = |c: u8| match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            _ => 63,
        };
        let bytes: Vec<u8> = s.bytes().filter(|&c| c != b'=').collect();
        let mut out = Vec::new();
        for chunk in bytes.chunks(4) {
            let mut n = 0u32;
            for (i, &c) in chunk.iter().enumerate() {
                n |= (val(c) as u32) << (18 - 6 * i);
            }
            let k = chunk.len() * 6 / 8;
            out.extend_from_slice(&n.to_be_bytes()[1..1 + k]);
        }
        out
    }
}
