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

/// 8-72 bytes: bcrypt reads 72, and a longer password is refused rather
/// than silently cut.
pub fn password(pw: &str) -> Result<(), &'static str> {
    if pw.len() < 8 {
        return Err("must be at least 8 bytes");
    }
    if pw.len() > 72 {
        return Err("must be at most 72 bytes (bcrypt's limit)");
    }
    if pw.contains('\0') {
        return Err("must not contain NUL");
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
}
