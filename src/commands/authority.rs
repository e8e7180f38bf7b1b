//! Who may moderate whom, and where: the one place the contract's rank rules
//! live. Site roles (admin > moderator > user) hold everywhere; in its own
//! room an owner or op acts on plain users whose room role is below theirs
//! (owner > op > member). Every check reads the roles as stored at the time
//! of the act, never a session's copy.

use crate::actors::UserRef;
use crate::error::{ErrorCode, Failure};
use crate::model::{AccountId, Role, RoomId, RoomRole};
use crate::store::{self, accounts::Account};

use super::Ctx;

/// Someone about to act, with their standing: the site role the session
/// read from the store just before the command, and their room role in the
/// room the act is about (`None`: no room, or not a member).
#[derive(Debug, Clone)]
pub struct Authority {
    pub by: UserRef,
    pub room_role: Option<RoomRole>,
}

/// What an act needs of its actor in a room.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Power {
    /// Kick, mute, ban, delete messages, set topic and capacity, read the
    /// room's modlog: an op or the owner, or site staff.
    Moderate,
    /// Name ops, delete the room: the owner, or site staff.
    Own,
}

impl Authority {
    /// Site staff: a moderator or an admin, whose powers reach every room.
    pub fn is_staff(&self) -> bool {
        self.by.role >= Role::Moderator
    }

    /// Whether the actor holds `power` in the room (without a target).
    pub fn holds(&self, power: Power) -> bool {
        self.is_staff()
            || match power {
                Power::Moderate => self.room_role >= Some(RoomRole::Op),
                Power::Own => self.room_role == Some(RoomRole::Owner),
            }
    }

    /// `forbidden` unless the actor holds `power`.
    pub fn require(&self, power: Power) -> Result<(), Failure> {
        if self.holds(power) {
            Ok(())
        } else {
            Err(refuse(&self.by.name, "(room)", "you do not run this room"))
        }
    }

    /// Whether the actor may act on `target`, whose room role in the same
    /// room is `target_room_role` (`None`: not a member, counted as a plain
    /// member). Without a room (`self.room_role` and the target's unused)
    /// only site staff may act.
    pub fn may_act_on(&self, target: &Account, target_room_role: Option<RoomRole>) -> bool {
        if self.by.id == target.id {
            return false;
        }
        match self.by.role {
            Role::Admin => true,
            Role::Moderator => target.role == Role::User,
            Role::User => {
                target.role == Role::User
                    && self.room_role >= Some(RoomRole::Op)
                    && Some(target_room_role.unwrap_or(RoomRole::Member)) < self.room_role
            }
        }
    }

    /// `forbidden` (naming why) unless [`Authority::may_act_on`].
    pub fn require_over(
        &self,
        target: &Account,
        target_room_role: Option<RoomRole>,
    ) -> Result<(), Failure> {
        if self.may_act_on(target, target_room_role) {
            return Ok(());
        }
        let why = if self.by.id == target.id {
            "not on yourself"
        } else if self.by.role == Role::User && self.room_role < Some(RoomRole::Op) {
            "you do not run this room"
        } else {
            "their role is not below yours"
        };
        Err(refuse(&self.by.name, &target.username, why))
    }
}

/// The sender's authority in `room` (or with no room): their stored room
/// role is read here.
pub async fn in_room(ctx: &Ctx, room: Option<RoomId>) -> Result<Authority, Failure> {
    let by = ctx.user()?.clone();
    let room_role = match room {
        None => None,
        Some(r) => {
            let me = by.id;
            ctx.env
                .db
                .run(move |c| store::rooms::room_role_of(c, r, me))
                .await?
        }
    };
    Ok(Authority { by, room_role })
}

/// A target's stored room role in `room` (`None`: not a member).
pub async fn room_role_of(
    ctx: &Ctx,
    room: RoomId,
    account: AccountId,
) -> Result<Option<RoomRole>, Failure> {
    Ok(ctx
        .env
        .db
        .run(move |c| store::rooms::room_role_of(c, room, account))
        .await?)
}

pub fn refuse(who: &str, target: &str, why: &str) -> Failure {
    tracing::warn!(actor = who, target, why, "refused a moderation command");
    Failure::msg(ErrorCode::Forbidden, format!("you may not do that: {why}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: i64, role: Role) -> UserRef {
        UserRef {
            id: AccountId(id),
            name: format!("u{id}"),
            role,
        }
    }

    fn account(id: i64, role: Role) -> Account {
        Account {
            id: AccountId(id),
            username: format!("u{id}"),
            role,
            password_hash: None,
            guest: false,
        }
    }

    fn may(by: (Role, Option<RoomRole>), target: (Role, Option<RoomRole>)) -> bool {
        let a = Authority {
            by: user(1, by.0),
            room_role: by.1,
        };
        a.may_act_on(&account(2, target.0), target.1)
    }

    use RoomRole::{Member, Op, Owner};

    #[test]
    fn the_contracts_rank_rules() {
        let (u, m, a) = (Role::User, Role::Moderator, Role::Admin);
        // room roles: owner > op > member, on plain users only
        assert!(may((u, Some(Owner)), (u, Some(Op))));
        assert!(may((u, Some(Owner)), (u, Some(Member))));
        assert!(may((u, Some(Owner)), (u, None)));
        assert!(may((u, Some(Op)), (u, Some(Member))));
        assert!(may((u, Some(Op)), (u, None)));
        assert!(!may((u, Some(Op)), (u, Some(Op))));
        assert!(!may((u, Some(Op)), (u, Some(Owner))));
        assert!(!may((u, Some(Member)), (u, Some(Member))));
        assert!(!may((u, None), (u, None)));
        // an op or owner never acts on site staff
        assert!(!may((u, Some(Owner)), (m, Some(Member))));
        assert!(!may((u, Some(Owner)), (a, None)));
        // staff outrank every room role
        assert!(may((m, None), (u, Some(Owner))));
        assert!(!may((m, None), (m, None)));
        assert!(may((a, None), (m, Some(Owner))));
        assert!(may((a, None), (a, None)));
        // never on oneself
        let me = Authority {
            by: user(1, Role::Admin),
            room_role: Some(Owner),
        };
        assert!(!me.may_act_on(&account(1, Role::Admin), Some(Owner)));
    }

    #[test]
    fn powers() {
        let a = |role, room_role| Authority {
            by: user(1, role),
            room_role,
        };
        assert!(a(Role::User, Some(Op)).holds(Power::Moderate));
        assert!(!a(Role::User, Some(Op)).holds(Power::Own));
        assert!(a(Role::User, Some(Owner)).holds(Power::Own));
        assert!(!a(Role::User, Some(Member)).holds(Power::Moderate));
        assert!(!a(Role::User, None).holds(Power::Moderate));
        assert!(a(Role::Moderator, None).holds(Power::Own));
    }
}
