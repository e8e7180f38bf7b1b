//! Small shared vocabulary: ids and roles.

use std::fmt;
use std::str::FromStr;

/// Defines a newtype id over a `BIGINT` column: serialised as the bare
/// integer (`serde(transparent)`), shown as the integer, and usable as a
/// `BigInt` (or `Nullable<BigInt>`) value on every diesel backend.
macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(
            Debug,
            Clone,
            Copy,
            PartialEq,
            Eq,
            Hash,
            PartialOrd,
            Ord,
            serde::Serialize,
            serde::Deserialize,
            diesel::AsExpression,
            diesel::FromSqlRow,
        )]
        #[serde(transparent)]
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl<DB> diesel::serialize::ToSql<diesel::sql_types::BigInt, DB> for $name
        where
            DB: diesel::backend::Backend,
            i64: diesel::serialize::ToSql<diesel::sql_types::BigInt, DB>,
        {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, DB>,
            ) -> diesel::serialize::Result {
                <i64 as diesel::serialize::ToSql<diesel::sql_types::BigInt, DB>>::to_sql(
                    &self.0, out,
                )
            }
        }

        impl<DB> diesel::deserialize::FromSql<diesel::sql_types::BigInt, DB> for $name
        where
            DB: diesel::backend::Backend,
            i64: diesel::deserialize::FromSql<diesel::sql_types::BigInt, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> diesel::deserialize::Result<Self> {
                <i64 as diesel::deserialize::FromSql<diesel::sql_types::BigInt, DB>>::from_sql(
                    bytes,
                )
                .map($name)
            }
        }
    };
}

id_type!(
    /// `accounts.id`, and every column that points at an account.
    AccountId
);
id_type!(
    /// `rooms.id`, and every column that points at a room.
    RoomId
);
id_type!(
    /// `chat_logs.id`: a message (room message or whisper).
    MessageId
);

/// A connection's id, from a counter: unique for the life of the process.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SessionId(pub u64);

/// Rank: `User < Moderator < Admin` (the derived order is the rank).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    User,
    Moderator,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Moderator => "moderator",
            Role::Admin => "admin",
        }
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Role, String> {
        match s {
            "user" => Ok(Role::User),
            "moderator" => Ok(Role::Moderator),
            "admin" => Ok(Role::Admin),
            other => Err(format!(
                "unknown role {other:?} (expected user, moderator or admin)"
            )),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The key usernames are unique by: ASCII lower case (usernames are ASCII).
pub fn username_key(name: &str) -> String {
    name.to_ascii_lowercase()
}

/// A text enum stored in a column with a CHECK: `as_str` is what the
/// database holds, `FromStr` reads it back, `ALL` lists every value (the
/// CHECK constraints and the tests are written from it).
macro_rules! text_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $v:ident = $s:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vm])* $v),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$v),+];
            pub fn as_str(self) -> &'static str {
                match self { $($name::$v => $s),+ }
            }
        }

        impl FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<$name, String> {
                match s {
                    $($s => Ok($name::$v),)+
                    other => Err(format!(
                        "unknown {} {other:?} (expected one of: {})",
                        stringify!($name),
                        [$($s),+].join(", ")
                    )),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

text_enum! {
    /// A member's standing in one room (`room_members.room_role`). The
    /// declaration order is the rank: `Member < Op < Owner`.
    RoomRole {
        Member = "member",
        Op = "op",
        /// The room's creator (`rooms.created_by`); at most one.
        Owner = "owner",
    }
}

impl PartialOrd for RoomRole {
    fn partial_cmp(&self, other: &RoomRole) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for RoomRole {
    fn cmp(&self, other: &RoomRole) -> std::cmp::Ordering {
        (*self as u8).cmp(&(*other as u8))
    }
}

text_enum! {
    /// Every kind of `moderation_actions` row. Adding an act starts here:
    /// a variant, its text, and a migration that widens the CHECK.
    ModAction {
        Kick = "kick",
        Mute = "mute",
        Unmute = "unmute",
        Ban = "ban",
        Unban = "unban",
        SetRole = "set_role",
        DeleteMessage = "delete_message",
        /// A `say` or `whisper` the word filter stopped (actor: the sender).
        FilterBlock = "filter_block",
        /// The system's mute after repeated filter blocks (actor: none).
        AutoMute = "auto_mute",
        FilterAdd = "filter_add",
        FilterRemove = "filter_remove",
        SetRoomRole = "set_room_role",
        SetTopic = "set_topic",
        SetCapacity = "set_capacity",
        DeleteRoom = "delete_room",
        /// `modchat-admin user passwd` (actor: none, the console).
        SetPassword = "set_password",
    }
}

#[cfg(test)]
mod id_tests {
    use super::*;

    #[test]
    fn ids_are_bare_integers_on_the_wire_and_in_text() {
        let id = AccountId(42);
        assert_eq!(serde_json::to_string(&id).unwrap(), "42");
        assert_eq!(serde_json::to_string(&Some(RoomId(7))).unwrap(), "7");
        assert_eq!(
            serde_json::from_str::<MessageId>("9000000000").unwrap(),
            MessageId(9_000_000_000)
        );
        assert_eq!(id.to_string(), "42");
        assert_eq!(format!("message {}", MessageId(3)), "message 3");
    }
}
