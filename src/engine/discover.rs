//! Turns command-line paths into the list of capture files to read.

use std::path::{Path, PathBuf};

/// File endings treated as captures when a directory is searched.
const CAPTURE_ENDINGS: &[&str] = &[
    ".pcap",
    ".pcapng",
    ".cap",
    ".pcap.gz",
    ".pcapng.gz",
    ".cap.gz",
];

/// Expands directories recursively (captures only, sorted); files are kept as given.
/// Paths that do not exist are returned in the error list with the reason.
pub fn expand_paths(paths: &[PathBuf]) -> (Vec<PathBuf>, Vec<(PathBuf, String)>) {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for p in paths {
        match std::fs::metadata(p) {
            Ok(m) if m.is_dir() => walk(p, &mut files, &mut errors),
            Ok(_) => files.push(p.clone()),
            Err(e) => errors.push((p.clone(), e.to_string())),
        }
    }
    (files, errors)
}

fn is_capture_name(path: &Path) -> bool {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    CAPTURE_ENDINGS.iter().any(|e| name.ends_with(e))
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>, errors: &mut Vec<(PathBuf, String)>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            errors.push((dir.to_path_buf(), e.to_string()));
            return;
        }
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for p in paths {
        match std::fs::metadata(&p) {
            Ok(m) if m.is_dir() => walk(&p, files, errors),
            Ok(_) if is_capture_name(&p) => files.push(p),
            Ok(_) => {}
            Err(e) => errors.push((p, e.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_capture_names() {
        assert!(is_capture_name(Path::new("a/b.pcap")));
        assert!(is_capture_name(Path::new("B.PCAPNG.GZ")));
        assert!(!is_capture_name(Path::new("notes.txt")));
    }
}
