//! The contract's rules for names, passwords and texts. Each returns a
//! reason that is sent as `bad_request` with the field's name.

/// 1-32 of `A-Z a-z 0-9 _ . -`.
pub fn username(name: &str) -> Result<(), &'static str> {
    if name.is_empty() || name.len() > 32 {
        return Err("must be 1 to 32 characters");
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
    {
        return Err("may contain only letters A-Z a-z, digits, '_', '.' and '-'");
    }
    Ok(())
}

/// [`password_min`] at the contract's default minimum of 8 bytes, for
/// callers without a configuration (the fuzz targets); the server and the
/// console pass `[auth] min_password_bytes`.
pub fn password(pw: &str) -> Result<(), String> {
    password_min(pw, 8)
}

/// `min_bytes`-72 bytes: bcrypt reads 72, and a longer password is refused
/// rather than silently cut.
pub fn password_min(pw: &str, min_bytes: usize) -> Result<(), String> {
    if pw.len() < min_bytes {
        return Err(format!("must be at least {min_bytes} bytes"));
    }
    if pw.len() > 72 {
        return Err("must be at most 72 bytes (bcrypt's limit)".into());
    }
    if pw.contains('\0') {
        return Err("must not contain NUL".into());
    }
    Ok(())
}

/// Lower-cases, then checks 1-64 of `a-z 0-9 _ -`.
pub fn room(name: &str) -> Result<String, &'static str> {
    let lower = name.to_ascii_lowercase();
    if lower.is_empty() || lower.len() > 64 {
        return Err("must be 1 to 64 characters");
    }
    if !lower
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'_' | b'-'))
    {
        return Err("may contain only a-z, digits, '_' and '-'");
    }
    Ok(lower)
}

/// Not blank, at most `max_chars` scalar values, no control characters but
/// `\n` and `\t`. Stored and delivered exactly as sent.
pub fn text(text: &str, max_chars: usize) -> Result<(), String> {
    if text.trim().is_empty() {
        return Err("must not be blank".into());
    }
    if text.chars().nth(max_chars).is_some() {
        return Err(format!("must be at most {max_chars} characters"));
    }
    if text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err("must not contain control characters other than newline and tab".into());
    }
    Ok(())
}

/// A duration as people type it: whole seconds (`90`) or a number with a
/// unit (`90s`, `10m`, `2h`, `7d`). Shared by every client that takes one
/// (`modchat-admin mute --duration`, the chat clients' `/mute`), so they all
/// read `10m` the same way. Returns seconds, at least 1.
pub fn duration(s: &str) -> Result<i64, String> {
    let t = s.trim();
    let (num, unit) = match t.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => (&t[..i], c.to_ascii_lowercase()),
        _ => (t, 's'),
    };
    let per = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3_600,
        'd' => 86_400,
        _ => return Err(format!("bad duration {s:?}: the unit must be s, m, h or d")),
    };
    let n: i64 = num
        .parse()
        .ok()
        .filter(|n| *n > 0 && num.bytes().all(|b| b.is_ascii_digit()))
        .ok_or_else(|| {
            format!("bad duration {s:?}: expected a positive whole number with s, m, h or d, like 90, 90s, 10m, 2h, 7d")
        })?;
    n.checked_mul(per)
        .ok_or_else(|| format!("bad duration {s:?}: too long"))
}

/// A `--since`/`--until` time as people type it: RFC 3339 or a date (see
/// [`crate::store::readonly::parse_time`]); a bare date as an `end` means
/// through that day. The next day is added checked: past chrono's last
/// date (year 262142) it would panic.
pub fn time_bound(s: &str, end: bool) -> Result<chrono::NaiveDateTime, String> {
    let t = crate::store::readonly::parse_time(s).ok_or_else(|| {
        format!("{s:?}: expected an RFC 3339 time (2026-12-01T10:00:00Z) or a date (2026-12-01)")
    })?;
    let bare_date = chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").is_ok();
    if end && bare_date {
        t.checked_add_signed(chrono::TimeDelta::days(1))
            .ok_or_else(|| format!("{s:?}: past the last date there is"))
    } else {
        Ok(t)
    }
}

/// A `--day` (`YYYY-MM-DD`): its first instant and the next day's, UTC.
pub fn day_bounds(s: &str) -> Result<(chrono::NaiveDateTime, chrono::NaiveDateTime), String> {
    let bad = || format!("{s:?}: expected YYYY-MM-DD");
    let start = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| bad())?
        .and_hms_opt(0, 0, 0)
        .ok_or_else(bad)?;
    let end = start
        .checked_add_signed(chrono::TimeDelta::days(1))
        .ok_or_else(|| format!("{s:?}: past the last date there is"))?;
    Ok((start, end))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames() {
        assert!(username("alice_1.b-c").is_ok());
        assert!(username("").is_err());
        assert!(username(&"a".repeat(33)).is_err());
        assert!(username("al ice").is_err());
        assert!(username("élise").is_err());
    }

    #[test]
    fn passwords() {
        assert!(password("12345678").is_ok());
        assert!(password("1234567").is_err());
        assert!(password(&"x".repeat(72)).is_ok());
        assert!(password(&"x".repeat(73)).is_err());
        assert!(password_min("1234", 4).is_ok());
        assert!(password_min("123", 4).is_err());
        assert!(password_min("12345678901", 12).is_err());
        assert!(password_min(&"x".repeat(73), 1).is_err());
    }

    #[test]
    fn rooms() {
        assert_eq!(room("Lobby").as_deref(), Ok("lobby"));
        assert!(room("a b").is_err());
        assert!(room("").is_err());
        assert!(room(&"r".repeat(65)).is_err());
    }

    #[test]
    fn texts() {
        assert!(text("hello\n\tworld 👋", 2000).is_ok());
        assert!(text("   ", 2000).is_err());
        assert!(text("a\rb", 2000).is_err());
        assert!(text("a\u{7f}b", 2000).is_err());
        assert!(text(&"é".repeat(2000), 2000).is_ok());
        assert!(text(&"é".repeat(2001), 2000).is_err());
    }

    #[test]
    fn durations() {
        assert_eq!(duration("90"), Ok(90));
        assert_eq!(duration("90s"), Ok(90));
        assert_eq!(duration("10m"), Ok(600));
        assert_eq!(duration("2h"), Ok(7_200));
        assert_eq!(duration("7d"), Ok(604_800));
        assert_eq!(duration("7D"), Ok(604_800));
        for bad in [
            "",
            "0",
            "-5",
            "5w",
            "m",
            "1.5h",
            "+3",
            "99999999999999999999d",
        ] {
            assert!(duration(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn time_bounds() {
        let t = |s: &str| chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap();
        assert_eq!(
            time_bound("2026-12-01", false),
            Ok(t("2026-12-01 00:00:00"))
        );
        assert_eq!(time_bound("2026-12-01", true), Ok(t("2026-12-02 00:00:00")));
        assert_eq!(
            time_bound("2026-12-01T10:00:00+01:00", true),
            Ok(t("2026-12-01 09:00:00"))
        );
        assert!(time_bound("yesterday", false).is_err());
        assert_eq!(
            day_bounds("2026-12-01"),
            Ok((t("2026-12-01 00:00:00"), t("2026-12-02 00:00:00")))
        );
        // the last date there is: no next day (this panicked in modchat-admin)
        let last = chrono::NaiveDate::MAX.format("%Y-%m-%d").to_string();
        assert!(time_bound(&last, false).is_ok());
        assert!(time_bound(&last, true).is_err());
        assert!(day_bounds(&last).is_err());
    }
}
