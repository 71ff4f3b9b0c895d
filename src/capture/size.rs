//! How large a capture file's byte stream is, for deciding whether it is
//! worth sharding over threads: a gzip-compressed capture is judged by what
//! it holds, not by its compressed size.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

/// Bytes of the capture stream in `path`: for a gzip file, the larger of its
/// size and the uncompressed size its trailer records (that of the last
/// member, modulo 4 GiB: a lower bound, exact for the usual single member
/// under 4 GiB); otherwise the file's size.
pub fn stream_size(path: &Path) -> std::io::Result<u64> {
    let mut f = File::open(path)?;
    let len = f.metadata()?.len();
    let mut magic = [0u8; 2];
    if len < 18 || f.read_exact(&mut magic).is_err() || magic != [0x1f, 0x8b] {
        return Ok(len);
    }
    let mut isize = [0u8; 4];
    f.seek(SeekFrom::End(-4))?;
    f.read_exact(&mut isize)?;
    Ok(len.max(u64::from(u32::from_le_bytes(isize))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn a_gzip_file_is_as_large_as_what_it_holds() {
        let dir = tempfile::tempdir().unwrap();
        let data = vec![7u8; 1 << 20];
        let gz = dir.path().join("a.pcap.gz");
        let mut e = flate2::write::GzEncoder::new(
            File::create(&gz).unwrap(),
            flate2::Compression::default(),
        );
        e.write_all(&data).unwrap();
        e.finish().unwrap();
        assert!(std::fs::metadata(&gz).unwrap().len() < 10_000);
        assert_eq!(stream_size(&gz).unwrap(), 1 << 20);

        let plain = dir.path().join("a.pcap");
        std::fs::write(&plain, &data[..1000]).unwrap();
        assert_eq!(stream_size(&plain).unwrap(), 1000);
        // Too short to be gzip, and a gzip magic with a trailer that lies low.
        std::fs::write(&plain, [0x1f, 0x8b, 1]).unwrap();
        assert_eq!(stream_size(&plain).unwrap(), 3);
        let mut lying = vec![0x1f, 0x8b];
        lying.extend_from_slice(&[0; 100]);
        std::fs::write(&plain, &lying).unwrap();
        assert_eq!(stream_size(&plain).unwrap(), 102);
        assert!(stream_size(&dir.path().join("missing")).is_err());
    }
}
