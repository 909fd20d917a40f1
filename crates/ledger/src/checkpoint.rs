//! C2SP tlog-checkpoint bodies: origin, tree size, root hash.
//!
//! A checkpoint (<https://c2sp.org/tlog-checkpoint>) is a signed note whose text is at least three
//! non-empty lines: the log's origin, the tree size in decimal (no leading zeroes unless it is
//! `0`), the base64 RFC 6962 root hash, then optional non-empty extension lines. The log's key
//! name must equal the origin when opened with [`open_checkpoint`].

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;

use crate::note::{open_note, sign_note, NoteSigner, NoteVerifier, Verifiers};
use crate::{Hash, LedgerError, HASH_SIZE};

/// A C2SP checkpoint body: origin line, decimal tree size, base64 root hash, optional extension lines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log's identity, e.g. `example.com/log`; the log's key name.
    pub origin: String,
    /// The number of leaves in the tree.
    pub size: u64,
    /// The RFC 6962 root hash of the tree at `size`.
    pub root: Hash,
    /// Extra lines after the root hash (opaque, each non-empty, without its newline).
    pub extensions: Vec<String>,
}

/// Checks one line of a checkpoint: non-empty, no newline or other ASCII control character.
fn check_line(line: &str, what: &str) -> Result<(), LedgerError> {
    if line.is_empty() {
        return Err(LedgerError::malformed(
            "checkpoint",
            format!("empty {what} line"),
        ));
    }
    if line.bytes().any(|b| b < 0x20) {
        return Err(LedgerError::malformed(
            "checkpoint",
            format!("control character in {what} line"),
        ));
    }
    Ok(())
}

impl Checkpoint {
    /// "origin\nsize\nbase64root\n" + each extension + "\n".
    pub fn to_body(&self) -> String {
        let mut body = format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            BASE64.encode(self.root)
        );
        for ext in &self.extensions {
            body.push_str(ext);
            body.push('\n');
        }
        body
    }

    /// Checks that [`Checkpoint::to_body`] gives a body that [`Checkpoint::parse`] reads back.
    pub fn validate(&self) -> Result<(), LedgerError> {
        check_line(&self.origin, "origin")?;
        for ext in &self.extensions {
            check_line(ext, "extension")?;
        }
        Ok(())
    }

    /// Strict parse of a checkpoint body: no leading zeros in size (except "0"), 32-byte root, no empty lines.
    pub fn parse(body: &str) -> Result<Self, LedgerError> {
        let bad = |reason: &str| LedgerError::malformed("checkpoint", reason.to_owned());
        let Some(body) = body.strip_suffix('\n') else {
            return Err(bad("body does not end in a newline"));
        };
        let mut lines = body.split('\n');
        let origin = lines.next().unwrap_or_default();
        check_line(origin, "origin")?;
        let size = lines.next().ok_or_else(|| bad("missing tree size"))?;
        let root = lines.next().ok_or_else(|| bad("missing root hash"))?;
        let size_ok = !size.is_empty()
            && size.bytes().all(|b| b.is_ascii_digit())
            && (size == "0" || !size.starts_with('0'));
        if !size_ok {
            return Err(bad(
                "tree size is not a decimal number without leading zeroes",
            ));
        }
        let size: u64 = size
            .parse()
            .map_err(|_| bad("tree size does not fit in 64 bits"))?;
        let root = BASE64
            .decode(root)
            .map_err(|_| bad("root hash is not canonical base64"))?;
        let root: Hash = root
            .try_into()
            .map_err(|_| bad(&format!("root hash is not {HASH_SIZE} bytes")))?;
        let extensions = lines
            .map(|ext| check_line(ext, "extension").map(|()| ext.to_owned()))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            origin: origin.to_owned(),
            size,
            root,
            extensions,
        })
    }
}

