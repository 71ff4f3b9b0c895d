//! The global allocator: mimalloc, entered through its plain `mi_malloc`
//! family whenever the requested alignment is one `mi_malloc` always gives.
//!
//! Per-message buffers are allocated on a worker thread and freed on the
//! analysis thread; glibc malloc spent ~10 % of a run in malloc/free and its
//! cross-thread bookkeeping, mimalloc a fraction of that. The `mimalloc`
//! crate's own `GlobalAlloc` calls `mi_malloc_aligned` for every request,
//! and mimalloc's aligned entry only has a fast path up to 1 KiB: every
//! larger buffer (SIP heads, TLS records) went through its generic path,
//! about 3 % of a run's instructions. Written here because the crate offers
//! no such wrapper; over-aligned requests still go through the crate.

use std::alloc::{GlobalAlloc, Layout};
use std::ffi::c_void;

use libmimalloc_sys::{mi_free, mi_malloc, mi_realloc, mi_zalloc};
use mimalloc::MiMalloc;

/// Alignment every `mi_malloc` block has whatever its size: mimalloc's
/// block sizes are whole machine words (a 24-byte block may sit at 8, so
/// 16 is not promised for every size).
const MI_MALLOC_ALIGN: usize = std::mem::size_of::<usize>();

/// mimalloc with the plain entry points for ordinary alignments.
pub struct Allocator;

/// Whether a plain `mi_malloc` block is aligned enough for `align`.
fn plain(align: usize) -> bool {
    align <= MI_MALLOC_ALIGN
}

// SAFETY: every pointer handed out comes from mimalloc (plain or aligned
// entry) and is returned to it with `mi_free`, which accepts either; the
// plain entry is used only for alignments its blocks always have (word).
unsafe impl GlobalAlloc for Allocator {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if plain(layout.align()) {
            // SAFETY: a plain allocation of `size` bytes (see `plain`).
            unsafe { mi_malloc(layout.size()) as *mut u8 }
        } else {
            // SAFETY: forwarded unchanged to the crate's allocator.
            unsafe { MiMalloc.alloc(layout) }
        }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if plain(layout.align()) {
            // SAFETY: as in `alloc`.
            unsafe { mi_zalloc(layout.size()) as *mut u8 }
        } else {
            // SAFETY: forwarded unchanged to the crate's allocator.
            unsafe { MiMalloc.alloc_zeroed(layout) }
        }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
        // SAFETY: `ptr` came from mimalloc (either entry); mi_free takes both.
        unsafe { mi_free(ptr as *mut c_void) }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if plain(layout.align()) {
            // SAFETY: `ptr` came from mimalloc; the new block is plain-aligned enough.
            unsafe { mi_realloc(ptr as *mut c_void, new_size) as *mut u8 }
        } else {
            // SAFETY: forwarded unchanged to the crate's allocator.
            unsafe { MiMalloc.realloc(ptr, layout, new_size) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_entry_only_for_alignments_it_always_gives() {
        assert!(plain(1));
        assert!(plain(8));
        assert!(!plain(16), "a 24-byte block may sit at 8");
        assert!(!plain(4096));
    }

    #[test]
    fn blocks_are_aligned_and_keep_their_bytes_through_realloc() {
        let a = Allocator;
        for (size, align) in [
            (1, 1),
            (24, 8),
            (1500, 8),
            (24, 16),
            (40_000, 16),
            (64, 64),
            (8192, 4096),
        ] {
            let layout = Layout::from_size_align(size, align).expect("valid layout");
            // SAFETY: non-zero sizes, freed below with the same allocator.
            unsafe {
                let p = a.alloc(layout);
                assert!(!p.is_null());
                assert_eq!(p as usize % align, 0, "{size} bytes at {align}");
                p.write_bytes(0xa5, size);
                let q = a.realloc(p, layout, size * 3);
                assert_eq!(q as usize % align, 0);
                assert!(
                    std::slice::from_raw_parts(q, size)
                        .iter()
                        .all(|&b| b == 0xa5)
                );
                a.dealloc(q, Layout::from_size_align(size * 3, align).expect("valid"));
                let z = a.alloc_zeroed(layout);
                assert!(std::slice::from_raw_parts(z, size).iter().all(|&b| b == 0));
                a.dealloc(z, layout);
            }
        }
    }
}
