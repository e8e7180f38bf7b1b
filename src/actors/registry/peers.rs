//! Which accounts have sessions on which other nodes of the cluster, and
//! when each node was last heard: what "online" means beyond this node.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use crate::model::AccountId;

/// A node not heard from for this long is gone, with its sessions.
const NODE_TIMEOUT: Duration = Duration::from_secs(3);

struct Peer {
    inc: u64,
    seen: Instant,
    online: HashSet<AccountId>,
}

/// Which accounts have sessions on which other nodes.
#[derive(Default)]
pub struct Peers {
    nodes: HashMap<String, Peer>,
    /// Per account, on how many other nodes it has sessions.
    count: HashMap<AccountId, u32>,
}

impl Peers {
    pub fn online(&self, account: AccountId) -> bool {
        self.count.contains_key(&account)
    }

    pub fn nodes(&self) -> usize {
        self.nodes.len()
    }

    pub fn accounts(&self) -> impl Iterator<Item = AccountId> + '_ {
        self.count.keys().copied()
    }

    /// A new incarnation of a node starts with no sessions.
    pub fn restarted(&self, node: &str, inc: u64) -> bool {
        self.nodes.get(node).is_some_and(|p| p.inc != inc)
    }

    /// Notes that `node` (incarnation `inc`) is alive.
    pub fn seen(&mut self, node: &str, inc: u64) {
        let p = self.nodes.entry(node.to_owned()).or_insert_with(|| Peer {
            inc,
            seen: Instant::now(),
            online: HashSet::new(),
        });
        p.seen = Instant::now();
    }

    /// Sets one account's presence on one node; returns the account's
    /// cluster-wide change (elsewhere than here), if any.
    pub fn set(&mut self, node: &str, account: AccountId, on: bool) -> Option<(AccountId, bool)> {
        let p = self.nodes.get_mut(node)?;
        let changed = if on {
            p.online.insert(account)
        } else {
            p.online.remove(&account)
        };
        if !changed {
            return None;
        }
        if on {
            let n = self.count.entry(account).or_insert(0);
            *n += 1;
            (*n == 1).then_some((account, true))
        } else {
            let n = self.count.get_mut(&account)?;
            *n -= 1;
            if *n == 0 {
                self.count.remove(&account);
                return Some((account, false));
            }
            None
        }
    }

    pub fn replace(&mut self, node: &str, online: Vec<AccountId>) -> Vec<(AccountId, bool)> {
        let new: HashSet<AccountId> = online.into_iter().collect();
        let old: Vec<AccountId> = self
            .nodes
            .get(node)
            .map(|p| p.online.iter().copied().collect())
            .unwrap_or_default();
        let mut changes = Vec::new();
        for a in old.iter().filter(|a| !new.contains(a)) {
            changes.extend(self.set(node, *a, false));
        }
        for a in new {
            changes.extend(self.set(node, a, true));
        }
        changes
    }

    pub fn drop_node(&mut self, node: &str) -> Vec<(AccountId, bool)> {
        let changes = self.replace(node, Vec::new());
        self.nodes.remove(node);
        changes
    }

    pub fn expired(&self, now: Instant) -> Vec<String> {
        self.nodes
            .iter()
            .filter(|(_, p)| now.duration_since(p.seen) > NODE_TIMEOUT)
            .map(|(n, _)| n.clone())
            .collect()
    }
}
