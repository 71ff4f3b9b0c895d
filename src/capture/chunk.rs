//! A read chunk of a capture, shared by reference count: frames borrowed from
//! it can be handed to other threads without copying their bytes.

use std::ops::Range;
use std::sync::Arc;

/// Bytes read from a capture; the reader fills a chunk only while no one
/// else holds it, so a holder sees them unchanged.
#[derive(Clone, Debug)]
pub struct SharedChunk(pub(super) Arc<Vec<u8>>);

impl SharedChunk {
    /// Where `part` lies within the chunk, if it is a view of the chunk's bytes.
    pub fn locate(&self, part: &[u8]) -> Option<Range<usize>> {
        let base = self.0.as_ptr() as usize;
        let start = (part.as_ptr() as usize).checked_sub(base)?;
        let end = start.checked_add(part.len())?;
        (end <= self.0.len()).then_some(start..end)
    }

    /// The bytes at `range` (empty if it lies outside the chunk).
    pub fn get(&self, range: Range<usize>) -> &[u8] {
        self.0.get(range).unwrap_or(&[])
    }

    /// Whether both are the same chunk.
    pub fn same(&self, other: &SharedChunk) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locates_views_of_the_chunk_only() {
        let c = SharedChunk(Arc::new((0u8..100).collect()));
        let inside = &c.0[10..30];
        assert_eq!(c.locate(inside), Some(10..30));
        assert_eq!(c.get(10..30), inside);
        let other = vec![0u8; 20];
        assert_eq!(c.locate(&other), None);
        assert_eq!(c.locate(&c.0[90..]), Some(90..100));
        assert!(c.get(90..200).is_empty());
        assert!(c.same(&c.clone()));
        assert!(!c.same(&SharedChunk(Arc::new(vec![0; 100]))));
    }
}
