//! The built-in table against the KB text, and the TOML file format.

use std::collections::BTreeSet;
use std::net::IpAddr;

use super::*;

/// kb-897567.md "Supported provider domains", copied verbatim.
const KB_DOMAINS: &str = "\
- **AOL**: aol.com, icq.com (**disconnected on 2011-06-10**, when AOL sold ICQ
  to Digital Sky Technologies), love.com, mac.com.
- **MSN (Windows Live)**: br.live.com, hotmail.co.il, hotmail.co.jp,
  hotmail.co.th, hotmail.co.uk, hotmail.com, hotmail.com.ar, hotmail.com.tr,
  hotmail.es, hotmail.de, hotmail.fr, hotmail.it, hotmail.ch, live.at, live.be,
  live.ca, live.cl, live.cn, live.co.in, live.co.kr, live.co.uk, live.co.za,
  live.com, live.com.ar, live.com.au, live.com.co, live.com.mx, live.com.my,
  live.com.pe, live.com.ph, live.com.pk, live.com.pt, live.com.sg, live.com.ve,
  live.de, live.dk, live.fr, live.hk, live.ie, live.in, live.it, live.jp,
  live.nl, live.no, live.ph, live.ru, live.se, livemail.com.br, livemail.tw,
  messengeruser.com, msn.com, outlook.com, passport.com, sympatico.ca,
  tw.live.com, webtv.net, windowslive.com, windowslive.es.
- **Yahoo!**: yahoo.com.
";

/// Parses the KB list: provider heading -> domains in order.
fn kb_domains() -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    let mut text = String::new();
    for line in KB_DOMAINS.lines() {
        if let Some(rest) = line.strip_prefix("- **") {
            if !text.is_empty() {
                let last = out.last_mut().unwrap();
                last.1 = split_domains(&text);
            }
            let (name, tail) = rest.split_once("**:").unwrap();
            let name = match name {
                n if n.starts_with("MSN") => "MSN",
                n if n.starts_with("Yahoo") => "Yahoo",
                n => n,
            };
            out.push((name.to_string(), Vec::new()));
            text = tail.to_string();
        } else {
            text.push(' ');
            text.push_str(line);
        }
    }
    out.last_mut().unwrap().1 = split_domains(&text);
    out
}

fn split_domains(text: &str) -> Vec<String> {
    // drop parenthesised remarks, then split on commas
    let mut clean = String::new();
    let mut depth = 0;
    for c in text.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            _ if depth == 0 => clean.push(c),
            _ => {}
        }
    }
    clean
        .split(',')
        .map(|d| d.trim().trim_end_matches('.').to_ascii_lowercase())
        .filter(|d| !d.is_empty())
        .collect()
}

#[test]
fn every_kb_domain_in_kb_order() {
    let t = ProviderTable::builtin();
    let kb = kb_domains();
    assert_eq!(kb.len(), 3);
    for (name, domains) in kb {
        let p = t.by_name(&name).unwrap_or_else(|| panic!("{name} missing"));
        let ours: Vec<String> = p.domains.iter().map(|d| d.name.clone()).collect();
        assert_eq!(ours, domains, "{name} domains differ from the KB");
        let set: BTreeSet<_> = ours.iter().collect();
        assert_eq!(set.len(), ours.len(), "{name} has duplicates");
    }
    assert_eq!(t.by_name("MSN").unwrap().domains.len(), 58);
}

#[test]
fn icq_retired_on_2011_06_10() {
    let t = ProviderTable::builtin();
    let (p, e) = t.by_domain("ICQ.com").unwrap();
    assert_eq!(p.name, "AOL");
    let day = crate::time::Timestamp::from_date("2011-06-10").unwrap();
    assert_eq!(e.retired, Some(day));
    assert!(!e.retired_at(crate::time::Timestamp(day.0 - 1)));
    assert!(e.retired_at(day));
    assert!(t.by_domain("aol.com").unwrap().1.retired.is_none());
}

#[test]
fn ranges_match_kb() {
    let t = ProviderTable::builtin();
    let names = |p: &str| -> Vec<String> {
        t.by_name(p)
            .unwrap()
            .ranges
            .iter()
            .map(|r| r.to_string())
            .collect()
    };
    assert_eq!(
        names("MSN"),
        ["134.170.96.0/26", "157.56.187.192/26", "111.221.122.192/26"]
    );
    assert_eq!(names("AOL"), ["64.12.0.0/16", "205.188.0.0/16"]);
    assert_eq!(names("Yahoo").len(), 10);
    let at = |s: &str| {
        t.by_addr(s.parse::<IpAddr>().unwrap())
            .map(|p| p.name.as_str())
    };
    assert_eq!(at("134.170.96.63"), Some("MSN"));
    assert_eq!(at("134.170.96.64"), None);
    assert_eq!(at("157.56.187.200"), Some("MSN"));
    assert_eq!(at("111.221.122.255"), Some("MSN"));
    assert_eq!(at("64.12.200.1"), Some("AOL"));
    assert_eq!(at("205.188.1.1"), Some("AOL"));
    for y in ["76.13.22.8", "76.13.22.12", "98.136.47.11", "98.136.47.17"] {
        assert_eq!(at(y), Some("Yahoo"), "{y}");
    }
    for n in [
        "76.13.22.13",
        "98.136.47.12",
        "98.136.47.16",
        "203.0.113.10",
    ] {
        assert_eq!(at(n), None, "{n}");
    }
}

