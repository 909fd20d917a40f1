//! The evidence set: many entries proven against one signed checkpoint, for a third party
//! holding only the log's verifier key (what `authtrail export --evidence` writes).
//!
//! Wire form (`authtrail-evidence-set/v1`): a pretty-printed JSON object with exactly these keys
//! in this order, byte fields in standard base64 with padding, and a final newline:
//!
//! ```text
//! {"format":"authtrail-evidence-set/v1","tree_size":M,"query":"...","checkpoint":"<signed note>",
//!  "entries":[{"seq":N,"header":"b64","salt":"b64"|null,"event":"b64"|null,"raw":"b64"|null,
//!              "inclusion_proof":["b64",...]}, ...]}
//! ```
//!
//! Entries are in strictly ascending seq order. Each entry is checked exactly as a single
//! [`Evidence`] bundle is (the same code), against the one checkpoint.
//! Reading is strict: a file is accepted only if writing it back reproduces it byte for byte.
//! The `query` is a label saying what was exported; nothing the log signs covers it, so it is
//! not proven, and a set proves that each listed entry is in the log, not that the list is
//! everything the query matches.
//!
//! [`write_evidence_set`] writes the wire form an entry at a time (an export need not hold its
//! set in memory); [`EvidenceSet::to_json`] is the same writer over entries in memory.

use std::borrow::Borrow;
use std::cell::{Cell, RefCell};
use std::io::Write;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use serde::ser::{Error as _, SerializeSeq};
use serde::{Deserialize, Serialize, Serializer};

use crate::checkpoint::{open_checkpoint, Checkpoint};
use crate::entry::{EntryHeader, Salt};
use crate::error::LedgerError;
use crate::evidence::{decode_b64, decode_fixed, EntryProof, Evidence, EVIDENCE_FORMAT};
use crate::hash::Hash;
use crate::note::NoteVerifier;

/// The `format` value of version 1 of the wire form.
pub const EVIDENCE_SET_FORMAT: &str = "authtrail-evidence-set/v1";

/// What malformed sets are reported as.
const WHAT: &str = "evidence set";

/// One entry of a set: a single bundle's fields without the checkpoint and tree size.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SetEntry {
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
    /// Inclusion proof of the header's leaf hash at `seq` in the set's tree.
    pub inclusion_proof: Vec<Hash>,
}

/// Proof of many entries against one signed checkpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EvidenceSet {
    /// Size of the tree every proof is against; must equal the checkpoint's size.
    pub tree_size: u64,
    /// The query the entries were exported for (a label; not proven).
    pub query: String,
    /// The whole signed checkpoint note.
    pub checkpoint: String,
    /// The entries, in strictly ascending seq order.
    pub entries: Vec<SetEntry>,
}

/// One entry of a set that verified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedEntry {
    /// The decoded entry header, proven to be at its seq in the log.
    pub header: EntryHeader,
    /// Whether the event and raw bodies were present and matched the header's digests.
    pub bodies_checked: bool,
}

/// What a valid set proves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedSet {
    /// The signed checkpoint every entry is proven against.
    pub checkpoint: Checkpoint,
    /// The entries, in the set's order.
    pub entries: Vec<VerifiedEntry>,
}

impl VerifiedSet {
    /// How many entries had their bodies checked (the rest were pruned: header only).
    pub fn bodies_checked(&self) -> usize {
        self.entries.iter().filter(|e| e.bodies_checked).count()
    }
}

/// The JSON form, field order as written.
#[derive(Serialize)]
struct WireOut<'a, E> {
    format: &'a str,
    tree_size: u64,
    query: &'a str,
    checkpoint: &'a str,
    entries: E,
}

/// The JSON form as read.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WireIn {
    format: String,
    tree_size: u64,
    query: String,
    checkpoint: String,
    entries: Vec<WireEntry>,
}

