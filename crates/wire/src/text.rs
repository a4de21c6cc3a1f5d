//! Which characters text may hold: those XML 1.0 can carry (its `Char` production: tab,
//! line feed, carriage return, and U+0020 to U+10FFFF without U+FFFE and U+FFFF; Rust
//! strings hold no surrogates). Every text a client sends is held to it, so that whatever
//! is stored can be answered in XML as well as in JSON, and so that both storage backends
//! take the same text (PostgreSQL refuses U+0000 in text; SQLite would store it).

/// Whether XML 1.0 can carry `c`.
pub const fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// The first character of `s` that XML 1.0 cannot carry.
pub fn forbidden_char(s: &str) -> Option<char> {
    s.chars().find(|&c| !is_xml_char(c))
}

/// The first character a JSON or XML document would decode to that XML 1.0 cannot carry:
/// written as is, as a JSON escape (`\u0000`, `\b`, `\f`), or as an XML character reference
/// (`&#0;`, `&#x1F;`). A body that is not UTF-8 is left to its parser to refuse.
pub fn forbidden_char_in_document(body: &[u8]) -> Option<char> {
    let text = std::str::from_utf8(body).ok()?;
    if let Some(c) = forbidden_char(text) {
        return Some(c);
    }
    // An XML document starts with `<`; a JSON one never does. A backslash is text in XML.
    let json = !text.trim_start_matches(|c: char| c.is_whitespace() || c == '\u{FEFF}').starts_with('<');
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            // A JSON escape; `\\` is skipped whole, so `\\u0000` is text, not an escape.
            b'\\' if bytes.get(i + 1) == Some(&b'u') => {
                let code = text.get(i + 2..i + 6).and_then(|h| u32::from_str_radix(h, 16).ok());
                if let Some(c) = code.and_then(char::from_u32).filter(|&c| !is_xml_char(c)) {
                    return Some(c);
                }
                i += 2;
            }
            // The short escapes of characters XML cannot carry: backspace and form feed.
            b'\\' if json && bytes.get(i + 1) == Some(&b'b') => return Some('\u{8}'),
            b'\\' if json && bytes.get(i + 1) == Some(&b'f') => return Some('\u{C}'),
            b'\\' => i += 2,
            b'&' if bytes.get(i + 1) == Some(&b'#') => {
                let rest = &text[i + 2..];
                let end = rest.find(';').unwrap_or(rest.len()).min(12);
                let reference = rest.get(..end).unwrap_or_default();
                let code = match reference.strip_prefix(['x', 'X']) {
                    Some(hex) => u32::from_str_radix(hex, 16).ok(),
                    None => reference.parse::<u32>().ok(),
                };
                match code.map(char::from_u32) {
                    Some(Some(c)) if !is_xml_char(c) => return Some(c),
                    // A reference to no character at all (a surrogate, past U+10FFFF).
                    Some(None) => return Some('\u{FFFD}'),
                    _ => {}
                }
                i += 2;
            }
            _ => i += 1,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_chars() {
        for c in [
            '\t',
            '\n',
            '\r',
            ' ',
            'é',
            '\u{D7FF}',
            '\u{E000}',
            '\u{FFFD}',
            '\u{10000}',
            '\u{10FFFF}',
            '\u{85}',
        ] {
            assert!(is_xml_char(c), "{c:?}");
        }
        for c in ['\0', '\u{1}', '\u{8}', '\u{B}', '\u{C}', '\u{1F}', '\u{FFFE}', '\u{FFFF}'] {
            assert!(!is_xml_char(c), "{c:?}");
        }
        assert_eq!(forbidden_char("ab\u{0}c"), Some('\0'));
        assert_eq!(forbidden_char("Daft Punk\tRAM"), None);
    }

    #[test]
    fn documents_are_read_through_their_escapes() {
        let found = |s: &str| forbidden_char_in_document(s.as_bytes());
        assert_eq!(found(r#"{"Name":"a\u0000b"}"#), Some('\0'));
        assert_eq!(found(r#"{"Name":"a\u001fb"}"#), Some('\u{1F}'));
        assert_eq!(found(r#"{"Name":"a\uFFFEb"}"#), Some('\u{FFFE}'));
        assert_eq!(found(r#"{"Name":"a\\u0000b"}"#), None);
        assert_eq!(found(r#"{"Name":"a\u00e9\n\"b"}"#), None);
        assert_eq!(found("<Name>a&#0;b</Name>"), Some('\0'));
        assert_eq!(found("<Name>a&#x1b;b</Name>"), Some('\u{1B}'));
        assert_eq!(found("<Name>a&#xD800;b</Name>"), Some('\u{FFFD}'));
        assert_eq!(found("<Name>a&#233;&amp;#0;b</Name>"), None);
        assert_eq!(found("<Name>a\u{1}b</Name>"), Some('\u{1}'));
        assert_eq!(found("a&#"), None);
        assert_eq!(found("a\\"), None);
    }

    /// Found by the `track_action_body` and `playlist_action_body` fuzz targets: JSON's
    /// short escapes `\b` (U+0008) and `\f` (U+000C) passed the check, so such a character
    /// reached the store in an ID or a playlist name.
    #[test]
    fn short_json_escapes_of_control_characters_are_found() {
        let found = |s: &str| forbidden_char_in_document(s.as_bytes());
        assert_eq!(found(r#"{"Name":"a\fb"}"#), Some('\u{C}'));
        assert_eq!(found(r#"{"TrackIds":["music.A83EB907\b"]}"#), Some('\u{8}'));
        assert_eq!(found(r#"{"Id":"music.playlist.8\\\\\fe"}"#), Some('\u{C}'));
        assert_eq!(found(r#"{"Name":"a\\fb \\b"}"#), None);
        assert_eq!(found(r#"{"Name":"\t\n\r\/\"\\"}"#), None);
        // In XML a backslash is text.
        assert_eq!(found(r"<PlaylistAction><Name>AC\bDC \files</Name></PlaylistAction>"), None);
        assert_eq!(found(" \u{FEFF}<Name>a\\fb</Name>"), None);
        let decoded: serde_json::Value = serde_json::from_str(r#"{"Name":"a\fb\b"}"#).unwrap();
        assert_eq!(forbidden_char(decoded["Name"].as_str().unwrap()), Some('\u{C}'));
    }
}