#[test]
fn state_map_builtin() {
    let t = ProviderTable::builtin();
    let msn = t.by_name("MSN").unwrap();
    assert_eq!(msn.displayed(StateDirection::Out, "Be Right Back"), "Away");
    assert_eq!(msn.displayed(StateDirection::Out, "Do Not Disturb"), "Away");
    assert_eq!(msn.displayed(StateDirection::Out, "In a meeting"), "Online");
    assert_eq!(msn.displayed(StateDirection::In, "Out to Lunch"), "Away");
    assert_eq!(msn.displayed(StateDirection::Out, "Busy"), "Busy");
    for p in ["AOL", "Yahoo"] {
        let p = t.by_name(p).unwrap();
        assert_eq!(p.displayed(StateDirection::Out, "in a meeting"), "Online");
        assert_eq!(
            p.displayed(StateDirection::Out, "Be Right Back"),
            "Be Right Back"
        );
    }
}

#[test]
fn toml_overrides_and_extends() {
    let mut t = ProviderTable::builtin();
    t.apply_str(
        r#"
[[provider]]
name = "msn"
replace_ranges = true
ranges = ["65.54.227.0/24"]

[[provider]]
name = "AOL"
domains = ["AIM.com"]
retire = [{ domain = "love.com", date = "2012-12-31" }]

[[provider]]
name = "Fabrikam"
ranges = ["198.51.100.0/24", "192.0.2.7"]
domains = ["fabrikam.com"]
state_map = [{ direction = "out", sent = "Busy", shown = "Away" }]

[[provider]]
name = "Yahoo"
state_map = [{ direction = "out", sent = "In a meeting", shown = "Busy" }]
"#,
    )
    .unwrap();
    let at = |s: &str| {
        t.by_addr(s.parse::<IpAddr>().unwrap())
            .map(|p| p.name.clone())
    };
    assert_eq!(at("134.170.96.1"), None);
    assert_eq!(at("65.54.227.9").as_deref(), Some("MSN"));
    assert_eq!(at("198.51.100.9").as_deref(), Some("Fabrikam"));
    assert_eq!(at("192.0.2.7").as_deref(), Some("Fabrikam"));
    assert_eq!(t.by_domain("aim.com").unwrap().0.name, "AOL");
    assert!(t.by_domain("love.com").unwrap().1.retired.is_some());
    let fab = t.by_name("fabrikam").unwrap();
    assert_eq!(fab.displayed(StateDirection::Out, "Busy"), "Away");
    let y = t.by_name("Yahoo").unwrap();
    assert_eq!(y.displayed(StateDirection::Out, "In a meeting"), "Busy");
    assert_eq!(y.state_map.len(), 1);
    let rows = t.rows();
    assert_eq!(rows.len(), 4);
    assert!(
        rows[1]
            .domains
            .iter()
            .any(|d| d == "icq.com (retired 2011-06-10)")
    );
    assert!(
        rows[1]
            .domains
            .iter()
            .any(|d| d == "love.com (retired 2012-12-31)")
    );
}

#[test]
fn bad_toml_is_a_clear_error() {
    let mut t = ProviderTable::builtin();
    let e = t
        .apply_str("[[provider]]\nname = \"X\"\nranges = [\"300.1.1.0/24\"]\n")
        .unwrap_err();
    assert!(
        e.contains("\"300.1.1.0/24\" is not an address range"),
        "{e}"
    );
    let e = t.apply_str("[[provider]]\nnmae = \"X\"\n").unwrap_err();
    assert!(e.contains("unknown field"), "{e}");
    let e = t
        .apply_str(
            "[[provider]]\nname = \"AOL\"\nretire = [{ domain = \"aol.com\", date = \"10/06/2011\" }]\n",
        )
        .unwrap_err();
    assert!(e.contains("not YYYY-MM-DD"), "{e}");
    let e = t.apply_str("[[provider]\nname=").unwrap_err();
    assert!(e.starts_with("not a valid providers file"), "{e}");
    // the table is unchanged after errors
    assert_eq!(t.providers, ProviderTable::builtin().providers);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.toml");
    std::fs::write(&path, "[[provider]]\nname = \"\"\n").unwrap();
    let err = t.apply_file(&path).unwrap_err().to_string();
    assert!(
        err.contains("p.toml") && err.contains("empty name"),
        "{err}"
    );
}

#[test]
fn sample_file_applies() {
    let mut t = ProviderTable::builtin();
    t.apply_str(include_str!("../../samples/providers.example.toml"))
        .unwrap();
    assert!(t.by_name("Fabrikam").is_some());
}
