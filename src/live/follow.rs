//! Following key-log files that grow while a live capture runs.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::PathBuf;

/// Remembers how far each key-log file has been read and returns complete new lines.
pub struct KeylogFollower {
    files: Vec<(PathBuf, u64)>,
    partial: Vec<Vec<u8>>,
}

impl KeylogFollower {
    /// Follows `paths`, starting at `start` bytes (usually what was already loaded).
    pub fn new(paths: Vec<PathBuf>, start: Vec<u64>) -> Self {
        let files: Vec<(PathBuf, u64)> = paths
            .into_iter()
            .enumerate()
            .map(|(i, p)| (p, start.get(i).copied().unwrap_or(0)))
            .collect();
        let partial = vec![Vec::new(); files.len()];
        KeylogFollower { files, partial }
    }

    /// Complete lines appended since the last call (all files together), or `None`.
    /// A file that shrank (rotated) is read again from its start.
    pub fn poll(&mut self) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        for (i, (path, offset)) in self.files.iter_mut().enumerate() {
            let Ok(mut f) = File::open(&*path) else {
                continue;
            };
            let Ok(len) = f.metadata().map(|m| m.len()) else {
                continue;
            };
            if len < *offset {
                *offset = 0;
                self.partial[i].clear();
            }
            if len == *offset || f.seek(SeekFrom::Start(*offset)).is_err() {
                continue;
            }
            let mut buf = Vec::new();
            if f.take(len - *offset).read_to_end(&mut buf).is_err() {
                continue;
            }
            *offset += buf.len() as u64;
            let pending = &mut self.partial[i];
            pending.extend_from_slice(&buf);
            if let Some(end) = pending.iter().rposition(|b| *b == b'\n') {
                out.extend(pending.drain(..=end));
            }
        }
        (!out.is_empty()).then_some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn returns_only_complete_new_lines() {
        let dir = tempfile::tempdir().expect("tmp");
        let p = dir.path().join("k.log");
        std::fs::write(&p, b"CLIENT_RANDOM aa bb\n").expect("write");
        let mut f = KeylogFollower::new(vec![p.clone()], vec![20]);
        assert_eq!(f.poll(), None);
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(&p)
            .expect("open");
        file.write_all(b"CLIENT_RANDOM cc dd\nCLIENT_RAN")
            .expect("append");
        assert_eq!(f.poll().as_deref(), Some(&b"CLIENT_RANDOM cc dd\n"[..]));
        file.write_all(b"DOM ee ff\n").expect("append");
        assert_eq!(f.poll().as_deref(), Some(&b"CLIENT_RANDOM ee ff\n"[..]));
        assert_eq!(f.poll(), None);
    }
}
