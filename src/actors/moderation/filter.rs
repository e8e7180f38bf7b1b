//! The word filter: whole words, a filter entry of several words matching
//! them in sequence. Text and entries are compared by their normal form
//! (`crate::text`): NFKC, case folded, invisible (default-ignorable)
//! characters removed, and look-alike characters mapped to their TR39
//! skeleton, so `ｂａｄ`, `b\u{200B}ad`, `b\u{AD}ad` and a Cyrillic `bаd` are
//! all `bad`. Word boundaries are where they were before that mapping:
//! letters, digits and combining marks make words, anything else splits them.

use std::collections::BTreeMap;

use crate::text;

/// The canonical form a filter entry is stored and listed in: its words,
/// NFKC, lower case, without invisible characters, joined by one space;
/// `None` if it has no word. Look-alikes are not mapped here (the skeleton
/// turns `m` into `rn`): entries are shown as the moderator meant them.
pub fn canonical(entry: &str) -> Option<String> {
    let w = text::words(entry);
    if w.is_empty() {
        None
    } else {
        Some(w.join(" "))
    }
}

#[derive(Debug, Default, Clone)]
pub struct Filter {
    /// canonical entry -> its words' skeleton keys (`text::entry_key`)
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
                let w = c.split(' ').map(text::entry_key).collect();
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
        let t = text::filter_words(text);
        self.entries
            .iter()
            .find(|(_, keys)| {
                t.windows(keys.len())
                    .any(|win| win.iter().zip(keys.iter()).all(|(w, k)| w.matches(k)))
            })
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
        assert_eq!(canonical("frob\u{200b}nicate"), Some("frobnicate".into()));
        assert_eq!(canonical("\u{ad}"), None);
        assert_eq!(canonical("Mira"), Some("mira".into()), "shown unmapped");
    }

    #[test]
    fn invisible_and_look_alike_characters_do_not_hide_a_word() {
        let f = Filter::new(["frobnicate".to_owned(), "foo bar".to_owned()]);
        for t in [
            "frob\u{200b}nicate",
            "frob\u{ad}nicate",
            "frob\u{2060}nicate",
            "frob\u{feff}ni\u{200d}cate",
            "ＦＲＯＢＮＩＣＡＴＥ",
            "fr\u{43e}bni\u{441}\u{430}t\u{435}",
            "FR\u{41e}BNI\u{421}\u{410}\u{422}\u{415}",
            "fr0bnicate!",
            "well, f\u{200b}oo b\u{430}r",
        ] {
            assert!(f.first_match(t).is_some(), "{t:?}");
        }
        for t in ["frobnicated", "frob nicate", "foo-baz bar"] {
            assert_eq!(f.first_match(t), None, "{t:?}");
        }
    }
}
