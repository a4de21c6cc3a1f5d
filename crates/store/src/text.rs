//! Folding of names into sort and search keys: compatibility decomposition, combining marks
//! removed, lower case. "Björk" and "bjork" sort and match alike.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// The folded form of `s`, used as a sort key.
pub fn fold(s: &str) -> String {
    s.nfkd().filter(|c| !is_combining_mark(*c)).flat_map(char::to_lowercase).collect()
}

#[cfg(test)]
mod tests {
    use super::fold;

    #[test]
    fn folds_case_and_accents() {
        assert_eq!(fold("Björk"), "bjork");
        assert_eq!(fold("Sigur Rós"), "sigur ros");
        assert_eq!(fold("BEYONCÉ"), "beyonce");
        assert_eq!(fold("ﬁne"), "fine");
        assert_eq!(fold("Daft Punk"), "daft punk");
    }
}
