//! Normal forms for comparing what people type: the word filter's words and
//! the skeletons that tell look-alike names apart.
//!
//! Every function here is pure and total over any `&str` (texts come straight
//! from clients), so the fuzz targets call them as they are.
//!
//! Two forms, for two jobs:
//! - [`fold`]: NFKC, lower case, default-ignorable code points removed. This
//!   is how a filter entry is stored and listed, so `ｆｒｏｂ` and
//!   `frob\u{200B}nicate` are entered as the words a moderator meant.
//! - [`skeleton`]: Unicode TR39's skeleton (confusable characters mapped to
//!   one prototype: Cyrillic `а` to `a`, `0` to `O`, `m` to `rn`), then full
//!   case folding. Two strings with the same skeleton look alike. It is a
//!   matching key only: never shown, since `m` becomes `rn`.

use unicode_normalization::UnicodeNormalization;

/// NFKC, lower case, without default-ignorable code points (zero-width
/// space and joiners, soft hyphen, word joiner, bidi controls, variation
/// selectors, tags): invisible characters must not split or change a word.
pub fn fold(s: &str) -> String {
    s.nfkc()
        .filter(|c| !is_default_ignorable(*c))
        .flat_map(char::to_lowercase)
        .filter(|c| !is_default_ignorable(*c))
        .collect()
}

/// The words of a text: runs of letters, digits and combining marks, after
/// [`fold`]. A filter entry of several words matches them in sequence.
pub fn words(text: &str) -> Vec<String> {
    split_words(&fold(text)).map(str::to_owned).collect()
}

fn split_words(s: &str) -> impl Iterator<Item = &str> {
    s.split(|c: char| !(c.is_alphanumeric() || is_mark(c)))
        .filter(|w| !w.is_empty())
}

/// Combining marks belong to the word they sit on (é written as e + ◌́).
fn is_mark(c: char) -> bool {
    matches!(c as u32, 0x0300..=0x036F | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x20D0..=0x20FF | 0xFE20..=0xFE2F)
}

/// TR39 skeleton of `s` as given, then full case folding: `b0b`, `B0B` and
/// `bob` are all `bob`; `rnira` and `mira` are both `rnira`. TR39 maps
/// digit zero to capital `O` and capital `I` and digit one to `l`; the
/// folding afterwards is what makes `b0b` equal `bob`.
pub fn skeleton(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in unicode_security::skeleton(s) {
        case_fold_into(c, &mut out);
    }
    out
}

/// Full case folding as Unicode's CaseFolding.txt (C + F) has it, for what
/// can reach it here: lower case, plus the letters whose folding is not
/// their lower case (`ß` to `ss`, final sigma to sigma, ...).
fn case_fold_into(c: char, out: &mut String) {
    match c {
        'ß' | 'ẞ' => out.push_str("ss"),
        'ς' => out.push('σ'),
        'ϐ' => out.push('β'),
        'ϑ' => out.push('θ'),
        'ϕ' => out.push('φ'),
        'ϖ' => out.push('π'),
        'ϰ' => out.push('κ'),
        'ϱ' => out.push('ρ'),
        'ϵ' => out.push('ε'),
        'ẛ' => out.push('ṡ'),
        'ſ' => out.push('s'),
        'ι' | 'ͅ' => out.push('ι'),
        // Cherokee folds to its capitals, which stay as they are
        '\u{13A0}'..='\u{13F5}' => out.push(c),
        '\u{AB70}'..='\u{ABBF}' | '\u{13F8}'..='\u{13FD}' => out.extend(c.to_uppercase()),
        _ => out.extend(c.to_lowercase()),
    }
}

/// One word of a text as the filter compares it: the skeleton of its lower
/// case form, and when the word has non-ASCII capitals, also the skeleton
/// with those capitals mapped to their prototype first. Both are needed:
/// `DAMN` must match `damn` (the skeleton of `damn` is `darnn`, and `M` has
/// no prototype, so case goes first), while Cyrillic capitals such as `Т`
/// or `Н` look like Latin ones although their lower case forms do not.
/// ASCII capitals are only lower-cased (`I` stays `i`, not TR39's `l`), so
/// `KILL` keeps matching `kill`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WordKeys {
    pub lower: String,
    pub as_typed: Option<String>,
}

impl WordKeys {
    pub fn matches(&self, entry_key: &str) -> bool {
        self.lower == entry_key || self.as_typed.as_deref() == Some(entry_key)
    }
}

