//! The evidence bundle: everything a third party holding only the log's verifier key needs to
//! check that one entry is in the log (and, unless its bodies were pruned, what the entry said).
//!
//! Wire form (`authtrail-evidence/v1`): a pretty-printed JSON object with exactly these keys in this
//! order, byte fields in standard base64 with padding, and a final newline:
//!
//! ```text
//! {"format":"authtrail-evidence/v1","seq":N,"tree_size":M,"header":"b64","salt":"b64"|null,
//!  "event":"b64"|null,"raw":"b64"|null,"inclusion_proof":["b64",...],"checkpoint":"<signed note>"}
//! ```
//!
//! Reading is strict: a file is accepted only if writing it back reproduces it byte for byte, so
//! every byte of a bundle is either checked by [`Evidence::verify`] or rejected by
//! [`Evidence::from_json`].

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use serde::{Deserialize, Serialize};

use crate::checkpoint::{open_checkpoint, Checkpoint};
use crate::entry::{EntryHeader, Salt};
use crate::error::LedgerError;
use crate::hash::{leaf_hash, Hash};
use crate::note::NoteVerifier;
use crate::proof::verify_inclusion;

/// The `format` value of version 1 of the wire form.
pub const EVIDENCE_FORMAT: &str = "authtrail-evidence/v1";

/// Proof of one entry: its header, bodies, inclusion proof and the signed checkpoint it is proven against.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Evidence {
    /// The entry's position in the log.
    pub seq: u64,
    /// The entry header's bytes (the Merkle leaf).
    pub header: Vec<u8>,
    /// The entry's salt; `None` once its bodies were pruned.
    pub salt: Option<Salt>,
    /// The canonical event body; `None` once pruned.
    pub event: Option<Vec<u8>>,
    /// The raw input body; `None` once pruned.
    pub raw: Option<Vec<u8>>,
    /// Size of the tree the proof is against; must equal the checkpoint's size.
    pub tree_size: u64,
    /// Inclusion proof of the header's leaf hash at `seq` in the tree of `tree_size` leaves.
    pub inclusion_proof: Vec<Hash>,
    /// The whole signed checkpoint note.
    pub checkpoint: String,
}

/// What a valid bundle proves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedEvidence {
    /// The decoded entry header, proven to be at its seq in the log.
    pub header: EntryHeader,
    /// The signed checkpoint the header is proven against.
    pub checkpoint: Checkpoint,
    /// Whether the event and raw bodies were present and matched the header's digests.
    pub bodies_checked: bool,
}

/// The JSON form, field order as written.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Wire {
    format: String,
    seq: u64,
    tree_size: u64,
    header: String,
    salt: Option<String>,
    event: Option<String>,
    raw: Option<String>,
    inclusion_proof: Vec<String>,
    checkpoint: String,
}

fn malformed(reason: impl Into<String>) -> LedgerError {
    LedgerError::malformed("evidence", reason)
}

/// Standard padded base64 of `field`, or a [`LedgerError::Malformed`] about `what`.
pub(crate) fn decode_b64(
    what: &'static str,
    field: &str,
    text: &str,
) -> Result<Vec<u8>, LedgerError> {
    BASE64.decode(text).map_err(|e| {
        LedgerError::malformed(what, format!("{field} is not standard padded base64: {e}"))
    })
}

/// Like [`decode_b64`], for a field of exactly `N` bytes (a salt, a hash).
pub(crate) fn decode_fixed<const N: usize>(
    what: &'static str,
    field: &str,
    text: &str,
) -> Result<[u8; N], LedgerError> {
    let bytes = decode_b64(what, field, text)?;
    let len = bytes.len();
    bytes
        .try_into()
        .map_err(|_| LedgerError::malformed(what, format!("{field} is {len} bytes, expected {N}")))
}

/// One entry's proof material, borrowed: what a bundle carries besides its checkpoint, and what
/// each entry of an evidence set carries.
pub(crate) struct EntryProof<'a> {
    /// The entry's position in the log.
    pub(crate) seq: u64,
    /// The entry header's bytes (the Merkle leaf).
    pub(crate) header: &'a [u8],
    /// The salt, `None` once pruned.
    pub(crate) salt: Option<&'a Salt>,
    /// The event body, `None` once pruned.
    pub(crate) event: Option<&'a [u8]>,
    /// The raw body, `None` once pruned.
    pub(crate) raw: Option<&'a [u8]>,
    /// Inclusion proof of the header's leaf hash at `seq`.
    pub(crate) inclusion_proof: &'a [Hash],
}