/// One entry's JSON form, field order as written.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct WireEntry {
    seq: u64,
    header: String,
    salt: Option<String>,
    event: Option<String>,
    raw: Option<String>,
    inclusion_proof: Vec<String>,
}

impl WireEntry {
    fn from_entry(e: &SetEntry) -> Self {
        WireEntry {
            seq: e.seq,
            header: BASE64.encode(&e.header),
            salt: e.salt.map(|s| BASE64.encode(s)),
            event: e.event.as_ref().map(|b| BASE64.encode(b)),
            raw: e.raw.as_ref().map(|b| BASE64.encode(b)),
            inclusion_proof: e.inclusion_proof.iter().map(|h| BASE64.encode(h)).collect(),
        }
    }

    fn decode(self, index: usize) -> Result<SetEntry, LedgerError> {
        let seq = self.seq;
        let at = |e: LedgerError| match e {
            LedgerError::Malformed { reason, .. } => {
                LedgerError::malformed(WHAT, format!("entries[{index}] (seq {seq}): {reason}"))
            }
            other => other,
        };
        Ok(SetEntry {
            seq,
            header: decode_b64(WHAT, "header", &self.header).map_err(at)?,
            salt: self
                .salt
                .as_deref()
                .map(|s| decode_fixed(WHAT, "salt", s))
                .transpose()
                .map_err(at)?,
            event: self
                .event
                .as_deref()
                .map(|s| decode_b64(WHAT, "event", s))
                .transpose()
                .map_err(at)?,
            raw: self
                .raw
                .as_deref()
                .map(|s| decode_b64(WHAT, "raw", s))
                .transpose()
                .map_err(at)?,
            inclusion_proof: self
                .inclusion_proof
                .iter()
                .map(|h| decode_fixed(WHAT, "inclusion_proof hash", h))
                .collect::<Result<_, _>>()
                .map_err(at)?,
        })
    }
}

/// The entries as a JSON array serialized straight from an iterator, each entry encoded as it
/// is reached, checking that seqs ascend and stay below the tree size.
struct Streamed<I> {
    entries: RefCell<Option<I>>,
    tree_size: u64,
    written: Cell<u64>,
}

impl<I> Serialize for Streamed<I>
where
    I: Iterator,
    I::Item: Borrow<SetEntry>,
{
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let entries = self
            .entries
            .borrow_mut()
            .take()
            .ok_or_else(|| S::Error::custom("the entries were already written"))?;
        let mut seq_out = serializer.serialize_seq(None)?;
        let mut last: Option<u64> = None;
        for entry in entries {
            let entry = entry.borrow();
            if last.is_some_and(|l| entry.seq <= l) {
                return Err(S::Error::custom(format!(
                    "entries must be in strictly ascending seq order: seq {} after seq {}",
                    entry.seq,
                    last.unwrap_or_default()
                )));
            }
            if entry.seq >= self.tree_size {
                return Err(S::Error::custom(format!(
                    "seq {} is not below the tree size {}",
                    entry.seq, self.tree_size
                )));
            }
            last = Some(entry.seq);
            seq_out.serialize_element(&WireEntry::from_entry(entry))?;
            self.written.set(self.written.get() + 1);
        }
        seq_out.end()
    }
}

/// Write a set's wire form to `out`, taking its entries one at a time from `entries` (which must
/// come in strictly ascending seq order, below `tree_size`). Returns how many entries it wrote.
/// The bytes are those of [`EvidenceSet::to_json`] for the same contents.
pub fn write_evidence_set<W, I>(
    mut out: W,
    tree_size: u64,
    query: &str,
    checkpoint: &str,
    entries: I,
) -> Result<u64, LedgerError>
where
    W: Write,
    I: IntoIterator,
    I::Item: Borrow<SetEntry>,
{
    let streamed = Streamed {
        entries: RefCell::new(Some(entries.into_iter())),
        tree_size,
        written: Cell::new(0),
    };
    let wire = WireOut {
        format: EVIDENCE_SET_FORMAT,
        tree_size,
        query,
        checkpoint,
        entries: &streamed,
    };
    let failed = |e: serde_json::Error| {
        if e.is_io() {
            LedgerError::Storage(Box::new(e))
        } else {
            LedgerError::InvalidRequest(format!("cannot write the evidence set: {e}"))
        }
    };
    serde_json::to_writer_pretty(&mut out, &wire).map_err(failed)?;
    out.write_all(b"\n")
        .map_err(|e| LedgerError::Storage(Box::new(e)))?;
    Ok(streamed.written.get())
}

