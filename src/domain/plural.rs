//! Counts that agree with their noun or verb: "1 client", "2 clients", "1 was", "3 were".
//! The one helper for this, in Rust and in templates
//! (`{{ crate::domain::plural::plural(n, "client", "clients") }}`).

/// A count of things: any integer type a page or a message carries.
pub trait Count: Copy {
    /// Whether the count is exactly one (so the singular form applies).
    fn is_one(self) -> bool;
}

macro_rules! count_impl {
    ($($t:ty),*) => {$(
        impl Count for $t {
            fn is_one(self) -> bool {
                self == 1
            }
        }
    )*};
}
count_impl!(u8, u16, u32, u64, usize, i8, i16, i32, i64, isize);

impl<T: Count> Count for &T {
    fn is_one(self) -> bool {
        (*self).is_one()
    }
}

/// `one` when `n` is 1, `many` otherwise (0 takes the plural: "0 clients").
pub fn plural<'a>(n: impl Count, one: &'a str, many: &'a str) -> &'a str {
    if n.is_one() {
        one
    } else {
        many
    }
}

/// The count with its word: `count(2, "client", "clients")` is "2 clients".
pub fn count(n: impl Count + std::fmt::Display, one: &str, many: &str) -> String {
    format!("{n} {}", plural(n, one, many))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_is_singular_and_every_other_count_plural() {
        assert_eq!(plural(1usize, "row", "rows"), "row");
        assert_eq!(plural(0i64, "row", "rows"), "rows");
        assert_eq!(plural(2u32, "was", "were"), "were");
        assert_eq!(plural(-1i64, "row", "rows"), "rows");
        let borrowed = &1i64;
        assert_eq!(plural(borrowed, "row", "rows"), "row");
        assert_eq!(count(1, "client", "clients"), "1 client");
        assert_eq!(count(11u64, "client", "clients"), "11 clients");
    }
}
