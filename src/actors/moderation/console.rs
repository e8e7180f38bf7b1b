//! Role changes made from the console. `modchat-admin user set-role` writes
//! the role and its `set_role` record straight into the database (actor
//! NULL); this watcher finds those records and applies them like a
//! `set_role` sent over the protocol: the account's sessions get
//! `role_changed` (with `by: null`) and its rooms show the new role.
//!
//! The watcher is for the events only. What a session may do never waits
//! for it: the session reads the stored role before every command that
//! depends on it (`Access::reads_stored_role`).

use std::time::Duration;

use actix::prelude::*;

use super::Moderation;
use crate::actors::registry::RoleChanged;
use crate::store::moderation::console_role_changes;

/// How often the record is polled: one indexed query a second.
const POLL: Duration = Duration::from_secs(1);

impl Moderation {
    pub(super) fn watch_console(&mut self, ctx: &mut Context<Self>) {
        ctx.run_interval(POLL, |act, ctx| act.poll_console(ctx));
    }

    fn poll_console(&mut self, ctx: &mut Context<Self>) {
        if self.console.polling {
            return; // a slow database: the previous poll is still out
        }
        self.console.polling = true;
        let after = self.console.seen;
        let poll = self.db.run(move |c| console_role_changes(c, after));
        ctx.spawn(poll.into_actor(self).map(|res, act, _| {
            act.console.polling = false;
            match res {
                Ok(changes) => {
                    for ch in changes {
                        act.console.seen = act.console.seen.max(ch.record);
                        tracing::info!(user = %ch.name, role = %ch.role, "role changed from the console");
                        act.registry.do_send(RoleChanged {
                            account: ch.account,
                            name: ch.name,
                            role: ch.role,
                            by: None,
                            // every node's watcher sees the record
                            everywhere: false,
                        });
                    }
                }
                Err(e) => tracing::debug!(error = %e, "could not poll for console role changes"),
            }
        }));
    }
}

/// Where the watcher is in the record.
#[derive(Debug, Default)]
pub(super) struct ConsoleWatch {
    /// The newest record already seen: changes made before the server
    /// started are in the accounts table already and need no event.
    pub seen: i64,
    pub polling: bool,
}