/// The words of a text for the word filter: NFKC, default-ignorables
/// removed, split into words (letters, digits, marks), each word keyed by
/// [`skeleton`]. Pure and total: the fuzz target calls it with any input.
///
/// Most chat is ASCII, and it runs on every `say`: an ASCII word takes a
/// table-free path ([`ascii_key`], equal to [`entry_key`] on ASCII, as a
/// test checks), and text already in NFKC without invisible characters is
/// not copied.
pub fn filter_words(text: &str) -> Vec<WordKeys> {
    let plain: std::borrow::Cow<str> = if text.is_ascii()
        || (unicode_normalization::is_nfkc_quick(text.chars())
            == unicode_normalization::IsNormalized::Yes
            && !text.chars().any(is_default_ignorable))
    {
        text.into()
    } else {
        text.nfkc()
            .filter(|c| !is_default_ignorable(*c))
            .collect::<String>()
            .into()
    };
    split_words(&plain).map(word_keys).collect()
}

fn word_keys(w: &str) -> WordKeys {
    if w.is_ascii() {
        return WordKeys {
            lower: ascii_key(w),
            as_typed: None,
        };
    }
    let lower = simple_entry_key(w, false).unwrap_or_else(|| entry_key(w));
    let as_typed = if w.chars().any(is_foreign_capital) {
        let key = simple_entry_key(w, true).unwrap_or_else(|| {
            let mut mapped = String::with_capacity(w.len());
            for c in w.chars() {
                if is_foreign_capital(c) {
                    mapped.extend(unicode_security::skeleton(c.encode_utf8(&mut [0; 4])));
                } else {
                    mapped.push(c);
                }
            }
            entry_key(&mapped)
        });
        Some(key).filter(|k| *k != lower)
    } else {
        None
    };
    WordKeys { lower, as_typed }
}

fn is_foreign_capital(c: char) -> bool {
    !c.is_ascii() && c.is_uppercase()
}

/// [`entry_key`] of a word char by char, from a per-thread cache of each
/// character's key, or None when a character is not simple (with
/// `capitals`, of the word with its non-ASCII capitals mapped to their
/// prototype first, as [`WordKeys::as_typed`]). A character is
/// simple when it, its case folding and its TR39 prototype are starters
/// without a canonical decomposition (nor default-ignorable): for a word of
/// such characters both NFD passes of the skeleton change nothing, so the
/// key of the word is the keys of its characters end to end, exactly. Most
/// letters of most scripts are simple; a chat in Cyrillic or Greek then
/// costs a hash lookup per character instead of two normalisation passes.
fn simple_entry_key(w: &str, capitals: bool) -> Option<String> {
    use std::cell::RefCell;
    /// Direct-mapped by the low bits of the code point: one script's
    /// letters (a Unicode block) do not evict each other, a text of rare
    /// characters cannot grow it, and a lookup is one compare.
    const SLOTS: usize = 1024;
    type Slot = Option<(char, bool, Option<Box<str>>)>;
    thread_local! {
        static KEYS: RefCell<Vec<Slot>> = RefCell::new(vec![None; SLOTS]);
    }
    KEYS.with(|keys| {
        let mut keys = keys.borrow_mut();
        let mut out = String::with_capacity(w.len() + 2);
        for c in w.chars() {
            if c.is_ascii() {
                push_ascii_key(c as u8, &mut out);
                continue;
            }
            let capital = capitals && is_foreign_capital(c);
            let i = (c as usize ^ (usize::from(capital) << 9)) % SLOTS;
            let slot = &mut keys[i];
            if !matches!(slot, Some((k, cap, _)) if *k == c && *cap == capital) {
                *slot = Some((c, capital, simple_char_key(c, capital)));
            }
            out.push_str(slot.as_ref().and_then(|(_, _, key)| key.as_deref())?);
        }
        Some(out)
    })
}

fn simple_char_key(c: char, capital: bool) -> Option<Box<str>> {
    fn simple(c: char) -> bool {
        if is_default_ignorable(c) || unicode_normalization::char::canonical_combining_class(c) != 0
        {
            return false;
        }
        let mut same = true;
        unicode_normalization::char::decompose_canonical(c, |d| same &= d == c);
        same
    }
    let mut folded = String::new();
    if capital {
        let proto: String = unicode_security::skeleton(c.encode_utf8(&mut [0; 4])).collect();
        if !proto.chars().all(simple) {
            return None;
        }
        for p in proto.chars() {
            case_fold_into(p, &mut folded);
        }
    } else {
        case_fold_into(c, &mut folded);
    }
    if !folded.chars().all(simple) {
        return None;
    }
    let proto: String = unicode_security::skeleton(&folded).collect();
    if !proto.chars().all(simple) {
        return None;
    }
    let mut key = String::with_capacity(proto.len());
    for p in proto.chars() {
        case_fold_into(p, &mut key);
    }
    Some(key.into_boxed_str())
}

