//! C2SP signed notes with Ed25519 keys: signing, verifying, key strings.
//!
//! This follows <https://c2sp.org/signed-note> and its reference implementation,
//! `golang.org/x/mod/sumdb/note`:
//!
//! * A note is a text ending in a newline, a blank line, then one or more signature lines
//!   `— <key name> <base64(4-byte big-endian key id ‖ signature)>`. The whole note must be valid
//!   UTF-8 with no ASCII control character other than newline; the text is split from the
//!   signatures at the *last* blank line.
//! * A key is named by `(name, key id)`, where key id = the first four bytes (big-endian) of
//!   SHA-256(name ‖ "\n" ‖ signature type ‖ public key). Verifier keys are written
//!   `<name>+<hex8 id>+<base64(type ‖ key)>` and signer keys `PRIVATE+KEY+<name>+<hex8 id>+<base64(type ‖ seed)>`.
//! * Opening a note ignores (but reports) signature lines from unknown keys, rejects the note if a
//!   known key's signature fails, and rejects it if no known key signed it.
//!
//! Two signature types are supported: plain Ed25519 (type `0x01`) and the Ed25519 witness
//! cosignature of <https://c2sp.org/tlog-cosignature> (type `0x04`, verification only), whose
//! signature is `8-byte big-endian timestamp ‖ Ed25519 signature over "cosignature/v1\ntime <t>\n" ‖ text`.
//!
//! Deliberate strictness beyond the Go code, none of which rejects a note or key that the Go code
//! produces for a printable key name: base64 must be canonical (padding present, unused bits zero), so a signature line has exactly
//! one spelling; hex key ids must be 8 *lowercase* digits (as Go writes them); key names must also
//! be free of Unicode control characters; an Ed25519 public key that is not a curve point is
//! rejected when the key is parsed rather than when a signature is checked; and every distinct
//! signature line from a known key is verified (Go verifies only the first line per key).

use std::fmt;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use ed25519_dalek::{Signature, Signer as _, SigningKey, Verifier as _, VerifyingKey};
use sha2::{Digest, Sha256};

use crate::LedgerError;

/// Signature type byte of a plain Ed25519 note signature (c2sp.org/signed-note).
pub const ALG_ED25519: u8 = 0x01;
/// Signature type byte of an Ed25519 witness cosignature (c2sp.org/tlog-cosignature, v1).
pub const ALG_COSIGNATURE_V1: u8 = 0x04;
/// Most signature lines a note may carry before it is rejected as malformed (as in sumdb/note).
pub const MAX_SIGNATURES: usize = 100;

/// The separator between a note's text and its signature lines.
const SIG_SPLIT: &[u8] = b"\n\n";
/// The start of every signature line: an em dash (U+2014) and a space.
const SIG_PREFIX: &str = "\u{2014} ";
/// Length of an Ed25519 signature.
const ED25519_SIG_LEN: usize = 64;
/// Length of a cosignature/v1 signature: 8-byte timestamp and an Ed25519 signature.
const COSIG_V1_SIG_LEN: usize = 8 + ED25519_SIG_LEN;

/// A key that signs notes; pluggable so a KMS/HSM signer can replace the key file later.
pub trait NoteSigner: Send + Sync {
    /// The key name written on the signature line.
    fn name(&self) -> &str;
    /// The 32-bit key id written at the start of the signature.
    fn key_id(&self) -> u32;
    /// Signs `message` (the note text) and returns the raw signature, without the key id.
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, LedgerError>;
}

/// Computes a C2SP key id: the first 4 bytes, big-endian, of SHA-256(name ‖ "\n" ‖ `alg_and_key`).
pub fn compute_key_id(name: &str, alg_and_key: &[u8]) -> u32 {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update(b"\n");
    h.update(alg_and_key);
    let d: [u8; 32] = h.finalize().into();
    u32::from_be_bytes([d[0], d[1], d[2], d[3]])
}

/// Reports whether `name` may name a key: non-empty, no '+', no Unicode space or control char.
pub fn is_valid_key_name(name: &str) -> bool {
    !name.is_empty()
        && !name
            .chars()
            .any(|c| c == '+' || c.is_whitespace() || c.is_control())
}

/// The text a cosignature/v1 signs: "cosignature/v1\ntime <timestamp>\n" followed by the note text.
pub fn cosignature_v1_message(timestamp: u64, text: &[u8]) -> Vec<u8> {
    let header = format!("cosignature/v1\ntime {timestamp}\n");
    let mut msg = Vec::with_capacity(header.len() + text.len());
    msg.extend_from_slice(header.as_bytes());
    msg.extend_from_slice(text);
    msg
}

/// Splits `s` at the first `sep`, like sumdb/note's `chop`: no separator means ("s", "").
fn chop(s: &str, sep: char) -> (&str, &str) {
    match s.split_once(sep) {
        Some((a, b)) => (a, b),
        None => (s, ""),
    }
}

/// Parses exactly eight lowercase hex digits into a key id.
fn parse_key_id_hex(s: &str) -> Option<u32> {
    if s.len() != 8
        || !s
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return None;
    }
    u32::from_str_radix(s, 16).ok()
}