/// A checkpoint signed by our log key: sign and open in one place.
pub fn sign_checkpoint(cp: &Checkpoint, signer: &dyn NoteSigner) -> Result<String, LedgerError> {
    cp.validate()?;
    if signer.name() != cp.origin {
        return Err(LedgerError::InvalidRequest(format!(
            "key name {} is not the checkpoint origin {}",
            signer.name(),
            cp.origin
        )));
    }
    sign_note(&cp.to_body(), &[signer])
}

/// Open a signed checkpoint: the note must carry a valid signature of `verifier`, whose name must equal the checkpoint's origin.
pub fn open_checkpoint(note: &[u8], verifier: &NoteVerifier) -> Result<Checkpoint, LedgerError> {
    let opened = open_note(note, &Verifiers::new(vec![verifier.clone()]))?;
    let cp = Checkpoint::parse(&opened.text)?;
    if cp.origin != verifier.name() {
        return Err(LedgerError::malformed(
            "checkpoint",
            format!(
                "origin {:?} is not the log key name {:?}",
                cp.origin,
                verifier.name()
            ),
        ));
    }
    Ok(cp)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::note::Ed25519Signer;
    use proptest::prelude::*;

    const BODY: &str =
        "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";

    fn log() -> Ed25519Signer {
        Ed25519Signer::from_seed("example.com/behind-the-sofa", [9; 32]).unwrap()
    }

    #[test]
    fn parse_spec_example() {
        let cp = Checkpoint::parse(BODY).unwrap();
        assert_eq!(cp.origin, "example.com/behind-the-sofa");
        assert_eq!(cp.size, 20852163);
        assert_eq!(
            BASE64.encode(cp.root),
            "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I="
        );
        assert!(cp.extensions.is_empty());
        assert_eq!(cp.to_body(), BODY);
    }

    #[test]
    fn extensions_round_trip() {
        let body = format!("{BODY}ext one\nsecond ext\n");
        let cp = Checkpoint::parse(&body).unwrap();
        assert_eq!(cp.extensions, ["ext one", "second ext"]);
        assert_eq!(cp.to_body(), body);
    }

    #[test]
    fn zero_and_max_sizes() {
        let root = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";
        let cp = Checkpoint::parse(&format!("o\n0\n{root}\n")).unwrap();
        assert_eq!(cp.size, 0);
        assert_eq!(cp.root, crate::hash::empty_root());
        let cp = Checkpoint::parse(&format!("o\n{}\n{root}\n", u64::MAX)).unwrap();
        assert_eq!(cp.size, u64::MAX);
    }

    #[test]
    fn malformed_bodies() {
        let root = "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=";
        let cases = [
            String::new(),
            "\n".to_owned(),
            BODY.trim_end().to_owned(),   // no final newline
            format!("\n1\n{root}\n"),     // empty origin
            format!("o\n\n{root}\n"),     // empty size
            format!("o\n01\n{root}\n"),   // leading zero
            format!("o\n00\n{root}\n"),   // leading zero
            format!("o\n+1\n{root}\n"),   // sign
            format!("o\n-1\n{root}\n"),   // negative
            format!("o\n 1\n{root}\n"),   // space
            format!("o\n0x10\n{root}\n"), // hex
            format!("o\n1.0\n{root}\n"),  // not an integer
            format!("o\n18446744073709551616\n{root}\n"), // u64::MAX + 1
            "o\n1\n".to_owned(),          // no root
            "o\n1\n\n".to_owned(),        // empty root
            format!("o\n1\n{}\n", &root[..root.len() - 1]), // no padding
            format!("o\n1\n{}\n", root.replace("2I=", "2J=")), // non-canonical bits
            "o\n1\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBTOOBIG=\n".to_owned(), // 35 bytes
            "o\n1\nAAAA\n".to_owned(),    // 3 bytes
            format!("o\n1\n{root}\n\n"),  // empty extension line
            format!("o\n1\n{root}\next\n\n"), // empty extension line
            format!("o\n1\n{root} \n"),   // trailing space on root
            format!("o\r\n1\n{root}\n"),  // CR
            format!("o\n1\r\n{root}\n"),  // CR
            format!("o\n1\n{root}\nex\tt\n"), // control character
        ];
        for c in cases {
            assert!(
                matches!(
                    Checkpoint::parse(&c),
                    Err(LedgerError::Malformed {
                        what: "checkpoint",
                        ..
                    })
                ),
                "{c:?}"
            );
        }
    }

    #[test]
    fn sign_and_open() {
        let log = log();
        let cp = Checkpoint::parse(BODY).unwrap();
        let note = sign_checkpoint(&cp, &log).unwrap();
        assert!(note.starts_with(&format!("{BODY}\n\u{2014} example.com/behind-the-sofa ")));
        assert_eq!(
            open_checkpoint(note.as_bytes(), &log.verifier()).unwrap(),
            cp
        );
        // Another key: no valid signature.
        let other = Ed25519Signer::from_seed("example.com/behind-the-sofa", [8; 32]).unwrap();
        assert!(matches!(
            open_checkpoint(note.as_bytes(), &other.verifier()),
            Err(LedgerError::NoValidSignature)
        ));
    }

    #[test]
    fn origin_must_match_key_name() {
        let cp = Checkpoint::parse(BODY).unwrap();
        let wrong = Ed25519Signer::from_seed("example.com/other", [9; 32]).unwrap();
        assert!(matches!(
            sign_checkpoint(&cp, &wrong),
            Err(LedgerError::InvalidRequest(_))
        ));
        // A note signed by a key whose name is not the origin opens as a note but not as a checkpoint.
        let note = crate::note::sign_note(BODY, &[&wrong]).unwrap();
        assert!(matches!(
            open_checkpoint(note.as_bytes(), &wrong.verifier()),
            Err(LedgerError::Malformed {
                what: "checkpoint",
                ..
            })
        ));
    }

    #[test]
    fn signed_non_checkpoint_rejected() {
        let log = log();
        let note =
            crate::note::sign_note("example.com/behind-the-sofa\nnot a size\n", &[&log]).unwrap();
        assert!(matches!(
            open_checkpoint(note.as_bytes(), &log.verifier()),
            Err(LedgerError::Malformed {
                what: "checkpoint",
                ..
            })
        ));
    }

    #[test]
    fn sign_rejects_unserialisable_checkpoints() {
        let log = log();
        let good = Checkpoint::parse(BODY).unwrap();
        let mut bad = good.clone();
        bad.origin = "example.com/behind-the-sofa\n5".into();
        assert!(sign_checkpoint(&bad, &log).is_err());
        let mut bad = good.clone();
        bad.extensions = vec![String::new()];
        assert!(sign_checkpoint(&bad, &log).is_err());
        let mut bad = good;
        bad.extensions = vec!["a\nb".into()];
        assert!(sign_checkpoint(&bad, &log).is_err());
    }

    proptest! {
        #[test]
        fn parse_never_panics(s in any::<String>()) {
            let _ = Checkpoint::parse(&s);
        }

        #[test]
        fn parse_never_panics_on_checkpoint_like_input(
            s in "[a-z0]{0,3}\n[0-9+ -]{0,22}\n[A-Za-z0-9+/= ]{0,48}\n([a-z\n]{0,4}\n){0,2}"
        ) {
            let _ = Checkpoint::parse(&s);
        }

        #[test]
        fn body_round_trip(
            origin in "[!-~]{1,40}",
            size in any::<u64>(),
            root in any::<[u8; 32]>(),
            extensions in proptest::collection::vec("[ -~]{1,20}", 0..3),
        ) {
            let cp = Checkpoint { origin, size, root, extensions };
            prop_assert!(cp.validate().is_ok());
            prop_assert_eq!(Checkpoint::parse(&cp.to_body()).unwrap(), cp);
        }
    }
}