/// What [`EntryProof::check`] established.
pub(crate) struct CheckedEntry {
    /// The decoded header, proven to be at its seq.
    pub(crate) header: EntryHeader,
    /// Whether the bodies were present and matched the header's digests.
    pub(crate) bodies_checked: bool,
}

impl EntryProof<'_> {
    /// The per-entry check, against a tree of `tree_size` leaves whose `root` the caller has
    /// already taken from a verified checkpoint: the header decodes and carries `seq`, `seq` is in
    /// the tree, the inclusion proof leads to the root, and the bodies (all present or all absent)
    /// match the header's salted digests. Malformed input is reported as `what`; a failed proof's
    /// message does not name the seq (the caller does).
    pub(crate) fn check(
        &self,
        tree_size: u64,
        root: &Hash,
        what: &'static str,
    ) -> Result<CheckedEntry, LedgerError> {
        let header = EntryHeader::decode(self.header)?;
        if header.seq != self.seq {
            return Err(LedgerError::malformed(
                what,
                format!(
                    "seq is {}, but the entry header carries seq {}",
                    self.seq, header.seq
                ),
            ));
        }
        if self.seq >= tree_size {
            return Err(LedgerError::malformed(
                what,
                format!("seq {} is not below the tree size {tree_size}", self.seq),
            ));
        }
        verify_inclusion(
            self.seq,
            tree_size,
            &leaf_hash(self.header),
            self.inclusion_proof,
            root,
        )?;
        let bodies_checked = match (self.salt, self.event, self.raw) {
            (Some(salt), Some(event), Some(raw)) => {
                let check = header.check_bodies(salt, event, raw);
                let damage = match (check.event_ok, check.raw_ok) {
                    (true, true) => None,
                    (false, true) => Some(
                        "the event body does not match the header's event digest (event body or salt altered)",
                    ),
                    (true, false) => Some(
                        "the raw body does not match the header's raw digest (raw body or salt altered)",
                    ),
                    (false, false) => Some(
                        "neither the event nor the raw body matches the header's digests (bodies or salt altered)",
                    ),
                };
                if let Some(damage) = damage {
                    return Err(LedgerError::ProofRejected(damage.to_owned()));
                }
                true
            }
            (None, None, None) => false,
            _ => {
                return Err(LedgerError::malformed(
                    what,
                    "salt, event and raw must be all present or all null (pruned entry)",
                ))
            }
        };
        Ok(CheckedEntry {
            header,
            bodies_checked,
        })
    }
}

impl Evidence {
    /// The wire form: pretty-printed JSON (keys in the documented order) and a final newline.
    pub fn to_json(&self) -> String {
        let wire = Wire {
            format: EVIDENCE_FORMAT.to_owned(),
            seq: self.seq,
            tree_size: self.tree_size,
            header: BASE64.encode(&self.header),
            salt: self.salt.map(|s| BASE64.encode(s)),
            event: self.event.as_ref().map(|b| BASE64.encode(b)),
            raw: self.raw.as_ref().map(|b| BASE64.encode(b)),
            inclusion_proof: self
                .inclusion_proof
                .iter()
                .map(|h| BASE64.encode(h))
                .collect(),
            checkpoint: self.checkpoint.clone(),
        };
        // Serialising plain strings, integers and options cannot fail; fall back to compact JSON
        // (which from_json then refuses) rather than panic.
        let mut text = serde_json::to_string_pretty(&wire).unwrap_or_default();
        text.push('\n');
        text
    }

