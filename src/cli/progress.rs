//! A progress line on standard error while long runs read their captures.

use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Draws `read / total MB (pct) MB/s` every quarter second until dropped.
pub struct Progress {
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
}

impl Progress {
    /// Starts drawing when standard error is a terminal and `enabled`; otherwise does nothing.
    pub fn start(counter: Arc<AtomicU64>, total: u64, enabled: bool) -> Progress {
        let stop = Arc::new(AtomicBool::new(false));
        if !enabled || !std::io::stderr().is_terminal() {
            return Progress { stop, handle: None };
        }
        let flag = stop.clone();
        let handle = std::thread::spawn(move || {
            let t0 = Instant::now();
            let mut drawn = false;
            while !flag.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(250));
                let done = counter.load(Ordering::Relaxed);
                let secs = t0.elapsed().as_secs_f64().max(1e-3);
                let pct = if total > 0 {
                    (done as f64 * 100.0 / total as f64).min(100.0)
                } else {
                    0.0
                };
                let mut e = std::io::stderr().lock();
                let _ = write!(
                    e,
                    "\r{:.0} / {:.0} MB ({pct:.0}%)  {:.0} MB/s   ",
                    done as f64 / 1e6,
                    total as f64 / 1e6,
                    done as f64 / 1e6 / secs
                );
                let _ = e.flush();
                drawn = true;
            }
            if drawn {
                let _ = write!(std::io::stderr(), "\r{:60}\r", "");
            }
        });
        Progress {
            stop,
            handle: Some(handle),
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}
