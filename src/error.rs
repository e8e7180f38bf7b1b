//! The error codes of the wire protocol. A code's string is part of the
//! contract: never rename one. Each variant's doc is its meaning for users.

use serde_json::{Map, Value};

macro_rules! error_codes {
    ($( $(#[doc = $doc:literal])* $variant:ident = $code:literal, )*) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ErrorCode {
            $( $(#[doc = $doc])* $variant, )*
        }

        impl ErrorCode {
            /// Every code, for docs and the tests that check them.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)*];

            /// The wire string.
            pub fn as_str(self) -> &'static str {
                match self { $(ErrorCode::$variant => $code,)* }
            }

            /// The default human-readable text (the doc comment).
            pub fn describe(self) -> &'static str {
                match self { $(ErrorCode::$variant => concat!($($doc),*).trim_ascii(),)* }
            }
        }
    };
}

error_codes! {
    /// The line is not valid UTF-8 or not a JSON object.
    BadJson = "bad_json",
    /// The line is longer than the server accepts; it was discarded.
    LineTooLong = "line_too_long",
    /// The request type is not a command of this server.
    UnknownCommand = "unknown_command",
    /// A field is missing or invalid; `field` names it.
    BadRequest = "bad_request",
    /// Log in first.
    NotLoggedIn = "not_logged_in",
    /// This connection is already logged in; log out first.
    AlreadyLoggedIn = "already_logged_in",
    /// Another account has that name (names are unique ignoring case).
    UsernameTaken = "username_taken",
    /// Registration is closed on this server; ask an admin for an account.
    RegistrationClosed = "registration_closed",
    /// Unknown user or wrong password.
    BadCredentials = "bad_credentials",
    /// The account is banned.
    Banned = "banned",
    /// You are banned from that room.
    BannedFromRoom = "banned_from_room",
    /// Too many requests; wait `retry_after_ms`.
    RateLimited = "rate_limited",
    /// The token is unknown, revoked or expired; log in again.
    BadToken = "bad_token",
    /// A room with that name exists.
    RoomExists = "room_exists",
    /// Your role does not allow this.
    Forbidden = "forbidden",
    /// There is no room with that name.
    NoSuchRoom = "no_such_room",
    /// The room has as many members as its capacity.
    RoomFull = "room_full",
    /// You are not a member of that room.
    NotInRoom = "not_in_room",
    /// You are muted.
    Muted = "muted",
    /// The text contains a filtered word.
    Blocked = "blocked",
    /// There is no user with that name.
    NoSuchUser = "no_such_user",
    /// That user has no connected session.
    UserOffline = "user_offline",
    /// You cannot whisper to yourself.
    CannotWhisperSelf = "cannot_whisper_self",
    /// The user is not muted there.
    NotMuted = "not_muted",
    /// The user is not banned.
    NotBanned = "not_banned",
    /// There is no message with that id.
    NoSuchMessage = "no_such_message",
    /// A per-account limit is reached (such as the rooms one account may own).
    LimitReached = "limit_reached",
    /// That word is not in the filter.
    NotFiltered = "not_filtered",
    /// The database cannot be reached; try again shortly.
    Unavailable = "unavailable",
    /// A server fault; it has been logged.
    Internal = "internal",
}

/// An error reply: a code, a message for people, and extra fields the
/// contract gives some codes (`field`, `until`, `reason`, `retry_after_ms`).
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    pub code: ErrorCode,
    pub message: String,
    pub extra: Map<String, Value>,
}

impl Failure {
    pub fn new(code: ErrorCode) -> Failure {
        Failure {
            code,
            message: code.describe().to_owned(),
            extra: Map::new(),
        }
    }

    pub fn msg(code: ErrorCode, message: impl Into<String>) -> Failure {
        Failure {
            code,
            message: message.into(),
            extra: Map::new(),
        }
    }

    /// `bad_request` naming the field.
    pub fn bad_field(field: &str, why: impl std::fmt::Display) -> Failure {
        Failure::msg(ErrorCode::BadRequest, format!("{field}: {why}")).with("field", field)
    }

    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Failure {
        self.extra.insert(key.to_owned(), value.into());
        self
    }
}

impl From<ErrorCode> for Failure {
    fn from(c: ErrorCode) -> Failure {
        Failure::new(c)
    }
}

/// Store errors become `unavailable` (database unreachable) or `internal`
/// (logged here with its cause; the client learns nothing of internals).
impl From<crate::store::StoreError> for Failure {
    fn from(e: crate::store::StoreError) -> Failure {
        match e {
            crate::store::StoreError::Unavailable(why) => {
                tracing::warn!(%why, "database unavailable");
                Failure::new(ErrorCode::Unavailable)
            }
            other => {
                tracing::error!(error = %other, "store failure");
                Failure::new(ErrorCode::Internal)
            }
        }
    }
}
