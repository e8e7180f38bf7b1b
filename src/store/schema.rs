//! The tables, by hand: only types both backends share (see diesel.toml).
//! Backend-only helper columns (MariaDB's generated `rooms.live_name`) are
//! left out; tests/schema.rs compares this file with what each backend's
//! migrations produce.

diesel::table! {
    accounts (id) {
        id -> BigInt,
        username -> Text,
        username_key -> Text,
        password_hash -> Nullable<Text>,
        role -> Text,
        created_at -> Timestamp,
        name_skeleton -> Nullable<Text>,
        guest -> Bool,
    }
}

diesel::table! {
    auth_tokens (id) {
        id -> BigInt,
        account_id -> BigInt,
        token_hash -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    login_events (id) {
        id -> BigInt,
        account_id -> Nullable<BigInt>,
        username -> Text,
        ip -> Text,
        success -> Bool,
        reason -> Nullable<Text>,
        at -> Timestamp,
    }
}

diesel::table! {
    daily_logins (day, account_id) {
        day -> Date,
        account_id -> BigInt,
        first_at -> Timestamp,
        last_at -> Timestamp,
        logins -> Integer,
    }
}

diesel::table! {
    rooms (id) {
        id -> BigInt,
        name -> Text,
        capacity -> Integer,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
        topic -> Text,
        deleted_at -> Nullable<Timestamp>,
        topic_by -> Nullable<BigInt>,
        topic_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    room_members (room_id, account_id) {
        room_id -> BigInt,
        account_id -> BigInt,
        joined_at -> Timestamp,
        room_role -> Text,
    }
}

diesel::table! {
    chat_logs (id) {
        id -> BigInt,
        kind -> Text,
        room_id -> Nullable<BigInt>,
        sender_id -> Nullable<BigInt>,
        sender_name -> Text,
        recipient_id -> Nullable<BigInt>,
        text -> Text,
        at -> Timestamp,
        deleted_at -> Nullable<Timestamp>,
        deleted_by -> Nullable<BigInt>,
        action -> Bool,
    }
}

diesel::table! {
    moderation_actions (id) {
        id -> BigInt,
        action -> Text,
        target_id -> Nullable<BigInt>,
        actor_id -> Nullable<BigInt>,
        room_id -> Nullable<BigInt>,
        reason -> Nullable<Text>,
        until -> Nullable<Timestamp>,
        at -> Timestamp,
        detail -> Nullable<Text>,
    }
}

diesel::table! {
    banned_words (id) {
        id -> BigInt,
        word -> Text,
        added_by -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    mutes (account_id, room_id) {
        account_id -> BigInt,
        room_id -> BigInt,
        until -> Nullable<Timestamp>,
        reason -> Nullable<Text>,
        actor_id -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    bans (account_id) {
        account_id -> BigInt,
        until -> Nullable<Timestamp>,
        reason -> Nullable<Text>,
        actor_id -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    released_names (id) {
        id -> BigInt,
        account_id -> BigInt,
        name -> Text,
        name_key -> Text,
        skeleton -> Text,
        released_at -> Timestamp,
    }
}

diesel::table! {
    room_bans (account_id, room_id) {
        account_id -> BigInt,
        room_id -> BigInt,
        until -> Nullable<Timestamp>,
        reason -> Nullable<Text>,
        actor_id -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    read_markers (id) {
        id -> BigInt,
        account_id -> BigInt,
        room_id -> Nullable<BigInt>,
        peer_id -> Nullable<BigInt>,
        last_read_id -> BigInt,
        at -> Timestamp,
    }
}

diesel::joinable!(auth_tokens -> accounts (account_id));
diesel::joinable!(room_members -> accounts (account_id));
diesel::joinable!(room_members -> rooms (room_id));

diesel::allow_tables_to_appear_in_same_query!(
    accounts,
    auth_tokens,
    login_events,
    daily_logins,
    rooms,
    room_members,
    chat_logs,
    moderation_actions,
    banned_words,
    mutes,
    bans,
    released_names,
    room_bans,
    read_markers,
);
