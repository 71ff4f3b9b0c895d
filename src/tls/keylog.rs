//! NSS key-log lines (the `SSLKEYLOGFILE` format): one secret per line,
//! `LABEL <client random or RSA prefix, hex> <secret, hex>`. Parsing never
//! fails as a whole: each line is a secret, a comment, an ignored label or
//! malformed.

use super::secret::Secret;

/// Which secret a key-log line carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Label {
    /// TLS 1.0–1.2 master secret by client random.
    ClientRandom,
    /// TLS 1.3 client handshake traffic secret.
    ClientHandshake,
    /// TLS 1.3 server handshake traffic secret.
    ServerHandshake,
    /// TLS 1.3 first client application traffic secret.
    ClientTraffic0,
    /// TLS 1.3 first server application traffic secret.
    ServerTraffic0,
}

/// One parsed key-log line.
pub(crate) enum Line {
    /// A secret keyed by client random.
    Secret {
        /// Which secret.
        label: Label,
        /// The ClientHello random it belongs to.
        client_random: [u8; 32],
        /// The secret itself.
        secret: Secret,
    },
    /// `RSA`: the first 8 bytes of an encrypted pre-master secret and the pre-master.
    RsaPremaster {
        /// First 8 bytes of the RSA-encrypted pre-master in the ClientKeyExchange.
        prefix: [u8; 8],
        /// The 48-byte pre-master secret.
        premaster: Secret,
    },
    /// A known label this tool has no use for (exporter and early-data secrets).
    Ignored,
    /// Blank or a `#` comment.
    Comment,
    /// Not a known label with valid hex.
    Malformed,
}

/// Decodes hex (either case) into exactly `N` bytes; `None` for any other length or a non-hex digit.
fn hex_array<const N: usize>(s: &str) -> Option<[u8; N]> {
    let mut out = [0u8; N];
    hex::decode_to_slice(s, &mut out).ok()?;
    Some(out)
}

/// Parses one line (without its line ending).
pub(crate) fn parse_line(line: &[u8]) -> Line {
    let Ok(line) = std::str::from_utf8(line) else {
        return Line::Malformed;
    };
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return Line::Comment;
    }
    let mut fields = line.split_ascii_whitespace();
    let (Some(label), Some(id), Some(value), None) =
        (fields.next(), fields.next(), fields.next(), fields.next())
    else {
        return Line::Malformed;
    };
    let label = match label {
        "CLIENT_RANDOM" => Label::ClientRandom,
        "CLIENT_HANDSHAKE_TRAFFIC_SECRET" => Label::ClientHandshake,
        "SERVER_HANDSHAKE_TRAFFIC_SECRET" => Label::ServerHandshake,
        "CLIENT_TRAFFIC_SECRET_0" => Label::ClientTraffic0,
        "SERVER_TRAFFIC_SECRET_0" => Label::ServerTraffic0,
        "RSA" => {
            return match (hex_array::<8>(id), hex_array::<48>(value)) {
                (Some(prefix), Some(pm)) => Line::RsaPremaster {
                    prefix,
                    premaster: Secret::new(&pm),
                },
                _ => Line::Malformed,
            };
        }
        "EXPORTER_SECRET"
        | "EARLY_EXPORTER_SECRET"
        | "CLIENT_EARLY_TRAFFIC_SECRET"
        | "EARLY_EXPORTER_MASTER_SECRET" => {
            let ok = hex_array::<32>(id).is_some()
                && !value.is_empty()
                && value.len() % 2 == 0
                && value.bytes().all(|b| b.is_ascii_hexdigit());
            return if ok { Line::Ignored } else { Line::Malformed };
        }
        _ => return Line::Malformed,
    };
    let Some(client_random) = hex_array::<32>(id) else {
        return Line::Malformed;
    };
    let secret = match label {
        Label::ClientRandom => hex_array::<48>(value).map(|s| Secret::new(&s)),
        // TLS 1.3 secrets are as long as the suite's hash: SHA-256 or SHA-384.
        _ => match value.len() {
            64 => hex_array::<32>(value).map(|s| Secret::new(&s)),
            96 => hex_array::<48>(value).map(|s| Secret::new(&s)),
            _ => None,
        },
    };
    match secret {
        Some(secret) => Line::Secret {
            label,
            client_random,
            secret,
        },
        None => Line::Malformed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CR: &str = "d7310512f5b7dc0988ddc0a5b062913a07a7c4ae536520dd9c38bf271781b326";

    #[test]
    fn client_random_line() {
        let l = format!("CLIENT_RANDOM {CR} {}", "ab".repeat(48));
        match parse_line(l.as_bytes()) {
            Line::Secret {
                label,
                client_random,
                secret,
            } => {
                assert_eq!(label, Label::ClientRandom);
                assert_eq!(client_random[0], 0xd7);
                assert_eq!(secret.bytes(), &[0xab; 48][..]);
            }
            _ => panic!("not a secret"),
        }
    }

    #[test]
    fn tls13_lines_of_both_lengths() {
        for (n, ok) in [(32, true), (48, true), (40, false)] {
            let l = format!("SERVER_TRAFFIC_SECRET_0 {CR} {}", "01".repeat(n));
            assert_eq!(
                matches!(parse_line(l.as_bytes()), Line::Secret { .. }),
                ok,
                "{n}"
            );
        }
    }

    #[test]
    fn rsa_line() {
        let l = format!("RSA 8b8e5c44e0e29957 {}", "03".repeat(48));
        assert!(matches!(
            parse_line(l.as_bytes()),
            Line::RsaPremaster { prefix, .. } if prefix[0] == 0x8b
        ));
        let short = format!("RSA 8b8e5c44e0e299 {}", "03".repeat(48));
        assert!(matches!(parse_line(short.as_bytes()), Line::Malformed));
    }

    #[test]
    fn comments_ignored_and_malformed() {
        assert!(matches!(parse_line(b""), Line::Comment));
        assert!(matches!(parse_line(b"   \r"), Line::Comment));
        assert!(matches!(parse_line(b"# hi"), Line::Comment));
        let exp = format!("EXPORTER_SECRET {CR} {}", "11".repeat(32));
        assert!(matches!(parse_line(exp.as_bytes()), Line::Ignored));
        for bad in [
            format!("CLIENT_RANDOM {CR}"),
            format!("CLIENT_RANDOM {CR} zz{}", "ab".repeat(47)),
            format!("CLIENT_RANDOM {} {}", &CR[2..], "ab".repeat(48)),
            format!("CLIENT_RANDOM {CR} {} extra", "ab".repeat(48)),
            format!("NOT_A_LABEL {CR} {}", "ab".repeat(48)),
            "CLIENT_RANDOM \u{e9}".to_string(),
        ] {
            assert!(
                matches!(parse_line(bad.as_bytes()), Line::Malformed),
                "{bad}"
            );
        }
        assert!(matches!(parse_line(&[0xff, 0xfe, b' ']), Line::Malformed));
    }

    #[test]
    fn crlf_and_tabs() {
        let l = format!("CLIENT_RANDOM\t{CR}  {}\r", "ab".repeat(48));
        assert!(matches!(parse_line(l.as_bytes()), Line::Secret { .. }));
    }
}
