//! Message bodies federation analysis reads: SDP offers, presence documents
//! (PIDF, Microsoft msrtc categories), file-transfer offers, IM text.

pub mod filetransfer;
pub mod im;
pub mod multipart;
pub mod presence;
pub mod sdp;