/// Ed25519 signer from a key file string `PRIVATE+KEY+<name>+<hex8 id>+<base64(0x01 ‖ 32-byte seed)>`.
pub struct Ed25519Signer {
    name: String,
    key_id: u32,
    key: SigningKey,
}

impl Ed25519Signer {
    /// Creates a signer named `name` with a fresh seed from the operating system's random source.
    pub fn generate(name: &str) -> Result<Self, LedgerError> {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(|e| {
            LedgerError::Storage(Box::new(std::io::Error::other(format!(
                "operating system random source failed: {e}"
            ))))
        })?;
        let signer = Self::from_seed(name, seed);
        seed.fill(0);
        signer
    }

    /// Creates a signer named `name` from a 32-byte Ed25519 seed.
    pub fn from_seed(name: &str, seed: [u8; 32]) -> Result<Self, LedgerError> {
        if !is_valid_key_name(name) {
            return Err(LedgerError::malformed(
                "signer key",
                format!("invalid key name {name:?}"),
            ));
        }
        let key = SigningKey::from_bytes(&seed);
        let key_id = ed25519_key_id(name, ALG_ED25519, &key.verifying_key());
        Ok(Self {
            name: name.to_owned(),
            key_id,
            key,
        })
    }

    /// Parses a signer key string, checking its prefix, name, algorithm, length and key id.
    pub fn parse(skey: &str) -> Result<Self, LedgerError> {
        let bad = |reason: &str| LedgerError::malformed("signer key", reason.to_owned());
        let (priv1, rest) = chop(skey, '+');
        let (priv2, rest) = chop(rest, '+');
        let (name, rest) = chop(rest, '+');
        let (id_hex, key64) = chop(rest, '+');
        if priv1 != "PRIVATE" || priv2 != "KEY" {
            return Err(bad("missing PRIVATE+KEY+ prefix"));
        }
        if !is_valid_key_name(name) {
            return Err(bad("invalid key name"));
        }
        let key_id =
            parse_key_id_hex(id_hex).ok_or_else(|| bad("key id is not 8 lowercase hex digits"))?;
        let mut raw = BASE64
            .decode(key64)
            .map_err(|_| bad("key is not canonical base64"))?;
        let seed: Result<[u8; 32], LedgerError> = match raw.split_first() {
            None => Err(bad("empty key")),
            Some((&ALG_ED25519, seed)) => seed
                .try_into()
                .map_err(|_| bad("Ed25519 seed is not 32 bytes")),
            Some(_) => Err(bad("unsupported signature algorithm")),
        };
        raw.fill(0);
        let mut seed = seed?;
        let signer = Self::from_seed(name, seed);
        seed.fill(0);
        let signer = signer?;
        if signer.key_id != key_id {
            return Err(bad("key id does not match the key"));
        }
        Ok(signer)
    }

    /// Writes the signer key string; [`Ed25519Signer::parse`] reads it back. It holds the secret seed.
    pub fn to_skey(&self) -> String {
        let mut raw = Vec::with_capacity(33);
        raw.push(ALG_ED25519);
        raw.extend_from_slice(self.key.as_bytes());
        let s = format!(
            "PRIVATE+KEY+{}+{:08x}+{}",
            self.name,
            self.key_id,
            BASE64.encode(&raw)
        );
        raw.fill(0);
        s
    }

    /// The verifier key matching this signer.
    pub fn verifier(&self) -> NoteVerifier {
        NoteVerifier {
            name: self.name.clone(),
            key_id: self.key_id,
            alg: ALG_ED25519,
            key: self.key.verifying_key(),
        }
    }
}

impl fmt::Debug for Ed25519Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ed25519Signer")
            .field("name", &self.name)
            .field("key_id", &format_args!("{:08x}", self.key_id))
            .finish_non_exhaustive()
    }
}

impl NoteSigner for Ed25519Signer {
    fn name(&self) -> &str {
        &self.name
    }