/// A writer that compares what is written with expected bytes instead of storing it.
struct SameAs<'a> {
    rest: &'a [u8],
    same: bool,
}

impl Write for SameAs<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.same {
            match self.rest.strip_prefix(buf) {
                Some(rest) => self.rest = rest,
                None => self.same = false,
            }
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl EvidenceSet {
    /// The wire form: pretty-printed JSON (keys in the documented order) and a final newline.
    pub fn to_json(&self) -> Result<String, LedgerError> {
        let mut out = Vec::new();
        write_evidence_set(
            &mut out,
            self.tree_size,
            &self.query,
            &self.checkpoint,
            &self.entries,
        )?;
        String::from_utf8(out)
            .map_err(|_| LedgerError::InvalidRequest("the wire form is not UTF-8".into()))
    }

    /// Read the wire form strictly: writing the result back must reproduce `text` byte for byte.
    pub fn from_json(text: &str) -> Result<Self, LedgerError> {
        let wire: WireIn = serde_json::from_str(text)
            .map_err(|e| LedgerError::malformed(WHAT, format!("not an evidence set: {e}")))?;
        if wire.format != EVIDENCE_SET_FORMAT {
            return Err(LedgerError::malformed(
                WHAT,
                format!(
                    "format is {:?}; this program reads {EVIDENCE_SET_FORMAT:?}",
                    wire.format
                ),
            ));
        }
        let entries = wire
            .entries
            .into_iter()
            .enumerate()
            .map(|(i, e)| e.decode(i))
            .collect::<Result<Vec<_>, _>>()?;
        let mut last: Option<u64> = None;
        for e in &entries {
            if let Some(l) = last.filter(|&l| e.seq <= l) {
                return Err(LedgerError::malformed(
                    WHAT,
                    format!(
                        "seq {} follows seq {l}: entries must be in strictly ascending seq order",
                        e.seq
                    ),
                ));
            }
            if e.seq >= wire.tree_size {
                return Err(LedgerError::malformed(
                    WHAT,
                    format!(
                        "seq {} is not below the tree size {}",
                        e.seq, wire.tree_size
                    ),
                ));
            }
            last = Some(e.seq);
        }
        let set = EvidenceSet {
            tree_size: wire.tree_size,
            query: wire.query,
            checkpoint: wire.checkpoint,
            entries,
        };
        let mut same = SameAs {
            rest: text.as_bytes(),
            same: true,
        };
        write_evidence_set(
            &mut same,
            set.tree_size,
            &set.query,
            &set.checkpoint,
            &set.entries,
        )
        .map_err(|e| LedgerError::malformed(WHAT, e.to_string()))?;
        if !same.same || !same.rest.is_empty() {
            return Err(LedgerError::malformed(
                WHAT,
                "not in canonical form (whitespace, key order, escaping or base64 differ from what authtrail writes): the file was edited",
            ));
        }
        Ok(set)
    }

    /// Check the set against the log's verifier key: the checkpoint's signature and size once,
    /// then every entry (inclusion and bodies) with the single bundle's check. The first entry
    /// that fails is reported as [`LedgerError::EntryRejected`] with its seq.
    pub fn verify(&self, key: &NoteVerifier) -> Result<VerifiedSet, LedgerError> {
        let checkpoint = open_checkpoint(self.checkpoint.as_bytes(), key)?;
        if checkpoint.size != self.tree_size {
            return Err(LedgerError::malformed(
                WHAT,
                format!(
                    "tree_size is {}, but the checkpoint is for a tree of {} entries",
                    self.tree_size, checkpoint.size
                ),
            ));
        }
        let mut entries = Vec::with_capacity(self.entries.len());
        let mut last: Option<u64> = None;
        for e in &self.entries {
            if last.is_some_and(|l| e.seq <= l) {
                return Err(LedgerError::malformed(
                    WHAT,
                    format!(
                        "seq {} follows seq {}: entries must be in strictly ascending seq order",
                        e.seq,
                        last.unwrap_or_default()
                    ),
                ));
            }
            last = Some(e.seq);
            let proof = EntryProof {
                seq: e.seq,
                header: &e.header,
                salt: e.salt.as_ref(),
                event: e.event.as_deref(),
                raw: e.raw.as_deref(),
                inclusion_proof: &e.inclusion_proof,
            };
            let checked = proof
                .check(self.tree_size, &checkpoint.root, WHAT)
                .map_err(|reason| LedgerError::EntryRejected {
                    seq: e.seq,
                    reason: Box::new(reason),
                })?;
            entries.push(VerifiedEntry {
                header: checked.header,
                bodies_checked: checked.bodies_checked,
            });
        }
        Ok(VerifiedSet {
            checkpoint,
            entries,
        })
    }
}

/// Either kind of evidence file, told apart by its `format`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AnyEvidence {
    /// `authtrail-evidence/v1`: one entry.
    Single(Evidence),
    /// `authtrail-evidence-set/v1`: many entries against one checkpoint.
    Set(EvidenceSet),
}

