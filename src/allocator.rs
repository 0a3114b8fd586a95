//! The memory allocator: mimalloc. Imports build and drop millions of short strings on
//! several threads; glibc's allocator spent a quarter of an analysis merging freed
//! chunks (docs/decisions/2026-12-01-import-speed.md). Declared in the library so the
//! server, the CLI, the tests and the benchmarks all run on it.

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` in the bundled mimalloc's list of options, which
/// libmimalloc-sys does not name (a test checks it is the option whose default is 1,000 ms).
const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Hands freed memory back to the system at once instead of a second later: what one
/// stage of an analysis has finished with is then not still held while the next runs
/// (peak 200 MB → 110 MB for 100,000 rows). Called first thing by `main`, and by the
/// benchmarks to measure the same thing.
pub fn configure() {
    // SAFETY: sets a plain integer option; mimalloc allows it at any time.
    unsafe { libmimalloc_sys::mi_option_set(PURGE_DELAY, 0) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_purge_delay_option_is_the_one_set() {
        // Nothing in the test binary calls `configure`: the option has its default.
        // SAFETY: reads a plain integer option.
        let delay = unsafe { libmimalloc_sys::mi_option_get(PURGE_DELAY) };
        assert_eq!(
            delay, 1000,
            "option {PURGE_DELAY} is not mimalloc's purge delay"
        );
    }
}
