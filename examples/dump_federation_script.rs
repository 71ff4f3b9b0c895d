//! Writes the standard Lync federation exchange of the TLS samples (the 16
//! messages of `sip::federation_script`) to a file, for generators outside
//! Rust (`scripts/gen_legacy_tls_samples.py`, which drives tlslite-ng):
//!
//! ```text
//! cargo run --example dump_federation_script -- OUT [msn|aol|yahoo] [SEED]
//! ```
//!
//! Defaults: `msn 1`. Format, per message in order: a header line
//! `EDGE <len>` or `PROVIDER <len>` (who sends it), `<len>` bytes of the
//! SIP message, then `\n`. The file ends after the last message.

#[allow(dead_code)]
#[path = "tls_samples/sip.rs"]
mod sip;

use std::io::Write;

fn main() {
    let mut args = std::env::args().skip(1);
    let out = args.next().unwrap_or_else(|| {
        eprintln!("usage: dump_federation_script OUT [msn|aol|yahoo] [SEED]");
        std::process::exit(2);
    });
    let provider = args.next().unwrap_or_else(|| "msn".into());
    let seed: u32 = args
        .next()
        .map(|s| s.parse().expect("SEED: a number"))
        .unwrap_or(1);
    let peer = match provider.as_str() {
        "msn" => sip::msn(seed),
        "aol" => sip::aol(seed),
        "yahoo" => sip::yahoo(seed),
        other => {
            eprintln!("unknown provider {other:?} (msn, aol or yahoo)");
            std::process::exit(2);
        }
    };
    let script = sip::federation_script(&peer);
    let mut buf = Vec::new();
    for (from_edge, msg) in &script {
        let who = if *from_edge { "EDGE" } else { "PROVIDER" };
        writeln!(buf, "{who} {}", msg.len()).expect("write");
        buf.extend_from_slice(msg);
        buf.push(b'\n');
    }
    std::fs::write(&out, &buf).unwrap_or_else(|e| panic!("{out}: {e}"));
    let counts: Vec<String> = sip::count(&script)
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect();
    println!(
        "{out}: {} messages ({provider} {seed}): {}",
        script.len(),
        counts.join(", ")
    );
}
