//! `fedscope live`: the analyze pipeline on a live interface (cargo feature
//! `live`), printing events as they happen and a summary at the end.

use super::args::LiveArgs;
use super::commands::CliError;

/// Runs a live capture; without the `live` feature, explains how to get it.
#[cfg(not(feature = "live"))]
pub fn run(args: LiveArgs) -> Result<i32, CliError> {
    let _ = args;
    Err(CliError::Usage(
        "this fedscope was built without live capture; rebuild with `cargo build --release --features live` \
         (Linux: apt-get install libpcap-dev; Windows: the Npcap SDK)"
            .into(),
    ))
}

/// Runs a live capture until `--duration` ends or Ctrl-C.
#[cfg(feature = "live")]
pub fn run(args: LiveArgs) -> Result<i32, CliError> {
    use std::io::Write;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use super::args::Format;
    use super::commands::{engine_config, exit_status, render};
    use crate::engine::{self, LiveEvent};
    use crate::live::{LiveOptions, LiveSource};
    use crate::report::Report;

    let mut cfg = engine_config(&args.common)?;
    // The key log grows while capturing: records may arrive before their secrets.
    if let Some(k) = std::sync::Arc::get_mut(&mut cfg.keys) {
        k.set_growing();
    }
    let keylogs = args
        .common
        .keylog
        .iter()
        .map(|p| {
            (
                p.clone(),
                std::fs::metadata(p).map(|m| m.len()).unwrap_or(0),
            )
        })
        .collect();
    let opts = LiveOptions {
        interface: args.interface.clone(),
        filter: args.filter.clone(),
        duration: args.duration.map(Duration::from_secs),
        write: args.write.clone(),
        keylogs,
    };
    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = stop.clone();
        // A second Ctrl-C while the summary is written falls through to the default.
        let _ = ctrlc::set_handler(move || stop.store(true, Ordering::Relaxed));
    }
    let mut src = LiveSource::open(&opts, stop).map_err(|e| CliError::Usage(e.to_string()))?;

    let out: Arc<Mutex<Box<dyn Write + Send>>> = Arc::new(Mutex::new(match &args.common.output {
        Some(p) => Box::new(
            std::fs::File::create(p)
                .map_err(|e| CliError::Usage(format!("{}: {e}", p.display())))?,
        ),
        None => Box::new(std::io::stdout()),
    }));
    let ndjson = args.common.format == Format::Ndjson;
    let sink = out.clone();
    cfg.on_event = Some(Arc::new(move |ev: LiveEvent<'_>| {
        let line = if ndjson {
            let (kind, val) = match ev {
                LiveEvent::Sip(s) => ("sip", serde_json::to_value(s)),
                LiveEvent::FlowClosed(f) => ("flow", serde_json::to_value(f)),
                LiveEvent::Violation(v) => ("violation", serde_json::to_value(v)),
            };
            let mut val = val.unwrap_or(serde_json::Value::Null);
            if let serde_json::Value::Object(m) = &mut val {
                m.insert("type".into(), kind.into());
            }
            val.to_string()
        } else {
            human_line(ev)
        };
        if let Ok(mut w) = sink.lock() {
            let _ = writeln!(w, "{line}");
            let _ = w.flush();
        }
    }));
    eprintln!(
        "fedscope: capturing on {} ({}); Ctrl-C to stop",
        args.interface, args.filter
    );
    let path = src.path().to_path_buf();
    let result = engine::analyze_source(&path, &mut src, &cfg);
    let stats = src.stats();
    let mut report = Report::merge(vec![result], &cfg.keys);
    if let Some(c) = report.captures.first_mut() {
        c.errors.push(format!(
            "live capture counters: {} packets received by the filter, {} dropped by the kernel, {} dropped by the interface",
            stats.received, stats.dropped, stats.if_dropped
        ));
    }
    eprintln!(
        "fedscope: capture ended: {} received, {} dropped (buffer), {} dropped (interface)",
        stats.received, stats.dropped, stats.if_dropped
    );
    let mut w = out
        .lock()
        .map_err(|_| CliError::Usage("output lock poisoned".into()))?;
    if ndjson {
        // Events were streamed already; end with the summary event only.
        let mut buf = Vec::new();
        crate::report::write_ndjson(&report, &mut buf)?;
        if let Some(last) = String::from_utf8_lossy(&buf).lines().last() {
            writeln!(w, "{last}")?;
        }
        w.flush()?;
    } else {
        render(&report, &args.common, &mut **w)?;
    }
    Ok(exit_status(&report, &args.common))
}

#[cfg(feature = "live")]
fn human_line(ev: crate::engine::LiveEvent<'_>) -> String {
    use crate::engine::LiveEvent;
    match ev {
        LiveEvent::Sip(s) => {
            let what = match (&s.method, s.status) {
                (Some(m), _) => m.clone(),
                (None, Some(c)) => c.to_string(),
                _ => "?".into(),
            };
            format!(
                "{} frame {} {} -> {} {:<9} {} -> {} Call-ID {}",
                s.time.rfc3339(),
                s.frames[1],
                s.src,
                s.dst,
                what,
                s.from.as_deref().unwrap_or("-"),
                s.to.as_deref().unwrap_or("-"),
                s.call_id.as_deref().unwrap_or("-")
            )
        }
        LiveEvent::FlowClosed(f) => format!(
            "{} flow {} {} -> {} closed ({}): {} SIP messages, provider {}{}",
            f.end.rfc3339(),
            f.id,
            f.client,
            f.server,
            f.closed,
            f.sip_messages,
            f.provider.as_deref().unwrap_or("-"),
            f.tls
                .as_ref()
                .map(|t| format!(
                    ", TLS {} {}",
                    if t.decrypted {
                        "decrypted"
                    } else {
                        "not decrypted"
                    },
                    t.failure.as_deref().unwrap_or("")
                ))
                .unwrap_or_default()
        ),
        LiveEvent::Violation(v) => format!(
            "{} {} [{}] {}: {}",
            v.time.map(|t| t.rfc3339()).unwrap_or_default(),
            v.rule,
            v.severity.as_str(),
            v.provider.as_deref().unwrap_or("-"),
            v.message
        ),
    }
}