    fn key_id(&self) -> u32 {
        self.key_id
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, LedgerError> {
        Ok(self.key.sign(message).to_bytes().to_vec())
    }
}

/// Key id of an Ed25519 public key under signature type `alg`.
fn ed25519_key_id(name: &str, alg: u8, key: &VerifyingKey) -> u32 {
    let mut raw = [0u8; 33];
    raw[0] = alg;
    raw[1..].copy_from_slice(key.as_bytes());
    compute_key_id(name, &raw)
}

/// A verifier key: `<name>+<hex8 id>+<base64(alg ‖ key)>`; Ed25519 (alg 0x01) and tlog-cosignature/v1 Ed25519 (alg 0x04).
#[derive(Clone, PartialEq, Eq)]
pub struct NoteVerifier {
    name: String,
    key_id: u32,
    alg: u8,
    key: VerifyingKey,
}

impl NoteVerifier {
    /// Parses a verifier key string, checking name, key id, algorithm, key length and curve point.
    pub fn parse(vkey: &str) -> Result<Self, LedgerError> {
        let bad = |reason: &str| LedgerError::malformed("verifier key", reason.to_owned());
        let (name, rest) = chop(vkey, '+');
        let (id_hex, key64) = chop(rest, '+');
        if !is_valid_key_name(name) {
            return Err(bad("invalid key name"));
        }
        let key_id =
            parse_key_id_hex(id_hex).ok_or_else(|| bad("key id is not 8 lowercase hex digits"))?;
        let raw = BASE64
            .decode(key64)
            .map_err(|_| bad("key is not canonical base64"))?;
        let Some((&alg, key)) = raw.split_first() else {
            return Err(bad("empty key"));
        };
        // The type is checked first so that keys of other types (whose ids may follow other
        // rules, as ECDSA's do) are reported as unsupported rather than as mismatched.
        if alg != ALG_ED25519 && alg != ALG_COSIGNATURE_V1 {
            return Err(bad(&format!("unsupported signature algorithm 0x{alg:02x}")));
        }
        if compute_key_id(name, &raw) != key_id {
            return Err(bad("key id does not match the key"));
        }
        let key: [u8; 32] = key
            .try_into()
            .map_err(|_| bad("Ed25519 public key is not 32 bytes"))?;
        let key = VerifyingKey::from_bytes(&key)
            .map_err(|_| bad("Ed25519 public key is not a valid point"))?;
        Ok(Self {
            name: name.to_owned(),
            key_id,
            alg,
            key,
        })
    }

    /// The key name, as written on signature lines.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The 32-bit key id.
    pub fn key_id(&self) -> u32 {
        self.key_id
    }

    /// The signature type byte: [`ALG_ED25519`] or [`ALG_COSIGNATURE_V1`].
    pub fn algorithm(&self) -> u8 {
        self.alg
    }

    /// The raw 32-byte Ed25519 public key.
    pub fn public_key(&self) -> [u8; 32] {
        self.key.to_bytes()
    }

    /// Checks `sig` (the signature without its key id) over the note `text`.
    pub fn verify(&self, text: &[u8], sig: &[u8]) -> bool {
        match self.alg {
            ALG_ED25519 => {
                let Ok(sig) = Signature::from_slice(sig) else {
                    return false;
                };
                self.key.verify(text, &sig).is_ok()
            }
            ALG_COSIGNATURE_V1 => {
                let Some(timestamp) = self.cosignature_timestamp(sig) else {
                    return false;
                };
                let Some((_, sig)) = sig.split_first_chunk::<8>() else {
                    return false;
                };
                let Ok(sig) = Signature::from_slice(sig) else {
                    return false;
                };
                let msg = cosignature_v1_message(timestamp, text);
                self.key.verify(&msg, &sig).is_ok()
            }
            _ => false,
        }
    }

    /// For a cosignature/v1 key, the timestamp (POSIX seconds) a well-formed `sig` claims; else `None`.
    pub fn cosignature_timestamp(&self, sig: &[u8]) -> Option<u64> {
        if self.alg != ALG_COSIGNATURE_V1 || sig.len() != COSIG_V1_SIG_LEN {
            return None;
        }
        let ts = u64::from_be_bytes(*sig.first_chunk::<8>()?);
        // tlog-cosignature: the timestamp MUST NOT exceed 2^63 - 1.
        (ts <= i64::MAX as u64).then_some(ts)
    }
}

impl fmt::Display for NoteVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut raw = [0u8; 33];
        raw[0] = self.alg;
        raw[1..].copy_from_slice(self.key.as_bytes());
        write!(
            f,
            "{}+{:08x}+{}",
            self.name,
            self.key_id,
            BASE64.encode(raw)
        )
    }
}

impl fmt::Debug for NoteVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NoteVerifier({self})")
    }
}

/// A set of verifiers looked up by (name, key id); duplicates of the same (name,id) → ambiguous error on lookup, as sumdb does.
#[derive(Clone, Debug, Default)]
pub struct Verifiers {
    keys: Vec<NoteVerifier>,
}

impl Verifiers {
    /// Builds a set from a list of verifier keys (duplicates are kept and make lookups ambiguous).
    pub fn new(keys: Vec<NoteVerifier>) -> Self {
        Self { keys }
    }

    /// Finds the key `(name, key_id)`: `Ok(None)` if unknown, an error if more than one matches.
    pub fn lookup(&self, name: &str, key_id: u32) -> Result<Option<&NoteVerifier>, LedgerError> {
        let mut found = self
            .keys
            .iter()
            .filter(|v| v.key_id == key_id && v.name == name);
        match (found.next(), found.next()) {
            (None, _) => Ok(None),
            (Some(v), None) => Ok(Some(v)),
            (Some(_), Some(_)) => Err(LedgerError::malformed(
                "verifier set",
                format!("ambiguous key {name}+{key_id:08x}"),
            )),
        }
    }

    /// The keys in the set, in the order given.
    pub fn keys(&self) -> &[NoteVerifier] {
        &self.keys
    }
}

