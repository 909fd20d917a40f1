//! The token text, `at_<id>_<secret>`: how one is made, read and checked.
//!
//! The id (16 hex digits) names the token in lists and logs; the secret (64 hex digits, 256
//! random bits) is shown once and only its SHA-256 is stored.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// What every token starts with.
pub const PREFIX: &str = "at_";
/// Random bytes in an id: ids only need to be unique, not secret.
const ID_BYTES: usize = 8;
/// Random bytes in a secret: 256 bits.
const SECRET_BYTES: usize = 32;

/// SHA-256 of a token's secret, as stored.
pub type SecretDigest = [u8; 32];

/// A freshly generated token: the text to show once, and what to store.
#[derive(Debug)]
pub struct NewSecret {
    /// The token's id.
    pub id: String,
    /// The whole token, `at_<id>_<secret>`; never stored.
    pub text: String,
    /// SHA-256 of the secret.
    pub digest: SecretDigest,
}

/// The system's random source failed.
#[derive(Debug, thiserror::Error)]
#[error("no random bytes from the operating system: {0}")]
pub struct RandomUnavailable(pub getrandom::Error);

/// A new token with a random id and secret.
pub fn generate() -> Result<NewSecret, RandomUnavailable> {
    let mut id = [0u8; ID_BYTES];
    let mut secret = [0u8; SECRET_BYTES];
    getrandom::fill(&mut id).map_err(RandomUnavailable)?;
    getrandom::fill(&mut secret).map_err(RandomUnavailable)?;
    let id = hex::encode(id);
    let secret = hex::encode(secret);
    Ok(NewSecret {
        text: format!("{PREFIX}{id}_{secret}"),
        digest: digest(&secret),
        id,
    })
}

/// A token as a caller presented it, split into its parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Presented<'a> {
    /// The id part.
    pub id: &'a str,
    /// The secret part.
    secret: &'a str,
}

impl Presented<'_> {
    /// Whether the secret hashes to `stored`, compared in constant time.
    pub fn matches(&self, stored: &SecretDigest) -> bool {
        self.digest().ct_eq(stored).into()
    }

    /// SHA-256 of the secret, as stored.
    pub fn digest(&self) -> SecretDigest {
        digest(self.secret)
    }
}

/// Why a text is not a token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Malformed {
    /// It does not start with `at_`.
    #[error("a token starts with \"at_\"")]
    Prefix,
    /// The id or the secret has the wrong length or a character that is not a hex digit.
    #[error("a token is at_<16 hex digits>_<64 hex digits>")]
    Shape,
}

/// Split a presented token into id and secret, checking its shape.
pub fn parse(text: &str) -> Result<Presented<'_>, Malformed> {
    let rest = text.strip_prefix(PREFIX).ok_or(Malformed::Prefix)?;
    let (id, secret) = rest.split_once('_').ok_or(Malformed::Shape)?;
    let hex_of = |s: &str, bytes: usize| {
        s.len() == bytes * 2 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    };
    if !hex_of(id, ID_BYTES) || !hex_of(secret, SECRET_BYTES) {
        return Err(Malformed::Shape);
    }
    Ok(Presented { id, secret })
}

/// Whether `id` has the shape of a token id (16 lower-case hex digits).
pub fn is_id(id: &str) -> bool {
    id.len() == ID_BYTES * 2 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// SHA-256 of a secret's text.
fn digest(secret: &str) -> SecretDigest {
    Sha256::digest(secret.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_token_parses_and_matches_only_its_own_digest() {
        let a = generate().unwrap();
        let b = generate().unwrap();
        assert_ne!(a.id, b.id);
        assert_eq!(a.text.len(), 3 + 16 + 1 + 64);
        let p = parse(&a.text).unwrap();
        assert_eq!(p.id, a.id);
        assert!(is_id(p.id));
        assert!(p.matches(&a.digest));
        assert!(!p.matches(&b.digest));
    }

    #[test]
    fn malformed_tokens_say_what_shape_is_expected() {
        let good = generate().unwrap().text;
        assert_eq!(parse("Bearer x"), Err(Malformed::Prefix));
        assert_eq!(parse(&good[3..]), Err(Malformed::Prefix));
        for bad in [
            "at_".to_string(),
            "at_abc".to_string(),
            good[..good.len() - 1].to_string(),
            format!("{good}0"),
            good.to_uppercase().replacen("AT_", "at_", 1),
            good.replacen('_', "-", 2).replacen("at-", "at_", 1),
        ] {
            assert_eq!(parse(&bad), Err(Malformed::Shape), "{bad}");
        }
        assert_eq!(
            Malformed::Shape.to_string(),
            "a token is at_<16 hex digits>_<64 hex digits>"
        );
    }
}
