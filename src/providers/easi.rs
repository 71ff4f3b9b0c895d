//! EASI addresses (kb-897567.md "MSN (Windows Live) specifics", EASI IDs): a
//! Windows Live ID on a non-Microsoft domain is addressed as
//! `username(contoso.com)@msn.com`; shown decoded as `username@contoso.com`.

/// True when `addr` (`user@host`, no scheme) is in the EASI form `user(domain)@msn.com`.
pub fn is_easi(addr: &str) -> bool {
    split_easi(addr).is_some()
}

/// Decodes `user(domain)@msn.com` to `user@domain`; any other address is returned unchanged.
pub fn decode_easi(addr: &str) -> String {
    match split_easi(addr) {
        Some((user, domain)) => format!("{user}@{domain}"),
        None => addr.to_string(),
    }
}

/// `addr` split as `user(domain)@msn.com`. The host test comes first and
/// looks only at the last eight bytes: "msn.com" holds no `@`, so a host
/// equal to it (any case) is exactly an address ending in `@msn.com`, and
/// the EASI form also needs the `)` just before it; most addresses fail at once.
fn split_easi(addr: &str) -> Option<(&str, &str)> {
    const HOST: &[u8] = b")@msn.com";
    let b = addr.as_bytes();
    let at = b.len().checked_sub(HOST.len())?;
    if !b.get(at..)?.eq_ignore_ascii_case(HOST) {
        return None;
    }
    // `)` is ASCII, so `at` is a character boundary
    let local = addr.get(..at)?;
    let (user, domain) = local.split_once('(')?;
    (!user.is_empty() && domain.contains('.') && !domain.contains(['(', ')', '@']))
        .then_some((user, domain))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_easi() {
        assert!(is_easi("bob(contoso.com)@msn.com"));
        assert_eq!(decode_easi("bob(contoso.com)@msn.com"), "bob@contoso.com");
        assert_eq!(decode_easi("bob@hotmail.com"), "bob@hotmail.com");
        assert!(!is_easi("bob(contoso.com)@hotmail.com"));
        assert!(!is_easi("(contoso.com)@msn.com"));
    }

    #[test]
    fn fast_path_agrees_with_the_plain_split() {
        // the split as it was written before the fast host test
        fn plain(addr: &str) -> Option<(&str, &str)> {
            let (local, host) = addr.rsplit_once('@')?;
            if !host.eq_ignore_ascii_case("msn.com") {
                return None;
            }
            let local = local.strip_suffix(')')?;
            let (user, domain) = local.split_once('(')?;
            (!user.is_empty() && domain.contains('.') && !domain.contains(['(', ')', '@']))
                .then_some((user, domain))
        }
        for a in [
            "bob(contoso.com)@msn.com",
            "bob(contoso.com)@MSN.COM",
            "bob(contoso.com)@Msn.Com",
            "bob(contoso.com)@msn.co",
            "bob(contoso.com)msn.com",
            "bob(contoso.com)@@msn.com",
            "bob(contoso.com)x@msn.com",
            "bob@msn.com",
            ")@msn.com",
            "@msn.com",
            "msn.com",
            "",
            "a(b.c)@msn.com@msn.com",
            "a(b.c)@hotmail.com",
            "é(ü.de)@msn.com",
            "bob(contoso)@msn.com",
            "bob((a.b)@msn.com",
            "x(y.z)\u{e9}@msn.com",
        ] {
            assert_eq!(split_easi(a), plain(a), "{a:?}");
        }
    }
}
