//! The rooms of an online account: a sorted vector, not a `BTreeSet`. An
//! account is in a handful of rooms, and a B-tree allocates a whole node
//! (about 280 bytes) for the first one; with tens of thousands of idle
//! connections that was a tenth of each one's memory.

use serde::Serialize;

#[derive(Debug, Clone, Default, Serialize)]
#[serde(transparent)]
pub struct RoomSet(Vec<String>);

impl RoomSet {
    pub fn insert(&mut self, room: String) -> bool {
        match self.0.binary_search(&room) {
            Ok(_) => false,
            Err(i) => {
                self.0.insert(i, room);
                true
            }
        }
    }

    pub fn remove(&mut self, room: &str) -> bool {
        match self.0.binary_search_by(|r| r.as_str().cmp(room)) {
            Ok(i) => {
                self.0.remove(i);
                true
            }
            Err(_) => false,
        }
    }

    pub fn iter(&self) -> std::slice::Iter<'_, String> {
        self.0.iter()
    }

    pub fn is_disjoint(&self, other: &RoomSet) -> bool {
        !self.0.iter().any(|r| other.0.binary_search(r).is_ok())
    }
}

impl<'a> IntoIterator for &'a RoomSet {
    type Item = &'a String;
    type IntoIter = std::slice::Iter<'a, String>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl FromIterator<String> for RoomSet {
    fn from_iter<I: IntoIterator<Item = String>>(iter: I) -> Self {
        let mut v: Vec<String> = iter.into_iter().collect();
        v.sort();
        v.dedup();
        v.shrink_to_fit();
        RoomSet(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorted_without_duplicates() {
        let mut s: RoomSet = ["b", "a", "b"].map(String::from).into_iter().collect();
        assert!(s.insert("c".into()));
        assert!(!s.insert("a".into()));
        assert!(s.remove("b"));
        assert!(!s.remove("zz"));
        assert_eq!(s.iter().collect::<Vec<_>>(), ["a", "c"]);
        let other: RoomSet = ["c".to_string()].into_iter().collect();
        assert!(!s.is_disjoint(&other));
        assert!(s.is_disjoint(&RoomSet::default()));
        assert_eq!(serde_json::to_string(&s).unwrap(), r#"["a","c"]"#);
    }
}