/// [`entry_key`] of an ASCII word without the tables: in ASCII, TR39 maps
/// only `0` (to `O`), `1` and `I` (to `l`), `m` (to `rn`) and four
/// punctuation marks that never reach a word; case goes first.
pub fn ascii_key(w: &str) -> String {
    let mut out = String::with_capacity(w.len() + 2);
    for b in w.bytes() {
        push_ascii_key(b, &mut out);
    }
    out
}

fn push_ascii_key(b: u8, out: &mut String) {
    match b.to_ascii_lowercase() {
        b'0' => out.push('o'),
        b'1' => out.push('l'),
        b'm' => out.push_str("rn"),
        c => out.push(char::from(c)),
    }
}

/// The key a filter entry's word is compared by (entries are stored in
/// [`fold`]ed form, so this is also the lower-case key of a text's word).
pub fn entry_key(word: &str) -> String {
    let mut folded = String::with_capacity(word.len());
    for c in word.chars() {
        case_fold_into(c, &mut folded);
    }
    skeleton(&folded)
}

/// Unicode's Default_Ignorable_Code_Point (DerivedCoreProperties.txt, as
/// unicode-security 0.1.3 ships it for Unicode 16, which keeps its table
/// private): characters a renderer shows as nothing.
pub fn is_default_ignorable(c: char) -> bool {
    const RANGES: &[(char, char)] = &[
        ('\u{ad}', '\u{ad}'),
        ('\u{34f}', '\u{34f}'),
        ('\u{61c}', '\u{61c}'),
        ('\u{115f}', '\u{1160}'),
        ('\u{17b4}', '\u{17b5}'),
        ('\u{180b}', '\u{180f}'),
        ('\u{200b}', '\u{200f}'),
        ('\u{202a}', '\u{202e}'),
        ('\u{2060}', '\u{206f}'),
        ('\u{3164}', '\u{3164}'),
        ('\u{fe00}', '\u{fe0f}'),
        ('\u{feff}', '\u{feff}'),
        ('\u{ffa0}', '\u{ffa0}'),
        ('\u{fff0}', '\u{fff8}'),
        ('\u{1bca0}', '\u{1bca3}'),
        ('\u{1d173}', '\u{1d17a}'),
        ('\u{e0000}', '\u{e0fff}'),
    ];
    if c < '\u{ad}' {
        return false;
    }
    RANGES
        .binary_search_by(|&(lo, hi)| {
            if hi < c {
                std::cmp::Ordering::Less
            } else if lo > c {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        })
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tr39_maps_the_contracts_examples() {
        assert_eq!(skeleton("b0b"), skeleton("bob"));
        assert_eq!(skeleton("B0B"), "bob");
        assert_eq!(skeleton("aIice"), skeleton("alice"));
        assert_eq!(skeleton("rnira"), skeleton("mira"));
        assert_eq!(skeleton("adrnin"), skeleton("admin"));
        assert_ne!(skeleton("bob"), skeleton("rob"));
        // Cyrillic а, о, с, е
        assert_eq!(skeleton("\u{430}\u{43e}\u{441}\u{435}"), skeleton("aoce"));
    }

    #[test]
    fn fold_drops_invisible_characters() {
        assert_eq!(fold("frob\u{200b}ni\u{ad}ca\u{2060}te"), "frobnicate");
        assert_eq!(fold("ＦＲＯＢ"), "frob");
        assert_eq!(fold("\u{feff}x\u{e0041}"), "x");
        assert_eq!(words("a\u{200b}b c"), ["ab", "c"]);
        for c in [
            '\u{ad}',
            '\u{200b}',
            '\u{200d}',
            '\u{2060}',
            '\u{fe0f}',
            '\u{e0001}',
        ] {
            assert!(is_default_ignorable(c), "{c:?}");
        }
        for c in ['a', ' ', '\u{ac}', '\u{ae}', '\u{2070}', '\u{10ffff}'] {
            assert!(!is_default_ignorable(c), "{c:?}");
        }
    }

    /// The ASCII path is the general one, on every ASCII character.
    #[test]
    fn ascii_key_is_entry_key() {
        // words are letters and digits: punctuation (which TR39 maps too:
        // `"`, `%`, `` ` ``, `|`) never reaches a key
        for c in (0u8..128)
            .map(char::from)
            .filter(char::is_ascii_alphanumeric)
        {
            let s = c.to_string();
            assert_eq!(ascii_key(&s), entry_key(&s), "{c:?}");
            let w = format!("x{c}{c}Y");
            assert_eq!(ascii_key(&w), entry_key(&w), "{w:?}");
        }
        for w in ["HELLO", "fr0bnicate", "MIRA", "rnira", "I1l"] {
            assert_eq!(ascii_key(w), entry_key(w), "{w:?}");
        }
    }

    /// The as-typed key the long way: the word with its non-ASCII capitals
    /// mapped to their prototype, then [`entry_key`].
    fn word_keys_general(w: &str) -> Option<String> {
        let mut mapped = String::new();
        for c in w.chars() {
            if is_foreign_capital(c) {
                mapped.extend(unicode_security::skeleton(c.encode_utf8(&mut [0; 4])));
            } else {
                mapped.push(c);
            }
        }
        Some(entry_key(&mapped))
    }

    /// Char by char is exact where it answers: for every character up to
    /// U+FFFF with a simple key, words of it equal the general path.
    #[test]
    fn simple_keys_are_entry_keys() {
        let mut simple = 0;
        for c in (0x80u32..0x1_0000).filter_map(char::from_u32) {
            let w = format!("a{c}{c}b");
            if let Some(k) = simple_entry_key(&w, false) {
                simple += 1;
                assert_eq!(k, entry_key(&w), "{c:?} U+{:04X}", c as u32);
            }
            if is_foreign_capital(c) {
                let general = word_keys_general(&w);
                if let Some(k) = simple_entry_key(&w, true) {
                    assert_eq!(Some(k), general, "{c:?} U+{:04X}", c as u32);
                }
            }
        }
        assert!(simple > 10_000, "{simple}");
        assert_eq!(
            simple_entry_key("e\u{301}", false),
            None,
            "a mark is not simple"
        );
    }

    fn keys(text: &str) -> Vec<String> {
        filter_words(text).into_iter().map(|w| w.lower).collect()
    }

    #[test]
    fn filter_words_of_evasions() {
        let k = entry_key("frobnicate");
        for t in [
            "frobnicate",
            "FROBNICATE",
            "frob\u{200b}nicate",
            "frob\u{ad}nicate",
            "frob\u{2060}nicate",
            "ＦＲＯＢＮＩＣＡＴＥ",
            "fr\u{43e}bni\u{441}\u{430}t\u{435}",
            "fr0bnicate",
        ] {
            let w = filter_words(t);
            assert_eq!(w.len(), 1, "{t:?}");
            assert!(w[0].matches(&k), "{t:?}: {w:?}");
        }
        // Cyrillic capitals whose lower case does not look Latin: Т, Н
        let w = filter_words("\u{422}\u{41d}E");
        assert!(w[0].matches(&entry_key("the")), "{w:?}");
        assert_eq!(keys("Straße"), [entry_key("strasse")]);
        assert_eq!(keys("a-b c"), ["a", "b", "c"]);
    }

    #[test]
    fn any_input_is_total() {
        for s in [
            "",
            "\u{0}",
            "\u{10ffff}\u{e0fff}",
            "\u{301}\u{301}",
            "ǅ̈̈̈",
            "İ",
        ] {
            let _ = filter_words(s);
            let _ = skeleton(s);
            let _ = fold(s);
        }
    }

    /// What the filter adds to every `say`: printed, not asserted (timings
    /// vary by machine); `cargo test --lib text::tests::cost -- --nocapture`.
    #[test]
    fn cost_of_a_2000_character_text() {
        let mixed: String = "The quick brown fox jumps over the lazy dog, ça va? Привет мир 0123 "
            .chars()
            .cycle()
            .take(2000)
            .collect();
        let ascii: String = "lorem ipsum dolor sit amet, consectetur adipiscing elit "
            .chars()
            .cycle()
            .take(2000)
            .collect();
        let cyrillic: String = "Привет мир, как дела? ТЕСТ "
            .chars()
            .cycle()
            .take(2000)
            .collect();
        // what the filter did before (NFKC, lower case, split), to compare
        let before = |t: &str| -> Vec<String> {
            let n: String = t.nfkc().flat_map(char::to_lowercase).collect();
            split_words(&n).map(str::to_owned).collect()
        };
        for (what, t) in [
            ("ascii", &ascii),
            ("mixed", &mixed),
            ("cyrillic", &cyrillic),
        ] {
            let n = 50;
            let start = std::time::Instant::now();
            for _ in 0..n {
                std::hint::black_box(filter_words(std::hint::black_box(t)));
            }
            let now = start.elapsed() / n;
            let start = std::time::Instant::now();
            for _ in 0..n {
                std::hint::black_box(before(std::hint::black_box(t)));
            }
            let old = start.elapsed() / n;
            println!("2000 characters ({what}): filter_words {now:?}, before {old:?} per text");
        }
    }
}