impl AnyEvidence {
    /// Read either wire form, strictly, dispatching on the `format` value.
    pub fn from_json(text: &str) -> Result<Self, LedgerError> {
        #[derive(Deserialize)]
        struct Probe {
            format: String,
        }
        let probe: Probe = serde_json::from_str(text).map_err(|e| {
            LedgerError::malformed("evidence", format!("not an evidence file: {e}"))
        })?;
        match probe.format.as_str() {
            EVIDENCE_FORMAT => Evidence::from_json(text).map(AnyEvidence::Single),
            EVIDENCE_SET_FORMAT => EvidenceSet::from_json(text).map(AnyEvidence::Set),
            other => Err(LedgerError::malformed(
                "evidence",
                format!(
                    "format is {other:?}; this program reads {EVIDENCE_FORMAT:?} and {EVIDENCE_SET_FORMAT:?}"
                ),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checkpoint::sign_checkpoint;
    use crate::entry::salted_digest;
    use crate::hash::leaf_hash;
    use crate::note::Ed25519Signer;
    use crate::proof::inclusion_proof;
    use crate::tree::MemoryTree;

    struct Fixture {
        signer: Ed25519Signer,
        entries: Vec<SetEntry>,
        tree: MemoryTree,
        note: String,
    }

    fn random<const N: usize>() -> [u8; N] {
        let mut b = [0u8; N];
        getrandom::fill(&mut b).unwrap();
        b
    }

    /// A log of 30 entries; `entries[i]` is the full set entry of seq `i`.
    fn fixture() -> Fixture {
        let signer = Ed25519Signer::generate("example.org/log").unwrap();
        let mut tree = MemoryTree::new();
        let mut bodies = Vec::new();
        for seq in 0..30u64 {
            let salt: Salt = random();
            let event = format!("{{\"class_uid\":3002,\"n\":{seq}}}").into_bytes();
            let raw = random::<16>().to_vec();
            let header = EntryHeader {
                seq,
                received_at_ns: 1_764_000_000_000_000_000 + seq as i64,
                class_uid: 3002,
                event_digest: salted_digest(&salt, &event),
                raw_digest: salted_digest(&salt, &raw),
                source: "web1".into(),
            }
            .encode()
            .unwrap();
            tree.push(leaf_hash(&header));
            bodies.push((header, salt, event, raw));
        }
        let size = tree.size();
        let entries = bodies
            .into_iter()
            .enumerate()
            .map(|(seq, (header, salt, event, raw))| SetEntry {
                seq: seq as u64,
                header,
                salt: Some(salt),
                event: Some(event),
                raw: Some(raw),
                inclusion_proof: inclusion_proof(&tree, seq as u64, size).unwrap(),
            })
            .collect();
        let note = sign_checkpoint(
            &Checkpoint {
                origin: "example.org/log".into(),
                size,
                root: tree.root(),
                extensions: vec![],
            },
            &signer,
        )
        .unwrap();
        Fixture {
            signer,
            entries,
            tree,
            note,
        }
    }

    fn set(f: &Fixture, seqs: &[u64]) -> EvidenceSet {
        EvidenceSet {
            tree_size: f.tree.size(),
            query: "user=alice status=failure".into(),
            checkpoint: f.note.clone(),
            entries: seqs
                .iter()
                .map(|&s| f.entries[s as usize].clone())
                .collect(),
        }
    }

    fn pruned(mut e: SetEntry) -> SetEntry {
        e.salt = None;
        e.event = None;
        e.raw = None;
        e
    }

    #[test]
    fn sets_round_trip_and_verify() {
        let f = fixture();
        let key = f.signer.verifier();
        let mut s = set(&f, &[0, 3, 4, 17, 29]);
        s.entries[2] = pruned(s.entries[2].clone());
        let json = s.to_json().unwrap();
        let back = EvidenceSet::from_json(&json).unwrap();
        assert_eq!(back, s);
        let ok = back.verify(&key).unwrap();
        assert_eq!(ok.checkpoint.size, 30);
        assert_eq!(ok.checkpoint.root, f.tree.root());
        let seqs: Vec<u64> = ok.entries.iter().map(|e| e.header.seq).collect();
        assert_eq!(seqs, [0, 3, 4, 17, 29]);
        assert_eq!(ok.bodies_checked(), 4);
        assert!(!ok.entries[2].bodies_checked);

        let empty = set(&f, &[]);
        let json = empty.to_json().unwrap();
        assert!(json.contains("\"entries\": []\n"), "{json}");
        let ok = EvidenceSet::from_json(&json).unwrap().verify(&key).unwrap();
        assert!(ok.entries.is_empty());
    }

    #[test]
    fn the_streamed_form_is_serde_json_pretty_output_in_the_documented_order() {
        let f = fixture();
        for seqs in [&[][..], &[5], &[1, 2, 28]] {
            let s = set(&f, seqs);
            let whole = WireOut {
                format: EVIDENCE_SET_FORMAT,
                tree_size: s.tree_size,
                query: &s.query,
                checkpoint: &s.checkpoint,
                entries: s
                    .entries
                    .iter()
                    .map(WireEntry::from_entry)
                    .collect::<Vec<_>>(),
            };
            let mut want = serde_json::to_string_pretty(&whole).unwrap();
            want.push('\n');
            assert_eq!(s.to_json().unwrap(), want);
        }
        let json = set(&f, &[7]).to_json().unwrap();
        let keys = [
            "format",
            "tree_size",
            "query",
            "checkpoint",
            "entries",
            "seq",
            "header",
            "salt",
            "event",
            "raw",
            "inclusion_proof",
        ];
        let mut at = 0;
        for k in keys {
            at += json[at..]
                .find(&format!("\"{k}\": "))
                .unwrap_or_else(|| panic!("{k} after byte {at} in {json}"));
        }
        assert!(json.starts_with("{\n  \"format\": \"authtrail-evidence-set/v1\",\n"));
        assert!(json.ends_with("\n  ]\n}\n"));
    }

    #[test]
    fn non_canonical_json_is_refused() {
        let f = fixture();
        let json = set(&f, &[2, 9]).to_json().unwrap();
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        let compact = serde_json::to_string(&value).unwrap();
        let reordered = json.replace(
            "  \"tree_size\": 30,\n  \"query\": \"user=alice status=failure\",\n",
            "  \"query\": \"user=alice status=failure\",\n  \"tree_size\": 30,\n",
        );
        assert_ne!(reordered, json);
        let entry_reordered = json.replacen("\"seq\": 2,", "\"seq\": 2 ,", 1);
        for bad in [
            compact.clone(),
            format!("{compact}\n"),
            reordered,
            entry_reordered,
            json.trim_end().to_owned(),
            format!("{json}\n"),
            format!(" {json}"),
            json.replace("\n  \"tree_size\"", "\n   \"tree_size\""),
            json.replace("\"tree_size\": 30", "\"tree_size\": 30.0"),
            json.replace("\"seq\": 9", "\"seq\": 09"),
            json.replace("authtrail-evidence-set/v1", "authtrail-evidence-set/v2"),
            json.replace("\"entries\":", "\"extra\": 1,\n  \"entries\":"),
            json.replace(
                "\"inclusion_proof\":",
                "\"note\": null,\n      \"inclusion_proof\":",
            ),
            json.replace("/", "\\/"),
            String::new(),
            "null".into(),
            "[]".into(),
        ] {
            assert!(
                matches!(
                    EvidenceSet::from_json(&bad),
                    Err(LedgerError::Malformed {
                        what: "evidence set",
                        ..
                    })
                ),
                "{bad:?}"
            );
        }

        // Seqs out of order, repeated, or beyond the tree: refused when read, never written.
        for seqs in [&[9u64, 2][..], &[4, 4]] {
            let mut s = set(&f, &[2, 9]);
            s.entries = seqs
                .iter()
                .map(|&q| f.entries[q as usize].clone())
                .collect();
            assert!(matches!(s.to_json(), Err(LedgerError::InvalidRequest(_))));
            assert!(matches!(
                s.verify(&f.signer.verifier()),
                Err(LedgerError::Malformed { .. })
            ));
        }
        let swapped = swap_entries(&json);
        assert!(matches!(
            EvidenceSet::from_json(&swapped),
            Err(LedgerError::Malformed { ref reason, .. }) if reason.contains("ascending")
        ));
        let mut s = set(&f, &[2]);
        s.tree_size = 2;
        assert!(matches!(s.to_json(), Err(LedgerError::InvalidRequest(_))));
    }

    /// The set's two entries written in the other order, otherwise canonical.
    fn swap_entries(json: &str) -> String {
        let start = json.find("    {").unwrap();
        let end = json.rfind("    }").unwrap() + "    }".len();
        let (first, second) = json[start..end].split_once(",\n    {").unwrap();
        let second = format!("    {{{second}");
        format!("{}{second},\n{first}{}", &json[..start], &json[end..])
    }

    #[test]
    fn tampering_is_caught_and_names_the_entry() {
        let f = fixture();
        let key = f.signer.verifier();

        let mut s = set(&f, &[1, 6, 12]);
        if let Some(event) = s.entries[1].event.as_mut() {
            event[3] ^= 0x20;
        }
        let back = EvidenceSet::from_json(&s.to_json().unwrap()).unwrap();
        let err = back.verify(&key).unwrap_err();
        assert!(
            matches!(&err, LedgerError::EntryRejected { seq: 6, reason }
                if matches!(**reason, LedgerError::ProofRejected(ref m) if m.contains("event body"))),
            "{err}"
        );
        assert!(err.to_string().starts_with("entry 6: "), "{err}");

        let mut s = set(&f, &[1, 6, 12]);
        s.entries[2].inclusion_proof[0][0] ^= 1;
        let err = s.verify(&key).unwrap_err();
        assert!(
            matches!(&err, LedgerError::EntryRejected { seq: 12, reason }
                if matches!(**reason, LedgerError::ProofRejected(_))),
            "{err}"
        );

        // Another entry's header under this seq.
        let mut s = set(&f, &[1, 6, 12]);
        s.entries[0].header = f.entries[2].header.clone();
        assert!(matches!(
            s.verify(&key),
            Err(LedgerError::EntryRejected { seq: 1, .. })
        ));

        // A raw body altered, and a salt altered.
        let mut s = set(&f, &[1, 6, 12]);
        s.entries[0].raw = Some(b"x".to_vec());
        assert!(matches!(
            s.verify(&key),
            Err(LedgerError::EntryRejected { seq: 1, .. })
        ));
        let mut s = set(&f, &[1, 6, 12]);
        s.entries[2].salt = Some([0; 32]);
        assert!(matches!(
            s.verify(&key),
            Err(LedgerError::EntryRejected { seq: 12, .. })
        ));

        // Mixed pruning is malformed, named by its entry.
        let mut s = set(&f, &[1, 6]);
        s.entries[1].raw = None;
        assert!(matches!(
            s.verify(&key),
            Err(LedgerError::EntryRejected { seq: 6, ref reason })
                if matches!(**reason, LedgerError::Malformed { what: "evidence set", .. })
        ));

        // The checkpoint: its signature, its key, its size.
        let mut s = set(&f, &[1, 6]);
        let sig_at = s.checkpoint.rfind(' ').unwrap() + 5;
        let mut note = s.checkpoint.into_bytes();
        note[sig_at] = if note[sig_at] == b'A' { b'B' } else { b'A' };
        s.checkpoint = String::from_utf8(note).unwrap();
        assert!(matches!(
            s.verify(&key),
            Err(LedgerError::BadSignature(_) | LedgerError::NoValidSignature)
        ));
        let other = Ed25519Signer::generate("example.org/log").unwrap();
        assert!(matches!(
            set(&f, &[1]).verify(&other.verifier()),
            Err(LedgerError::NoValidSignature)
        ));
        let mut s = set(&f, &[1]);
        s.tree_size = 29;
        assert!(matches!(
            s.verify(&key),
            Err(LedgerError::Malformed {
                what: "evidence set",
                ..
            })
        ));
    }

    #[test]
    fn the_query_is_a_label_not_proven() {
        let f = fixture();
        let json = set(&f, &[3]).to_json().unwrap();
        let edited = json.replace("user=alice", "user=bobby");
        let s = EvidenceSet::from_json(&edited).unwrap();
        assert_eq!(s.query, "user=bobby status=failure");
        assert!(s.verify(&f.signer.verifier()).is_ok());
    }

    #[test]
    fn either_form_is_read_by_its_format() {
        let f = fixture();
        let set_json = set(&f, &[3, 4]).to_json().unwrap();
        assert!(matches!(
            AnyEvidence::from_json(&set_json),
            Ok(AnyEvidence::Set(s)) if s.entries.len() == 2
        ));
        let e = &f.entries[3];
        let single = Evidence {
            seq: 3,
            header: e.header.clone(),
            salt: e.salt,
            event: e.event.clone(),
            raw: e.raw.clone(),
            tree_size: 30,
            inclusion_proof: e.inclusion_proof.clone(),
            checkpoint: f.note.clone(),
        };
        assert!(matches!(
            AnyEvidence::from_json(&single.to_json()),
            Ok(AnyEvidence::Single(s)) if s == single
        ));
        for bad in [
            "",
            "{}",
            "[1]",
            "{\"format\": \"authtrail-evidence/v9\"}",
            "{\"format\": 1}",
        ] {
            assert!(
                matches!(
                    AnyEvidence::from_json(bad),
                    Err(LedgerError::Malformed { .. })
                ),
                "{bad}"
            );
        }
        // A set's error stays a set's error.
        assert!(matches!(
            AnyEvidence::from_json(&set_json.replace("\"tree_size\"", " \"tree_size\"")),
            Err(LedgerError::Malformed {
                what: "evidence set",
                ..
            })
        ));
    }
}