    /// Read the wire form strictly: `to_json(from_json(t))` must reproduce `t` byte for byte.
    pub fn from_json(text: &str) -> Result<Self, LedgerError> {
        let wire: Wire = serde_json::from_str(text)
            .map_err(|e| malformed(format!("not an evidence bundle: {e}")))?;
        if wire.format != EVIDENCE_FORMAT {
            return Err(malformed(format!(
                "format is {:?}; this program reads {EVIDENCE_FORMAT:?}",
                wire.format
            )));
        }
        let evidence = Evidence {
            seq: wire.seq,
            header: decode_b64("evidence", "header", &wire.header)?,
            salt: wire
                .salt
                .as_deref()
                .map(|s| decode_fixed("evidence", "salt", s))
                .transpose()?,
            event: wire
                .event
                .as_deref()
                .map(|s| decode_b64("evidence", "event", s))
                .transpose()?,
            raw: wire
                .raw
                .as_deref()
                .map(|s| decode_b64("evidence", "raw", s))
                .transpose()?,
            tree_size: wire.tree_size,
            inclusion_proof: wire
                .inclusion_proof
                .iter()
                .map(|h| decode_fixed("evidence", "inclusion_proof hash", h))
                .collect::<Result<_, _>>()?,
            checkpoint: wire.checkpoint,
        };
        if evidence.to_json() != text {
            return Err(malformed(
                "not in canonical form (whitespace, key order, escaping or base64 differ from what authtrail writes): the file was edited",
            ));
        }
        Ok(evidence)
    }

    /// Check the bundle against the log's verifier key: signature, sizes, inclusion and bodies.
    pub fn verify(&self, key: &NoteVerifier) -> Result<VerifiedEvidence, LedgerError> {
        let checkpoint = open_checkpoint(self.checkpoint.as_bytes(), key)?;
        if checkpoint.size != self.tree_size {
            return Err(malformed(format!(
                "tree_size is {}, but the checkpoint is for a tree of {} entries",
                self.tree_size, checkpoint.size
            )));
        }
        let checked = self
            .entry_proof()
            .check(self.tree_size, &checkpoint.root, "evidence")
            .map_err(|e| match e {
                LedgerError::ProofRejected(m) => {
                    LedgerError::ProofRejected(format!("entry {}: {m}", self.seq))
                }
                other => other,
            })?;
        Ok(VerifiedEvidence {
            header: checked.header,
            checkpoint,
            bodies_checked: checked.bodies_checked,
        })
    }

