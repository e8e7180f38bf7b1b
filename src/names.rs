//! Which usernames may be taken: the rules beyond a name's characters that
//! keep one person from passing for another (docs/protocol.md, "Names").
//!
//! - **Look-alikes**: a name is compared with every account's by its
//!   [`skeleton_key`]; the store keeps that key per account
//!   (`accounts.name_skeleton`, unique), so the check is one indexed lookup
//!   and two racing registrations of `bob` and `b0b` cannot both win.
//! - **Reserved names** (`[auth] reserved_names`): [`is_reserved`], checked by
//!   `register` and `rename` only; the console may still create them.
//! - **Held names**: a name given up by `rename` is the old owner's for
//!   `[auth] name_hold_days` (`store::accounts`, table `released_names`).

use crate::model::username_key;

/// The key look-alike names share: the TR39 skeleton of the name as typed,
/// then case folded (`b0b`, `B0B` and `bob` give `bob`; `aIice` and `alice`
/// give `alice`; `rnira` and `mira` give `rnira`). Names are ASCII, and TR39
/// alone maps every pair the contract lists, with no extra folding of ours.
pub fn skeleton_key(name: &str) -> String {
    crate::text::skeleton(name)
}

/// Whether `register` and `rename` must refuse `name` as one of `reserved`:
/// equal to one in any letter case, or a look-alike of one. A reserved name
/// is compared in lower case, upper case and capitalised, because the
/// skeleton is case-sensitive (`I` looks like `l`, `i` does not), and an
/// impostor picks whichever case fools best: `ADMlN` (with a small L) is
/// refused like `adrnin`.
pub fn is_reserved(name: &str, reserved: &[String]) -> bool {
    let key = username_key(name);
    let skel = skeleton_key(name);
    reserved.iter().any(|r| {
        if username_key(r) == key {
            return true;
        }
        let lower = r.to_lowercase();
        let upper = r.to_uppercase();
        let mut capital = String::with_capacity(lower.len());
        let mut chars = lower.chars();
        if let Some(first) = chars.next() {
            capital.extend(first.to_uppercase());
            capital.push_str(chars.as_str());
        }
        [r.as_str(), &lower, &upper, &capital]
            .iter()
            .any(|form| skeleton_key(form) == skel)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn look_alikes_share_a_key() {
        for (a, b) in [
            ("b0b", "bob"),
            ("B0B", "bob"),
            ("aIice", "alice"),
            ("rnira", "mira"),
            ("a1ice", "alice"),
            ("adrnin", "admin"),
        ] {
            assert_eq!(skeleton_key(a), skeleton_key(b), "{a} ~ {b}");
        }
        for (a, b) in [("bob", "rob"), ("alice", "alise"), ("mira", "nira")] {
            assert_ne!(skeleton_key(a), skeleton_key(b), "{a} !~ {b}");
        }
    }

    #[test]
    fn reserved_names_in_any_case_and_look_alikes() {
        let reserved: Vec<String> = crate::config::DEFAULT_RESERVED_NAMES
            .iter()
            .map(|s| s.to_string())
            .collect();
        for name in [
            "admin", "ADMIN", "Admin", "adrnin", "ADMlN", "Adrnin", "r00t", "SYSTEM", "nickserv",
            "NickServ", "rnodchat",
        ] {
            assert!(is_reserved(name, &reserved), "{name}");
        }
        for name in ["alice", "admins", "sys", "rooted", "moderators2"] {
            assert!(!is_reserved(name, &reserved), "{name}");
        }
        assert!(!is_reserved("admin", &[]));
    }
}