impl FromIterator<NoteVerifier> for Verifiers {
    fn from_iter<I: IntoIterator<Item = NoteVerifier>>(iter: I) -> Self {
        Self::new(iter.into_iter().collect())
    }
}

/// One signature line of a note.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoteSignature {
    /// The key name on the line.
    pub name: String,
    /// The key id: the first four bytes of the decoded signature, big-endian.
    pub key_id: u32,
    /// The signature proper, without the key id.
    pub signature: Vec<u8>,
}

/// A note opened with a verifier set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenedNote {
    /// The signed text, ending in a newline.
    pub text: String,
    /// Signatures that verified, at most one per known key, in note order.
    pub verified: Vec<NoteSignature>,
    /// Signature lines from keys not in the verifier set, each distinct line once, in note order.
    pub unverified: Vec<NoteSignature>,
}

/// A note split into its text and signature lines, with framing checked and nothing verified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SplitNote<'a> {
    /// The text: must be ignored unless a trusted signature over it has been verified.
    pub text: &'a str,
    /// The distinct signature lines, in note order (an exact repeat of a line is dropped).
    pub signatures: Vec<NoteSignature>,
}

/// Checks the note framing and splits text from signature lines, without verifying anything.
pub fn split_note(note: &[u8]) -> Result<SplitNote<'_>, LedgerError> {
    let bad = |reason: &str| LedgerError::malformed("note", reason.to_owned());
    let s = std::str::from_utf8(note).map_err(|_| bad("not valid UTF-8"))?;
    // Bytes below 0x20 are always whole characters in UTF-8.
    if s.bytes().any(|b| b < 0x20 && b != b'\n') {
        return Err(bad("contains a control character"));
    }
    let split = note
        .windows(SIG_SPLIT.len())
        .rposition(|w| w == SIG_SPLIT)
        .ok_or_else(|| bad("no blank line before the signatures"))?;
    // `split` and `split + 2` sit next to ASCII newlines, so both are char boundaries.
    let text = s.get(..split + 1).ok_or_else(|| bad("bad split"))?;
    let sigs = s.get(split + 2..).ok_or_else(|| bad("bad split"))?;
    let Some(sigs) = sigs.strip_suffix('\n') else {
        return Err(bad("signature block is empty or lacks a final newline"));
    };
    let mut signatures: Vec<NoteSignature> = Vec::new();
    let mut seen_lines: Vec<&str> = Vec::new();
    for (count, line) in sigs.split('\n').enumerate() {
        let Some(body) = line.strip_prefix(SIG_PREFIX) else {
            return Err(bad("a line after the blank line is not a signature"));
        };
        let (name, b64) = chop(body, ' ');
        if !is_valid_key_name(name) {
            return Err(bad("invalid key name on a signature line"));
        }
        if b64.is_empty() {
            return Err(bad("signature line without a signature"));
        }
        let raw = BASE64
            .decode(b64)
            .map_err(|_| bad("signature is not canonical base64"))?;
        let Some((key_id, sig)) = raw.split_first_chunk::<4>() else {
            return Err(bad("signature too short"));
        };
        if sig.is_empty() {
            return Err(bad("signature too short"));
        }
        if count + 1 > MAX_SIGNATURES {
            return Err(bad("too many signatures"));
        }
        if seen_lines.contains(&line) {
            continue;
        }
        seen_lines.push(line);
        signatures.push(NoteSignature {
            name: name.to_owned(),
            key_id: u32::from_be_bytes(*key_id),
            signature: sig.to_vec(),
        });
    }
    Ok(SplitNote { text, signatures })
}

/// Checks that `text` can be the text of a note: ends in a newline, no other control character.
fn check_text(text: &str) -> Result<(), LedgerError> {
    if !text.ends_with('\n') {
        return Err(LedgerError::malformed(
            "note",
            "text does not end in a newline",
        ));
    }
    if text.bytes().any(|b| b < 0x20 && b != b'\n') {
        return Err(LedgerError::malformed(
            "note",
            "text contains a control character",
        ));
    }
    Ok(())
}

/// Sign `text` (must end in '\n', no blank-line rules broken) with each signer; returns the whole note.
pub fn sign_note(text: &str, signers: &[&dyn NoteSigner]) -> Result<String, LedgerError> {
    check_text(text)?;
    if signers.is_empty() {
        return Err(LedgerError::InvalidRequest(
            "a note needs at least one signer".into(),
        ));
    }
    if signers.len() > MAX_SIGNATURES {
        return Err(LedgerError::InvalidRequest(format!(
            "at most {MAX_SIGNATURES} signers per note"
        )));
    }
    let mut note = String::with_capacity(text.len() + 1 + signers.len() * 128);
    note.push_str(text);
    note.push('\n');
    for signer in signers {
        let name = signer.name();
        if !is_valid_key_name(name) {
            return Err(LedgerError::malformed(
                "signer key",
                format!("invalid key name {name:?}"),
            ));
        }
        let sig = signer.sign(text.as_bytes())?;
        if sig.is_empty() {
            return Err(LedgerError::BadSignature(format!(
                "{name}+{:08x} produced an empty signature",
                signer.key_id()
            )));
        }
        let mut raw = Vec::with_capacity(4 + sig.len());
        raw.extend_from_slice(&signer.key_id().to_be_bytes());
        raw.extend_from_slice(&sig);
        note.push_str(SIG_PREFIX);
        note.push_str(name);
        note.push(' ');
        note.push_str(&BASE64.encode(&raw));
        note.push('\n');
    }
    Ok(note)
}

