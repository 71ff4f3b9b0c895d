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

fn split_easi(addr: &str) -> Option<(&str, &str)> {
    let (local, host) = addr.rsplit_once('@')?;
    if !host.eq_ignore_ascii_case("msn.com") {
        return None;
    }
    let local = local.strip_suffix(')')?;
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
}
