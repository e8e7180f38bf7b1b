//! The word filter: whole words, case-insensitive, on text normalised with
//! Unicode NFKC (so full-width `ｂａｄ` is `bad`). A filter entry of several
//! words matches them in sequence.

use std::collections::BTreeMap;

use unicode_normalization::UnicodeNormalization;

/// NFKC, then lower case.
pub fn normalize(s: &str) -> String {
    s.nfkc().flat_map(char::to_lowercase).collect()
}

/// The words of a text, normalised: runs of letters, digits and marks.
pub fn words(text: &str) -> Vec<String> {
    normalize(text)
        .split(|c: char| !(c.is_alphanumeric() || is_mark(c)))
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Combining marks belong to the word they sit on (é written as e + ◌́).
fn is_mark(c: char) -> bool {
    matches!(c as u32, 0x0300..=0x036F | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x20D0..=0x20FF | 0xFE20..=0xFE2F)
}

/// The canonical form a filter entry is stored in: its words, normalised,
/// joined by one space; `None` if it has no word.
pub fn canonical(entry: &str) -> Option<String> {
    let w = words(entry);
    if w.is_empty() {
        None
    } else {
        Some(w.join(" "))
    }
}

#[derive(Debug, Default, Clone)]
pub struct Filter {
    /// canonical entry -> its words
    entries: BTreeMap<String, Vec<String>>,
}

impl Filter {
    pub fn new(entries: impl IntoIterator<Item = String>) -> Filter {
        let mut f = Filter::default();
        for e in entries {
            f.add(&e);
        }
        f
    }

    pub fn add(&mut self, entry: &str) -> bool {
        match canonical(entry) {
            Some(c) if !self.entries.contains_key(&c) => {
                let w = c.split(' ').map(str::to_owned).collect();
                self.entries.insert(c, w);
                true
            }
            _ => false,
        }
    }

    pub fn remove(&mut self, entry: &str) -> bool {
        canonical(entry).is_some_and(|c| self.entries.remove(&c).is_some())
    }

    pub fn list(&self) -> Vec<String> {
        self.entries.keys().cloned().collect()
    }

    /// The first entry the text contains, if any.
    pub fn first_match(&self, text: &str) -> Option<&str> {
        if self.entries.is_empty() {
            return None;
        }
        let t = words(text);
        self.entries
            .iter()
            .find(|(_, w)| t.windows(w.len()).any(|win| win == w.as_slice()))
            .map(|(c, _)| c.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_words_any_case_and_width() {
        let f = Filter::new(["Darn".to_owned(), "foo bar".to_owned()]);
        assert_eq!(f.first_match("oh darn it"), Some("darn"));
        assert_eq!(f.first_match("DARN!"), Some("darn"));
        assert_eq!(f.first_match("ｄａｒｎ"), Some("darn"), "full width");
        assert_eq!(f.first_match("darning socks"), None, "whole words only");
        assert_eq!(f.first_match("a foo, bar"), Some("foo bar"));
        assert_eq!(f.first_match("foo baz bar"), None);
        assert_eq!(f.list(), ["darn", "foo bar"]);
    }

    #[test]
    fn canonical_forms() {
        assert_eq!(canonical("  Ｂad  "), Some("bad".into()));
        assert_eq!(canonical("!!!"), None);
    }
}