/// Parse and check a note: lines from unknown keys are kept as unverified and otherwise ignored; a line from a known key that fails → BadSignature; no verified signature at all → NoValidSignature; malformed framing → Malformed.
pub fn open_note(note: &[u8], verifiers: &Verifiers) -> Result<OpenedNote, LedgerError> {
    let split = split_note(note)?;
    let mut verified: Vec<NoteSignature> = Vec::new();
    let mut unverified = Vec::new();
    for sig in split.signatures {
        let Some(v) = verifiers.lookup(&sig.name, sig.key_id)? else {
            unverified.push(sig);
            continue;
        };
        if !v.verify(split.text.as_bytes(), &sig.signature) {
            return Err(LedgerError::BadSignature(format!(
                "{}+{:08x}",
                sig.name, sig.key_id
            )));
        }
        if !verified
            .iter()
            .any(|s| s.key_id == sig.key_id && s.name == sig.name)
        {
            verified.push(sig);
        }
    }
    if verified.is_empty() {
        return Err(LedgerError::NoValidSignature);
    }
    Ok(OpenedNote {
        text: split.text.to_owned(),
        verified,
        unverified,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const PETER_SKEY: &str =
        "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
    const PETER_VKEY: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
    const TEXT: &str = "If you think cryptography is the answer to your problem,\n\
                        then you don't know what your problem is.\n";
    const PETER_SIG: &str = "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=";

    fn peter() -> Ed25519Signer {
        Ed25519Signer::parse(PETER_SKEY).unwrap()
    }

    fn peter_set() -> Verifiers {
        Verifiers::new(vec![NoteVerifier::parse(PETER_VKEY).unwrap()])
    }

    fn signed() -> String {
        sign_note(TEXT, &[&peter()]).unwrap()
    }

    fn malformed(r: Result<OpenedNote, LedgerError>) -> bool {
        matches!(r, Err(LedgerError::Malformed { what: "note", .. }))
    }

    #[test]
    fn sign_matches_go() {
        assert_eq!(
            signed(),
            format!("{TEXT}\n\u{2014} PeterNeumann {PETER_SIG}\n")
        );
    }

    #[test]
    fn sign_open_round_trip() {
        let n = signed();
        let opened = open_note(n.as_bytes(), &peter_set()).unwrap();
        assert_eq!(opened.text, TEXT);
        assert_eq!(opened.verified.len(), 1);
        assert_eq!(opened.verified[0].name, "PeterNeumann");
        assert_eq!(opened.verified[0].key_id, 0xc74f20a3);
        assert!(opened.unverified.is_empty());
    }

    #[test]
    fn skey_and_vkey_round_trip() {
        let s = peter();
        assert_eq!(s.to_skey(), PETER_SKEY);
        assert_eq!(s.verifier().to_string(), PETER_VKEY);
        let v = NoteVerifier::parse(PETER_VKEY).unwrap();
        assert_eq!(v.to_string(), PETER_VKEY);
        assert_eq!(v, s.verifier());
        assert_eq!(v.name(), "PeterNeumann");
        assert_eq!(v.key_id(), 0xc74f20a3);
        assert_eq!(v.algorithm(), ALG_ED25519);
        assert!(!format!("{s:?}").contains("AYEK"));
    }

    #[test]
    fn generate_gives_distinct_working_keys() {
        let a = Ed25519Signer::generate("example.com/a").unwrap();
        let b = Ed25519Signer::generate("example.com/a").unwrap();
        assert_ne!(a.to_skey(), b.to_skey());
        let again = Ed25519Signer::parse(&a.to_skey()).unwrap();
        assert_eq!(again.verifier(), a.verifier());
        let n = sign_note("hello\n", &[&a]).unwrap();
        let set = Verifiers::new(vec![a.verifier()]);
        assert_eq!(open_note(n.as_bytes(), &set).unwrap().text, "hello\n");
        assert!(matches!(
            open_note(n.as_bytes(), &Verifiers::new(vec![b.verifier()])),
            Err(LedgerError::NoValidSignature)
        ));
        assert!(Ed25519Signer::generate("bad name").is_err());
    }

    #[test]
    fn bad_names_rejected() {
        for name in [
            "",
            "a+b",
            "a b",
            "a\tb",
            "a\u{a0}b",
            "a\u{2003}b",
            "a\u{7f}b",
            "a\nb",
        ] {
            assert!(!is_valid_key_name(name), "{name:?}");
            assert!(Ed25519Signer::from_seed(name, [0; 32]).is_err(), "{name:?}");
        }
        assert!(is_valid_key_name("example.com/log/ünïcode"));
    }

    #[test]
    fn bad_skeys_rejected() {
        let good = PETER_SKEY;
        let cases = [
            good.replacen("PRIVATE", "PUBLIC", 1),
            good.replacen("KEY", "KEX", 1),
            good.replacen("c74f20a3", "c74f20a4", 1),
            good.replacen("c74f20a3", "C74F20A3", 1),
            good.replacen("c74f20a3", "c74f20a", 1),
            good.replacen("+AYEK", "+AAYEK", 1),
            good.replacen("+AYEK", "+AoEK", 1), // algorithm byte 0x02
            good.replacen("PeterNeumann", "Peter Neumann", 1),
            good.trim_end_matches('z').to_owned(),
            "PRIVATE+KEY".to_owned(),
            String::new(),
        ];
        for c in cases {
            assert!(Ed25519Signer::parse(&c).is_err(), "{c}");
        }
    }

    #[test]
    fn bad_vkeys_rejected() {
        let zero = [0u8; 32];
        let good = Ed25519Signer::from_seed("k", zero).unwrap().verifier();
        // Right key id but unsupported algorithms or bad lengths.
        for raw in [
            vec![0x02; 33],
            vec![0x05; 33],
            vec![0xff; 33],
            vec![0x01; 32],
            vec![0x01; 34],
        ] {
            let vkey = format!(
                "k+{:08x}+{}",
                compute_key_id("k", &raw),
                BASE64.encode(&raw)
            );
            assert!(NoteVerifier::parse(&vkey).is_err(), "{vkey}");
        }
        // Not a curve point, with the right key id.
        let mut raw = [0u8; 33];
        raw[0] = ALG_ED25519;
        raw[1] = (2..=255u8)
            .find(|&y| VerifyingKey::from_bytes(&[y; 32]).is_err())
            .unwrap();
        let y = raw[1];
        raw[1..].fill(y);
        let vkey = format!("k+{:08x}+{}", compute_key_id("k", &raw), BASE64.encode(raw));
        assert!(NoteVerifier::parse(&vkey).is_err());
        let s = good.to_string();
        assert!(NoteVerifier::parse(&s.to_uppercase()).is_err());
        assert!(NoteVerifier::parse(&format!("{s}=")).is_err());
        assert!(NoteVerifier::parse(&format!("{s}+")).is_err());
        assert!(NoteVerifier::parse("").is_err());
    }

    #[test]
    fn sign_rejects_bad_input() {
        let p = peter();
        assert!(sign_note("no newline", &[&p]).is_err());
        assert!(sign_note("", &[&p]).is_err());
        assert!(sign_note("tab\there\n", &[&p]).is_err());
        assert!(sign_note("cr\r\n", &[&p]).is_err());
        assert!(sign_note("ok\n", &[]).is_err());
        let many: Vec<&dyn NoteSigner> = (0..=MAX_SIGNATURES)
            .map(|_| &p as &dyn NoteSigner)
            .collect();
        assert!(sign_note("ok\n", &many).is_err());
    }

    struct Fixed(&'static str, Vec<u8>);
    impl NoteSigner for Fixed {
        fn name(&self) -> &str {
            self.0
        }
        fn key_id(&self) -> u32 {
            7
        }
        fn sign(&self, _: &[u8]) -> Result<Vec<u8>, LedgerError> {
            Ok(self.1.clone())
        }
    }

    #[test]
    fn sign_rejects_bad_signers() {
        assert!(sign_note("ok\n", &[&Fixed("bad name", vec![1])]).is_err());
        assert!(sign_note("ok\n", &[&Fixed("empty", vec![])]).is_err());
        let n = sign_note("ok\n", &[&Fixed("one", vec![9])]).unwrap();
        assert_eq!(n, "ok\n\n\u{2014} one AAAABwk=\n");
    }

    #[test]
    fn text_with_blank_lines_splits_at_last() {
        let p = peter();
        for text in ["\n", "a\n\nb\n", "a\n\n", "\n\n\n", "— not a sig\n\n"] {
            let n = sign_note(text, &[&p]).unwrap();
            let opened = open_note(n.as_bytes(), &peter_set()).unwrap();
            assert_eq!(opened.text, text);
        }
    }

    #[test]
    fn malformed_notes() {
        let good = signed();
        let line = format!("\u{2014} PeterNeumann {PETER_SIG}\n");
        let cases: Vec<Vec<u8>> = vec![
            TEXT.into(),                                                    // no blank line
            format!("{TEXT}\n").into(),                                     // no signatures
            good.trim_end_matches('\n').into(),                             // no final newline
            format!("\u{1}{good}").into(),                                  // control character
            format!("{TEXT}\n\u{2014} Bad Name {PETER_SIG}\n").into(),      // space in name
            format!("{good}Unexpected line.\n").into(),                     // trailing garbage
            format!("{TEXT}\n- PeterNeumann {PETER_SIG}\n").into(),         // hyphen, not em dash
            format!("{TEXT}\n\u{2014}PeterNeumann {PETER_SIG}\n").into(),   // no space after dash
            format!("{TEXT}\n\u{2014} PeterNeumann\n").into(),              // no signature
            format!("{TEXT}\n\u{2014} PeterNeumann \n").into(),             // empty signature
            format!("{TEXT}\n\u{2014}  {PETER_SIG}\n").into(),              // empty name
            format!("{TEXT}\n\u{2014} PeterNeumann  {PETER_SIG}\n").into(), // double space
            format!("{TEXT}\n\u{2014} PeterNeumann {PETER_SIG} \n").into(), // trailing space
            format!("{TEXT}\n\u{2014} PeterNeumann AAAAAA==\n").into(),     // 4 bytes: no signature
            format!(
                "{TEXT}\n\u{2014} PeterNeumann {}\n",
                PETER_SIG.trim_end_matches('=')
            )
            .into(), // no padding
            format!(
                "{TEXT}\n\u{2014} PeterNeumann {}N=\n",
                &PETER_SIG[..PETER_SIG.len() - 2]
            )
            .into(), // non-canonical bits
            format!("{TEXT}\r\n{line}").into(),                             // CRLF
            format!("{good}{line}").replace("Neumann", "Ne+mann").into(),   // '+' in name
            {
                let mut v = good.clone().into_bytes();
                v[3] = 0xff; // invalid UTF-8
                v
            },
        ];
        for (i, c) in cases.into_iter().enumerate() {
            let r = open_note(&c, &peter_set());
            assert!(malformed(r), "case {i}: {:?}", String::from_utf8_lossy(&c));
        }
    }

    #[test]
    fn last_blank_line_wins() {
        // A blank line among signature lines makes the lines above it part of the text, so the
        // signature no longer matches: the note is rejected, though not as malformed.
        let line = format!("\u{2014} PeterNeumann {PETER_SIG}\n");
        let n = format!("{TEXT}\n{line}\n{line}");
        assert!(matches!(
            open_note(n.as_bytes(), &peter_set()),
            Err(LedgerError::BadSignature(_))
        ));
        let split = split_note(n.as_bytes()).unwrap();
        assert_eq!(split.text, format!("{TEXT}\n{line}"));
        assert_eq!(split.signatures.len(), 1);
    }

    #[test]
    fn too_many_signatures() {
        let line = format!("\u{2014} PeterNeumann {PETER_SIG}\n");
        let ok = format!("{TEXT}\n{}", line.repeat(MAX_SIGNATURES));
        let opened = open_note(ok.as_bytes(), &peter_set()).unwrap();
        assert_eq!(opened.verified.len(), 1);
        let bad = format!("{TEXT}\n{}", line.repeat(MAX_SIGNATURES + 1));
        assert!(malformed(open_note(bad.as_bytes(), &peter_set())));
    }

    #[test]
    fn unknown_and_bad_signatures() {
        let p = peter();
        let other = Ed25519Signer::from_seed("Other", [7; 32]).unwrap();
        let n = sign_note(TEXT, &[&other, &p]).unwrap();
        let opened = open_note(n.as_bytes(), &peter_set()).unwrap();
        assert_eq!(opened.verified.len(), 1);
        assert_eq!(opened.unverified.len(), 1);
        assert_eq!(opened.unverified[0].name, "Other");
        assert_eq!(opened.unverified[0].key_id, other.key_id());
        // No known key at all.
        assert!(matches!(
            open_note(n.as_bytes(), &Verifiers::default()),
            Err(LedgerError::NoValidSignature)
        ));
        // Same name, other key id: unknown, ignored.
        let fake = Fixed("PeterNeumann", vec![1; 64]);
        let n = sign_note(TEXT, &[&fake, &p]).unwrap();
        assert_eq!(
            open_note(n.as_bytes(), &peter_set())
                .unwrap()
                .unverified
                .len(),
            1
        );
        // Known key, bad signature: rejected, even after a good line by the same key.
        let forged = format!(
            "{}\u{2014} PeterNeumann {}\n",
            signed(),
            BASE64.encode({
                let mut raw = 0xc74f20a3u32.to_be_bytes().to_vec();
                raw.extend_from_slice(&[1; 64]);
                raw
            })
        );
        assert!(matches!(
            open_note(forged.as_bytes(), &peter_set()),
            Err(LedgerError::BadSignature(k)) if k == "PeterNeumann+c74f20a3"
        ));
        // Known key, signature of the wrong length.
        let short = format!("{TEXT}\n\u{2014} PeterNeumann x08gowE=\n");
        assert!(matches!(
            open_note(short.as_bytes(), &peter_set()),
            Err(LedgerError::BadSignature(_))
        ));
    }

    #[test]
    fn ambiguous_verifiers() {
        let v = NoteVerifier::parse(PETER_VKEY).unwrap();
        let set = Verifiers::new(vec![v.clone(), v.clone()]);
        assert!(set.lookup("PeterNeumann", 0xc74f20a3).is_err());
        assert!(set.lookup("PeterNeumann", 0xc74f20a4).unwrap().is_none());
        assert!(open_note(signed().as_bytes(), &set).is_err());
        let set: Verifiers = [v].into_iter().collect();
        assert!(set.lookup("PeterNeumann", 0xc74f20a3).unwrap().is_some());
        assert!(set.lookup("PeterNeumanx", 0xc74f20a3).unwrap().is_none());
    }

    /// A cosignature/v1 signer for tests only.
    struct Cosigner(SigningKey, String, u64);
    impl Cosigner {
        fn new(name: &str, ts: u64) -> Self {
            Cosigner(SigningKey::from_bytes(&[3; 32]), name.into(), ts)
        }
        fn verifier(&self) -> NoteVerifier {
            let mut raw = vec![ALG_COSIGNATURE_V1];
            raw.extend_from_slice(self.0.verifying_key().as_bytes());
            let vkey = format!("{}+{:08x}+{}", self.1, self.key_id(), BASE64.encode(raw));
            NoteVerifier::parse(&vkey).unwrap()
        }
    }
    impl NoteSigner for Cosigner {
        fn name(&self) -> &str {
            &self.1
        }
        fn key_id(&self) -> u32 {
            ed25519_key_id(&self.1, ALG_COSIGNATURE_V1, &self.0.verifying_key())
        }
        fn sign(&self, message: &[u8]) -> Result<Vec<u8>, LedgerError> {
            let mut out = self.2.to_be_bytes().to_vec();
            out.extend_from_slice(
                &self
                    .0
                    .sign(&cosignature_v1_message(self.2, message))
                    .to_bytes(),
            );
            Ok(out)
        }
    }

    #[test]
    fn cosignature_v1() {
        let w = Cosigner::new("witness.example/w1", 1_700_000_000);
        let v = w.verifier();
        assert_eq!(v.algorithm(), ALG_COSIGNATURE_V1);
        assert_eq!(NoteVerifier::parse(&v.to_string()).unwrap(), v);
        let n = sign_note(TEXT, &[&peter(), &w]).unwrap();
        let set = Verifiers::new(vec![v.clone()]);
        let opened = open_note(n.as_bytes(), &set).unwrap();
        assert_eq!(opened.verified[0].name, "witness.example/w1");
        assert_eq!(
            v.cosignature_timestamp(&opened.verified[0].signature),
            Some(1_700_000_000)
        );
        // The same Ed25519 key as a plain 0x01 key has another key id, so it does not match.
        let plain = Ed25519Signer::from_seed("witness.example/w1", [3; 32]).unwrap();
        assert_ne!(plain.key_id(), w.key_id());
        // A plain signature presented under the cosignature key id fails.
        let sig = plain.sign(TEXT.as_bytes()).unwrap();
        assert!(!v.verify(TEXT.as_bytes(), &sig));
        let mut ts_sig = 5u64.to_be_bytes().to_vec();
        ts_sig.extend_from_slice(&sig);
        assert!(!v.verify(TEXT.as_bytes(), &ts_sig));
        // Timestamps above 2^63 - 1 are refused even when signed.
        let big = Cosigner::new("witness.example/w1", 1 << 63);
        let sig = big.sign(TEXT.as_bytes()).unwrap();
        assert!(!v.verify(TEXT.as_bytes(), &sig));
        assert_eq!(v.cosignature_timestamp(&sig), None);
        let ok = Cosigner::new("witness.example/w1", (1 << 63) - 1);
        assert!(v.verify(TEXT.as_bytes(), &ok.sign(TEXT.as_bytes()).unwrap()));
    }

    #[test]
    fn every_one_byte_change_fails_or_changes_text() {
        let note = signed().into_bytes();
        let set = peter_set();
        for i in 0..note.len() {
            for b in 0..=255u8 {
                if b == note[i] {
                    continue;
                }
                let mut m = note.clone();
                m[i] = b;
                if let Ok(opened) = open_note(&m, &set) {
                    assert_ne!(opened.text, TEXT, "byte {i} set to {b:#04x} still opens");
                }
            }
        }
    }

    proptest! {
        #[test]
        fn open_note_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let _ = open_note(&bytes, &peter_set());
        }

        #[test]
        fn open_note_never_panics_on_note_like_input(
            s in "[a-z\n]{0,12}\n\n(\u{2014} [A-Za-z+ é]{0,6} [A-Za-z0-9+/= ]{0,96}\n){0,3}"
        ) {
            let _ = open_note(s.as_bytes(), &peter_set());
        }

        #[test]
        fn one_byte_change_fails_or_changes_text(idx in any::<prop::sample::Index>(), b in any::<u8>()) {
            let note = signed().into_bytes();
            let i = idx.index(note.len());
            prop_assume!(note[i] != b);
            let mut m = note;
            m[i] = b;
            if let Ok(opened) = open_note(&m, &peter_set()) {
                prop_assert_ne!(opened.text, TEXT);
            }
        }

        #[test]
        fn sign_then_open(text in "[ -~é\n]{0,200}\n") {
            let n = sign_note(&text, &[&peter()]).unwrap();
            let opened = open_note(n.as_bytes(), &peter_set()).unwrap();
            prop_assert_eq!(opened.text, text);
        }
    }
}
