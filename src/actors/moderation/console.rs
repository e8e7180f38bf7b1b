//! Account changes made from the console. `modchat-admin user set-role`
//! and `user passwd` write the change and its record (`set_role`,
//! `set_password`; actor NULL) straight into the database; this watcher
//! finds those records and applies them:
//!
//! - a role change like a `set_role` sent over the protocol: the account's
//!   sessions get `role_changed` (with `by: null`) and its rooms show the
//!   new role. This is for the events only: what a session may do never
//!   waits for it (the session reads the stored role before every command
//!   that depends on it, `Access::reads_stored_role`).
//! - a password change closes every session of the account, each told
//!   `kicked {by: null, reason: "password changed"}`: whoever had the old
//!   password loses the sessions it opened. Its tokens were revoked in the
//!   same transaction, so `resume` fails; the new password logs in.
//!
//! In a cluster every node's watcher sees every record and acts on its own
//! sessions.

use std::time::Duration;

use actix::prelude::*;

use super::Moderation;
use crate::actors::registry::{CloseUser, RoleChanged};
use crate::protocol::Event;

use crate::store::console::changes_after;

/// How often the record is polled: one indexed query a second.
const POLL: Duration = Duration::from_secs(1);

/// The `reason` of the `kicked` event a password change sends.
const PASSWORD_CHANGED: &str = "password changed";

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
        let poll = self.db.run(move |c| changes_after(c, after));
        ctx.spawn(poll.into_actor(self).map(|res, act, _| {
            act.console.polling = false;
            match res {
                Ok(changes) => {
                    act.console.seen = act.console.seen.max(changes.upto);
                    for account in changes.passwords {
                        tracing::info!(account = %account, "password changed from the console: closing its sessions");
                        act.registry.do_send(CloseUser {
                            account,
                            event: Event::Kicked {
                                by: None,
                                reason: Some(PASSWORD_CHANGED.into()),
                                room: None,
                            },
                            reason: PASSWORD_CHANGED,
                            // every node's watcher finds the record itself
                            everywhere: false,
                        });
                    }
                    for ch in changes.roles {
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
                Err(e) => tracing::debug!(error = %e, "could not poll for console changes"),
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
