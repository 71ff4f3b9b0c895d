//! File-transfer offers: Lync `application/ms-filetransfer+xml` and the
//! legacy Messenger `text/x-msmsgsinvite` invitation.

use quick_xml::Reader;
use quick_xml::events::Event;
use serde::Serialize;

use crate::sip::parse::media_type;

/// Which file-transfer mechanism an offer uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FileTransferKind {
    /// `application/ms-filetransfer+xml` (Lync / OCS).
    MsFileTransfer,
    /// `text/x-msmsgsinvite` (legacy Messenger invitation).
    MsmsgsInvite,
}

/// A file-transfer offer found in a body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FileTransferOffer {
    /// The mechanism.
    pub kind: FileTransferKind,
    /// Offered file name, if given.
    pub file_name: Option<String>,
    /// File size in bytes, if given.
    pub size: Option<u64>,
}

/// Detects a file-transfer offer by content type; `None` when the body is not one.
pub fn parse_file_transfer(content_type: &str, body: &[u8]) -> Option<FileTransferOffer> {
    let ct = media_type(content_type);
    match ct.as_str() {
        "application/ms-filetransfer+xml" => Some(ms_filetransfer(body)),
        "text/x-msmsgsinvite" => msmsgsinvite(body),
        _ => None,
    }
}

fn ms_filetransfer(body: &[u8]) -> FileTransferOffer {
    let mut offer = FileTransferOffer {
        kind: FileTransferKind::MsFileTransfer,
        file_name: None,
        size: None,
    };
    let mut reader = Reader::from_reader(body);
    reader.config_mut().check_end_names = false;
    let mut current: Option<Vec<u8>> = None;
    let mut text = String::new();
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) => {
                current = Some(e.local_name().as_ref().as_bytes().to_ascii_lowercase());
                text.clear();
            }
            Ok(Event::Text(t)) => text.push_str(&t),
            Ok(Event::GeneralRef(r)) => {
                if let Ok(Some(c)) = r.resolve_char_ref() {
                    text.push(c);
                } else if r.as_ref() == "amp" {
                    text.push('&');
                }
            }
            Ok(Event::End(_)) => {
                let v = text.trim();
                match current.as_deref() {
                    Some(b"name") if offer.file_name.is_none() && !v.is_empty() => {
                        offer.file_name = Some(v.to_string());
                    }
                    Some(b"size") if offer.size.is_none() => offer.size = v.parse().ok(),
                    _ => {}
                }
                current = None;
                text.clear();
            }
            Ok(Event::Eof) | Err(_) => break,
            Ok(_) => {}
        }
    }
    offer
}

fn msmsgsinvite(body: &[u8]) -> Option<FileTransferOffer> {
    let text = String::from_utf8_lossy(body);
    let mut is_ft = false;
    let mut offer = FileTransferOffer {
        kind: FileTransferKind::MsmsgsInvite,
        file_name: None,
        size: None,
    };
    for line in text.lines() {
        let Some((k, v)) = line.split_once(':') else {
            continue;
        };
        let v = v.trim();
        match k.trim().to_ascii_lowercase().as_str() {
            "application-name" if v.eq_ignore_ascii_case("file transfer") => is_ft = true,
            "application-guid"
                if v.eq_ignore_ascii_case("{5D3E02AB-6190-11d3-BBBB-00C04F795683}") =>
            {
                is_ft = true
            }
            "application-file" => {
                is_ft = true;
                offer.file_name = Some(v.to_string());
            }
            "application-filesize" => offer.size = v.parse().ok(),
            _ => {}
        }
    }
    is_ft.then_some(offer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lync_offer() {
        let body = br#"<request xmlns="http://schemas.microsoft.com/rtc/2009/05/filetransfer" requestId="1"><publishFile><fileInfo embedded="true"><id>{6244F934-2EB1-443F-8E2C-48BA64AF463B}</id><name>budget &amp; plan.xlsx</name><size>48213</size></fileInfo></publishFile></request>"#;
        let o = parse_file_transfer("application/ms-filetransfer+xml", body).unwrap();
        assert_eq!(o.kind, FileTransferKind::MsFileTransfer);
        assert_eq!(o.file_name.as_deref(), Some("budget & plan.xlsx"));
        assert_eq!(o.size, Some(48213));
    }

    #[test]
    fn legacy_invite() {
        let body = b"Application-Name: File Transfer\r\nApplication-GUID: {5D3E02AB-6190-11d3-BBBB-00C04F795683}\r\nInvitation-Command: INVITE\r\nInvitation-Cookie: 17\r\nApplication-File: notes.txt\r\nApplication-FileSize: 1024\r\n";
        let o = parse_file_transfer("text/x-msmsgsinvite; charset=UTF-8", body).unwrap();
        assert_eq!(o.kind, FileTransferKind::MsmsgsInvite);
        assert_eq!(o.file_name.as_deref(), Some("notes.txt"));
        assert_eq!(o.size, Some(1024));
        assert!(
            parse_file_transfer("text/x-msmsgsinvite", b"Invitation-Command: CANCEL\r\n").is_none()
        );
        assert!(parse_file_transfer("text/plain", body).is_none());
        let _ = parse_file_transfer("application/ms-filetransfer+xml", b"<<<\xff");
    }
}