    /// The entry's proof material, borrowed for the shared per-entry check.
    fn entry_proof(&self) -> EntryProof<'_> {
        EntryProof {
            seq: self.seq,
            header: &self.header,
            salt: self.salt.as_ref(),
            event: self.event.as_deref(),
            raw: self.raw.as_deref(),
            inclusion_proof: &self.inclusion_proof,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checkpoint::sign_checkpoint;
    use crate::entry::salted_digest;
    use crate::note::Ed25519Signer;
    use crate::proof::inclusion_proof;
    use crate::tree::MemoryTree;

    struct Entry {
        header: Vec<u8>,
        salt: Salt,
        event: Vec<u8>,
        raw: Vec<u8>,
    }

    struct Fixture {
        signer: Ed25519Signer,
        entries: Vec<Entry>,
        tree: MemoryTree,
        note: String,
    }

    fn random<const N: usize>() -> [u8; N] {
        let mut b = [0u8; N];
        getrandom::fill(&mut b).unwrap();
        b
    }

    fn fixture() -> Fixture {
        let signer = Ed25519Signer::generate("example.org/log").unwrap();
        let mut entries = Vec::new();
        let mut tree = MemoryTree::new();
        for seq in 0..20u64 {
            let salt: Salt = random();
            let event = format!(
                "{{\"class_uid\":3002,\"n\":{}}}",
                u32::from_be_bytes(random())
            )
            .into_bytes();
            let raw = random::<24>().to_vec();
            let header = EntryHeader {
                seq,
                received_at_ns: 1_764_000_000_000_000_000 + seq as i64,
                class_uid: 3002,
                event_digest: salted_digest(&salt, &event),
                raw_digest: salted_digest(&salt, &raw),
                source: "okta-prod".into(),
            }
            .encode()
            .unwrap();
            tree.push(leaf_hash(&header));
            entries.push(Entry {
                header,
                salt,
                event,
                raw,
            });
        }
        let cp = Checkpoint {
            origin: "example.org/log".into(),
            size: tree.size(),
            root: tree.root(),
            extensions: vec![],
        };
        let note = sign_checkpoint(&cp, &signer).unwrap();
        Fixture {
            signer,
            entries,
            tree,
            note,
        }
    }

    fn evidence(f: &Fixture, seq: u64) -> Evidence {
        let e = &f.entries[seq as usize];
        Evidence {
            seq,
            header: e.header.clone(),
            salt: Some(e.salt),
            event: Some(e.event.clone()),
            raw: Some(e.raw.clone()),
            tree_size: f.tree.size(),
            inclusion_proof: inclusion_proof(&f.tree, seq, f.tree.size()).unwrap(),
            checkpoint: f.note.clone(),
        }
    }

    fn pruned(mut e: Evidence) -> Evidence {
        e.salt = None;
        e.event = None;
        e.raw = None;
        e
    }

    #[test]
    fn bundles_round_trip_and_verify() {
        let f = fixture();
        let key = f.signer.verifier();
        for seq in [0u64, 1, 7, 16, 19] {
            let ev = evidence(&f, seq);
            let json = ev.to_json();
            assert_eq!(Evidence::from_json(&json).unwrap(), ev);
            let ok = Evidence::from_json(&json).unwrap().verify(&key).unwrap();
            assert!(ok.bodies_checked);
            assert_eq!(ok.header.seq, seq);
            assert_eq!(
                ok.header,
                EntryHeader::decode(&f.entries[seq as usize].header).unwrap()
            );
            assert_eq!(ok.checkpoint.size, 20);
            assert_eq!(ok.checkpoint.root, f.tree.root());
        }
    }

    #[test]
    fn wire_form_has_the_documented_keys_in_order() {
        let f = fixture();
        let ev = pruned(evidence(&f, 3));
        let json = ev.to_json();
        assert!(json.ends_with("}\n"));
        let keys = [
            "format",
            "seq",
            "tree_size",
            "header",
            "salt",
            "event",
            "raw",
            "inclusion_proof",
            "checkpoint",
        ];
        let mut at = 0;
        for k in keys {
            let found = json[at..]
                .find(&format!("\"{k}\": "))
                .unwrap_or_else(|| panic!("{k} in {json}"));
            at += found;
        }
        assert!(json.contains("\"format\": \"authtrail-evidence/v1\""));
        assert!(json.contains("\"seq\": 3,"));
        assert!(json.contains("\"tree_size\": 20,"));
        assert!(json.contains("\"salt\": null,"));
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(value["checkpoint"].as_str(), Some(f.note.as_str()));
        assert_eq!(
            value["header"].as_str(),
            Some(BASE64.encode(&f.entries[3].header).as_str())
        );
    }

    #[test]
    fn pruned_bundles_prove_the_header_only() {
        let f = fixture();
        let ev = pruned(evidence(&f, 5));
        let back = Evidence::from_json(&ev.to_json()).unwrap();
        let ok = back.verify(&f.signer.verifier()).unwrap();
        assert!(!ok.bodies_checked);
        assert_eq!(ok.header.seq, 5);

        // Any mix of present and absent bodies is refused.
        for mask in 1..7u8 {
            let mut mixed = evidence(&f, 5);
            if mask & 1 != 0 {
                mixed.salt = None;
            }
            if mask & 2 != 0 {
                mixed.event = None;
            }
            if mask & 4 != 0 {
                mixed.raw = None;
            }
            let back = Evidence::from_json(&mixed.to_json()).unwrap();
            assert!(
                matches!(
                    back.verify(&f.signer.verifier()),
                    Err(LedgerError::Malformed {
                        what: "evidence",
                        ..
                    })
                ),
                "mask {mask}"
            );
        }
    }

    #[test]
    fn every_changed_byte_is_caught() {
        let f = fixture();
        let key = f.signer.verifier();
        let json = evidence(&f, 11).to_json();
        let mut tried = 0usize;
        for (pos, ch) in json.char_indices() {
            for replacement in b' '..=b'~' {
                let r = char::from(replacement);
                if r == ch {
                    continue;
                }
                // One byte replaced by another printable ASCII byte; a multi-byte character
                // (the em dash of the signature line) is replaced whole to keep the text UTF-8.
                let mut changed = String::with_capacity(json.len());
                changed.push_str(&json[..pos]);
                changed.push(r);
                changed.push_str(&json[pos + ch.len_utf8()..]);
                let result = Evidence::from_json(&changed).and_then(|ev| ev.verify(&key));
                assert!(result.is_err(), "byte {pos} {ch:?} -> {r:?} accepted");
                tried += 1;
            }
        }
        // 95 printable ASCII bytes, less the character itself when it is one of them.
        let printable = json.chars().filter(|c| (' '..='~').contains(c)).count();
        assert_eq!(tried, 95 * json.chars().count() - printable);
    }

    #[test]
    fn tampered_fields_fail_with_useful_errors() {
        let f = fixture();
        let key = f.signer.verifier();

        let other = Ed25519Signer::generate("example.org/log").unwrap();
        assert!(matches!(
            evidence(&f, 2).verify(&other.verifier()),
            Err(LedgerError::NoValidSignature)
        ));
        let renamed = Ed25519Signer::generate("example.org/other").unwrap();
        assert!(evidence(&f, 2).verify(&renamed.verifier()).is_err());

        let mut ev = evidence(&f, 2);
        ev.event = Some(b"{}".to_vec());
        let err = ev.verify(&key).unwrap_err();
        assert!(
            matches!(err, LedgerError::ProofRejected(ref m) if m.contains("event body")),
            "{err}"
        );

        let mut ev = evidence(&f, 2);
        ev.raw = Some(b"x".to_vec());
        let err = ev.verify(&key).unwrap_err();
        assert!(
            matches!(err, LedgerError::ProofRejected(ref m) if m.contains("raw body")),
            "{err}"
        );

        let mut ev = evidence(&f, 2);
        ev.salt = Some([0; 32]);
        assert!(matches!(
            ev.verify(&key),
            Err(LedgerError::ProofRejected(_))
        ));

        // The header of another entry, with its own seq: the proof is for seq 2.
        let mut ev = evidence(&f, 2);
        ev.header = f.entries[3].header.clone();
        assert!(matches!(
            ev.verify(&key),
            Err(LedgerError::Malformed {
                what: "evidence",
                ..
            })
        ));
        ev.seq = 3;
        assert!(matches!(
            ev.verify(&key),
            Err(LedgerError::ProofRejected(_))
        ));

        let mut ev = evidence(&f, 2);
        ev.tree_size = 19;
        assert!(matches!(
            ev.verify(&key),
            Err(LedgerError::Malformed {
                what: "evidence",
                ..
            })
        ));

        let mut ev = evidence(&f, 2);
        ev.inclusion_proof.pop();
        assert!(matches!(
            ev.verify(&key),
            Err(LedgerError::ProofRejected(_))
        ));

        let mut ev = evidence(&f, 2);
        ev.header.pop();
        assert!(matches!(
            ev.verify(&key),
            Err(LedgerError::Malformed {
                what: "entry header",
                ..
            })
        ));

        // A seq beyond the tree, with a header that says so.
        let mut header = EntryHeader::decode(&f.entries[2].header).unwrap();
        header.seq = 20;
        let mut ev = evidence(&f, 2);
        ev.header = header.encode().unwrap();
        ev.seq = 20;
        assert!(matches!(
            ev.verify(&key),
            Err(LedgerError::Malformed {
                what: "evidence",
                ..
            })
        ));
    }

    #[test]
    fn non_canonical_json_is_refused() {
        let f = fixture();
        let json = evidence(&f, 4).to_json();
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        let compact = serde_json::to_string(&value).unwrap();
        for bad in [
            compact.clone(),
            format!("{compact}\n"),
            json.trim_end().to_owned(),
            format!("{json}\n"),
            format!(" {json}"),
            json.replace("\"seq\": 4", "\"seq\": 4.0"),
            json.replace("\"seq\": 4", "\"seq\": 04"),
            json.replace("authtrail-evidence/v1", "authtrail-evidence/v2"),
            json.replace("\"checkpoint\":", "\"extra\": 1,\n  \"checkpoint\":"),
            json.replace("/", "\\/"),
            String::new(),
            "null".into(),
            "[]".into(),
        ] {
            assert!(
                matches!(
                    Evidence::from_json(&bad),
                    Err(LedgerError::Malformed {
                        what: "evidence",
                        ..
                    })
                ),
                "{bad:?}"
            );
        }
    }
}
