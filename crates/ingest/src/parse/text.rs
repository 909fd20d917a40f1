//! Record bytes as text: valid UTF-8 as is, anything else shown escaped.

use std::borrow::Cow;
use std::fmt::Write as _;

/// The record as text: borrowed when it is valid UTF-8; otherwise each invalid byte is written
/// as `\xNN` (the raw bytes themselves are stored unchanged beside the event).
pub fn escape_invalid_utf8(raw: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(raw) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => {
            let mut out = String::with_capacity(raw.len() + 16);
            for chunk in raw.utf8_chunks() {
                out.push_str(chunk.valid());
                for byte in chunk.invalid() {
                    // Writing to a String cannot fail.
                    let _ = write!(out, "\\x{byte:02x}");
                }
            }
            Cow::Owned(out)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_text_is_borrowed_and_invalid_bytes_are_escaped() {
        assert!(matches!(escape_invalid_utf8(b"abc"), Cow::Borrowed("abc")));
        assert_eq!(escape_invalid_utf8(b"a\xffb\xc3"), "a\\xffb\\xc3");
        assert_eq!(escape_invalid_utf8("é\u{0}".as_bytes()), "é\u{0}");
    }
}
