//! Conformance of `note` and `checkpoint` against third-party signed-note vectors in
//! `../shared/vectors`: golang.org/x/mod/sumdb/note, transparency-dev/formats, the C2SP spec
//! examples and Sunlight's witness-cosigned checkpoint.

use std::path::PathBuf;

use authtrail_ledger::checkpoint::{open_checkpoint, Checkpoint};
use authtrail_ledger::hash::leaf_hash;
use authtrail_ledger::note::{
    compute_key_id, cosignature_v1_message, open_note, sign_note, split_note, Ed25519Signer,
    NoteVerifier, OpenedNote, Verifiers, ALG_COSIGNATURE_V1, ALG_ED25519, MAX_SIGNATURES,
};
use authtrail_ledger::LedgerError;
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use serde_json::Value;

/// The shared vectors folder, or `None` (after saying so) when it is absent outside CI.
fn vectors_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/vectors"
    ));
    if dir.is_dir() {
        return Some(dir);
    }
    if std::env::var_os("CI").is_some() {
        panic!(
            "../shared/vectors not found at {} (CI is set)",
            dir.display()
        );
    }
    println!("skipping: ../shared/vectors not found");
    None
}

/// Loads one JSON vector file, or `None` when the vectors are absent.
fn load(rel: &str) -> Option<Value> {
    let path = vectors_dir()?.join(rel);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    Some(serde_json::from_str(&text).unwrap_or_else(|e| panic!("parsing {}: {e}", path.display())))
}

fn s(v: &Value) -> &str {
    v.as_str()
        .unwrap_or_else(|| panic!("expected a string, got {v}"))
}

fn arr(v: &Value) -> &Vec<Value> {
    v.as_array()
        .unwrap_or_else(|| panic!("expected an array, got {v}"))
}

fn verifiers(list: &Value) -> Verifiers {
    Verifiers::new(
        arr(list)
            .iter()
            .map(|k| NoteVerifier::parse(s(k)).unwrap())
            .collect(),
    )
}

fn names(sigs: &[authtrail_ledger::note::NoteSignature]) -> Vec<&str> {
    sigs.iter().map(|s| s.name.as_str()).collect()
}

fn is_unsupported_alg(r: &Result<NoteVerifier, LedgerError>) -> bool {
    matches!(r, Err(LedgerError::Malformed { what: "verifier key", reason }) if reason.contains("unsupported"))
}

// ---------------------------------------------------------------- golang.org/x/mod/sumdb

const SUMDB: &str = "golang-x-mod-sumdb/sumdb_note_tlog_vectors.json";

#[test]
fn sumdb_keys() {
    let Some(v) = load(SUMDB) else { return };
    let keys = arr(&v["keys"]);
    let mut ran = 0;
    for k in keys {
        let vkey = NoteVerifier::parse(s(&k["vkey"])).unwrap();
        assert_eq!(vkey.name(), s(&k["name"]));
        assert_eq!(format!("{:08x}", vkey.key_id()), s(&k["key_id"]));
        assert_eq!(vkey.to_string(), s(&k["vkey"]));
        let signer = Ed25519Signer::parse(s(&k["skey"])).unwrap();
        assert_eq!(signer.to_skey(), s(&k["skey"]));
        assert_eq!(signer.verifier(), vkey);
        ran += 1;
    }
    assert_eq!(ran, keys.len());
    assert_eq!(ran, 2);
}

#[test]
fn sumdb_sign() {
    let Some(v) = load(SUMDB) else { return };
    let case = &v["sign"];
    let signer = Ed25519Signer::parse(s(&case["signer_skey"])).unwrap();
    let note = sign_note(s(&case["text"]), &[&signer]).unwrap();
    assert_eq!(note.as_bytes(), s(&case["want_note"]).as_bytes());
    let opened = open_note(note.as_bytes(), &Verifiers::new(vec![signer.verifier()])).unwrap();
    assert_eq!(opened.text, s(&case["text"]));
}

/// What kind of failure a sumdb `open` case expects, from its description.
fn expected_failure(desc: &str, r: &Result<OpenedNote, LedgerError>) -> bool {
    if desc.starts_with("malformed") || desc.contains("101") {
        matches!(r, Err(LedgerError::Malformed { what: "note", .. }))
    } else if desc.contains("corrupted") {
        matches!(r, Err(LedgerError::BadSignature(k)) if k == "PeterNeumann+c74f20a3")
    } else if desc.starts_with("no known verifier") {
        matches!(r, Err(LedgerError::NoValidSignature))
    } else {
        panic!("unclassified failing case {desc:?}")
    }
}

#[test]
fn sumdb_open() {
    let Some(v) = load(SUMDB) else { return };
    let text = s(&v["sign"]["text"]);
    let sig_line = s(&v["sign"]["want_note"])
        .strip_prefix(text)
        .and_then(|rest| rest.strip_prefix('\n'))
        .unwrap();
    let cases = arr(&v["open"]);
    let mut ran = 0;
    for case in cases {
        let desc = s(&case["desc"]);
        let note = match case.get("note") {
            Some(n) => s(n).to_owned(),
            None => {
                assert_eq!(
                    s(&case["note_construction"]),
                    "text + '\\n' + 101 x Peter signature line"
                );
                format!("{text}\n{}", sig_line.repeat(101))
            }
        };
        let known = verifiers(&case["verifiers"]);
        let r = open_note(note.as_bytes(), &known);
        if case["want_ok"].as_bool().unwrap() {
            let opened = r.unwrap_or_else(|e| panic!("{desc}: {e}"));
            assert_eq!(opened.text, text, "{desc}");
            let want: Vec<&str> = arr(&case["want_verified"]).iter().map(s).collect();
            assert_eq!(names(&opened.verified), want, "{desc}");
            let want: Vec<&str> = case
                .get("want_unverified")
                .map(|u| arr(u).iter().map(s).collect())
                .unwrap_or_default();
            assert_eq!(names(&opened.unverified), want, "{desc}");
        } else {
            assert!(expected_failure(desc, &r), "{desc}: got {r:?}");
        }
        ran += 1;
    }
    assert_eq!(ran, cases.len());
    assert_eq!(ran, 10);

    // The limit's other side: exactly 100 signatures (all the same line) still open.
    let note = format!("{text}\n{}", sig_line.repeat(MAX_SIGNATURES));
    let peter = verifiers(&Value::Array(vec![v["keys"][0]["vkey"].clone()]));
    assert_eq!(
        open_note(note.as_bytes(), &peter).unwrap().verified.len(),
        1
    );
}

#[test]
fn sumdb_bad_vkeys_and_mangling() {
    let Some(v) = load(SUMDB) else { return };
    let cases = arr(&v["bad_vkeys"]);
    let good = s(&v["keys"][0]["vkey"]);
    let good_key = NoteVerifier::parse(good).unwrap();
    let mut ran = 0;
    for case in cases {
        if let Some(vkey) = case.get("vkey") {
            assert!(
                NoteVerifier::parse(s(vkey)).is_err(),
                "{} accepted",
                s(vkey)
            );
        } else {
            assert!(s(&case["rule"]).contains("every proper substring"));
            let b = good.as_bytes();
            let mut tried = 0;
            // Every proper substring is rejected.
            for i in 0..=b.len() {
                for j in i..=b.len() {
                    if i == 0 && j == b.len() {
                        continue;
                    }
                    assert!(
                        NoteVerifier::parse(&good[i..j]).is_err(),
                        "{:?}",
                        &good[i..j]
                    );
                    tried += 1;
                }
            }
            // Every single-byte change (the Go test's increments and all other values) is
            // rejected or yields a different key.
            for i in 0..b.len() {
                for x in 0..=255u8 {
                    if x == b[i] {
                        continue;
                    }
                    let mut m = b.to_vec();
                    m[i] = x;
                    tried += 1;
                    let Ok(m) = String::from_utf8(m) else {
                        continue;
                    };
                    if let Ok(k) = NoteVerifier::parse(&m) {
                        assert_ne!(k, good_key, "{m:?} parses to the original key");
                        assert_ne!(k.to_string(), good, "{m:?}");
                    }
                }
            }
            assert_eq!(tried, (b.len() + 1) * (b.len() + 2) / 2 - 1 + b.len() * 255);
        }
        ran += 1;
    }
    assert_eq!(ran, cases.len());
    assert_eq!(ran, 3);
}

#[test]
fn sumdb_verifier_list() {
    let Some(v) = load(SUMDB) else { return };
    let cases = arr(&v["verifier_list"]["cases"]);
    // The Go test uses one list for every lookup; the JSON spells it out on the cases that have it.
    let shared = cases
        .iter()
        .find_map(|c| c.get("verifiers"))
        .unwrap()
        .clone();
    let mut ran = 0;
    for case in cases {
        let list = verifiers(case.get("verifiers").unwrap_or(&shared));
        let name = s(&case["lookup"][0]);
        let id = u32::from_str_radix(s(&case["lookup"][1]), 16).unwrap();
        let r = list.lookup(name, id);
        if let Some(want) = case.get("want") {
            assert_eq!(s(want), "found");
            let k = r.unwrap().unwrap();
            assert_eq!((k.name(), k.key_id()), (name, id));
        } else {
            let want = s(&case["want_error"]);
            if let Some(key) = want.strip_prefix("unknown key ") {
                assert_eq!(key, format!("{name}+{id:08x}"));
                assert!(r.unwrap().is_none(), "{want}");
            } else {
                let err = r.unwrap_err().to_string();
                assert!(err.contains(want), "{err} does not say {want}");
            }
        }
        ran += 1;
    }
    assert_eq!(ran, cases.len());
    assert_eq!(ran, 3);

    // An ambiguous known key makes opening fail, as in sumdb.
    let enoch = Ed25519Signer::parse(s(&v["keys"][1]["skey"])).unwrap();
    let note = sign_note("hello\n", &[&enoch]).unwrap();
    let dup = Verifiers::new(vec![enoch.verifier(), enoch.verifier()]);
    assert!(matches!(
        open_note(note.as_bytes(), &dup),
        Err(LedgerError::Malformed {
            what: "verifier set",
            ..
        })
    ));
}

#[test]
fn sumdb_tlog() {
    let Some(v) = load(SUMDB) else { return };
    let t = &v["tlog"];
    let mut ran = 0;

    let rh = &t["record_hash"];
    assert_eq!(
        BASE64.encode(leaf_hash(s(&rh["data_ascii"]).as_bytes())),
        s(&rh["want_base64"])
    );
    ran += 1;

    // The sumdb tree note is a checkpoint whose origin is "go.sum database tree".
    let ft = &t["format_tree"];
    let cp = Checkpoint {
        origin: "go.sum database tree".into(),
        size: ft["n"].as_u64().unwrap(),
        root: BASE64
            .decode(s(&ft["hash_base64"]))
            .unwrap()
            .try_into()
            .unwrap(),
        extensions: vec![],
    };
    assert_eq!(cp.to_body(), s(&ft["want"]));
    assert_eq!(Checkpoint::parse(s(&ft["want"])).unwrap(), cp);
    ran += 1;

    let bad = arr(&t["parse_tree_bad"]);
    for body in bad {
        match Checkpoint::parse(s(body)) {
            // Only bad for sumdb, which fixes the origin; a C2SP checkpoint may have any origin.
            Ok(cp) => assert_ne!(cp.origin, "go.sum database tree", "{body}"),
            Err(e) => assert!(matches!(e, LedgerError::Malformed { .. })),
        }
        ran += 1;
    }
    assert_eq!(ran, 2 + bad.len());
    assert_eq!(ran, 5);
}

// ---------------------------------------------------------------- transparency-dev/formats

const FORMATS: &str = "transparency-dev-formats/signed_note_vectors.json";

#[test]
fn formats_production_checkpoint() {
    let Some(v) = load(FORMATS) else { return };
    let c = &v["production_checkpoint_sum_golang_org"];
    let key = NoteVerifier::parse(s(&c["vkey"])).unwrap();
    assert_eq!(key.to_string(), s(&c["vkey"]));
    let opened = open_note(s(&c["note"]).as_bytes(), &Verifiers::new(vec![key.clone()])).unwrap();
    assert_eq!(names(&opened.verified), ["sum.golang.org"]);
    let cp = Checkpoint::parse(&opened.text).unwrap();
    assert_eq!(cp.origin, s(&c["want_origin"]));
    assert_eq!(cp.size, c["want_size"].as_u64().unwrap());
    assert_eq!(BASE64.encode(cp.root), s(&c["want_root_base64"]));
    assert_eq!(cp.to_body(), opened.text);
    // The Go checksum database's key name is not its origin line, so it is no C2SP log checkpoint.
    assert!(matches!(
        open_checkpoint(s(&c["note"]).as_bytes(), &key),
        Err(LedgerError::Malformed {
            what: "checkpoint",
            ..
        })
    ));
}

#[test]
fn formats_multi_signer() {
    let Some(v) = load(FORMATS) else { return };
    let c = &v["multi_signer_checkpoint"];
    let keys = verifiers(&c["vkeys"]);
    let want: Vec<&str> = keys.keys().iter().map(|k| k.name()).collect();
    assert_eq!(want.len(), arr(&c["vkeys"]).len());

    let opened = open_note(s(&c["note"]).as_bytes(), &keys).unwrap();
    assert_eq!(names(&opened.verified), want);
    assert!(opened.unverified.is_empty());

    let junk = open_note(s(&c["junk_note"]).as_bytes(), &keys).unwrap();
    assert_eq!(names(&junk.verified), want);
    assert_eq!(names(&junk.unverified), ["random1", "random2"]);
    assert_eq!(junk.text, opened.text);

    // Each key alone also opens it, the others' lines being unknown.
    for k in keys.keys() {
        let one = open_note(
            s(&c["junk_note"]).as_bytes(),
            &Verifiers::new(vec![k.clone()]),
        )
        .unwrap();
        assert_eq!(names(&one.verified), [k.name()]);
        assert_eq!(one.unverified.len(), 5);
    }
}

#[test]
fn formats_keypairs() {
    let Some(v) = load(FORMATS) else { return };
    let pairs = arr(&v["ed25519_keypairs"]);
    let mut ran = 0;
    for p in pairs {
        let signer = Ed25519Signer::parse(s(&p["skey"])).unwrap();
        assert_eq!(signer.to_skey(), s(&p["skey"]));
        assert_eq!(signer.verifier().to_string(), s(&p["vkey"]));
        let key = NoteVerifier::parse(s(&p["vkey"])).unwrap();
        let note = sign_note("a message\n", &[&signer]).unwrap();
        open_note(note.as_bytes(), &Verifiers::new(vec![key])).unwrap();
        ran += 1;
    }
    assert_eq!(ran, pairs.len());
    assert_eq!(ran, 5);
}

#[test]
fn formats_ecdsa_notes_are_unknown() {
    let Some(v) = load(FORMATS) else { return };
    let ed25519_keys: Verifiers = arr(&v["ed25519_keypairs"])
        .iter()
        .chain(arr(&v["multi_signer_checkpoint"]["vkeys"]))
        .map(|p| NoteVerifier::parse(s(p.get("vkey").unwrap_or(p))).unwrap())
        .collect();
    let cases = arr(&v["ecdsa_notes_type_0x02"]["cases"]);
    let mut ran = 0;
    for c in cases {
        let vkey = s(&c["vkey"]);
        // We support no ECDSA keys; the key-id rule for 0x02 is not name-bound either.
        assert!(is_unsupported_alg(&NoteVerifier::parse(vkey)), "{vkey}");
        let note = s(&c["note"]).as_bytes();
        for set in [&Verifiers::default(), &ed25519_keys] {
            assert!(
                matches!(open_note(note, set), Err(LedgerError::NoValidSignature)),
                "{}",
                s(&c["desc"])
            );
        }
        let split = split_note(note).unwrap();
        assert_eq!(split.signatures.len(), 1);
        let (vname, rest) = vkey.split_once('+').unwrap();
        assert_eq!(format!("{:08x}", split.signatures[0].key_id), &rest[..8]);
        assert_eq!(
            split.signatures[0].name == vname,
            c["want_ok"].as_bool().unwrap(),
            "{}",
            s(&c["desc"])
        );
        ran += 1;
    }
    assert_eq!(ran, cases.len());
    assert_eq!(ran, 3);
}

#[test]
fn formats_rfc6962_note_is_unknown() {
    let Some(v) = load(FORMATS) else { return };
    let c = &v["rfc6962_note_type_0x05"];
    assert!(is_unsupported_alg(&NoteVerifier::parse(s(&c["vkey"]))));
    let note = s(&c["note"]).as_bytes();
    assert!(matches!(
        open_note(note, &Verifiers::default()),
        Err(LedgerError::NoValidSignature)
    ));
    let split = split_note(note).unwrap();
    let sig = &split.signatures[0];
    let (vname, rest) = s(&c["vkey"]).split_once('+').unwrap();
    assert_eq!(
        (sig.name.as_str(), format!("{:08x}", sig.key_id)),
        (vname, rest[..8].to_owned())
    );
    let ts = u64::from_be_bytes(sig.signature[..8].try_into().unwrap());
    assert_eq!(ts, c["want_timestamp_ms"].as_u64().unwrap());
    // Its key id follows the 0x05 rule: SHA-256(name ‖ "\n" ‖ 0x05 ‖ SHA-256(DER SPKI))[:4].
    let der = BASE64.decode(s(&c["log_public_key_der_base64"])).unwrap();
    let mut raw = vec![0x05];
    raw.extend_from_slice(&sha256(&der));
    assert_eq!(compute_key_id(&sig.name, &raw), sig.key_id);
    assert!(Checkpoint::parse(split.text).is_ok());
}

fn sha256(data: &[u8]) -> [u8; 32] {
    use sha2::Digest as _;
    sha2::Sha256::digest(data).into()
}

// ---------------------------------------------------------------- C2SP spec examples

const C2SP: &str = "c2sp/spec_examples.json";

#[test]
fn c2sp_signed_note_example() {
    let Some(v) = load(C2SP) else { return };
    let c = &v["signed_note_example"];
    assert!(c["want_ok"].as_bool().unwrap());
    let key = NoteVerifier::parse(s(&c["vkey"])).unwrap();
    let opened = open_note(s(&c["note"]).as_bytes(), &Verifiers::new(vec![key])).unwrap();
    assert_eq!(opened.text, s(&c["want_text"]));
    assert_eq!(names(&opened.verified), ["example.com/foo"]);

    // The format example (no key published) splits at the LAST blank line.
    let poem = s(&v["signed_note_format_example_unverifiable"]);
    let split = split_note(poem.as_bytes()).unwrap();
    assert_eq!(
        split.text,
        "Ognuno sta solo sul cuor della terra\ntrafitto da un raggio di sole:\n\ned è subito sera.\n"
    );
    assert_eq!(split.signatures[0].name, "quasimodo.example/salvatore");
    assert!(matches!(
        open_note(poem.as_bytes(), &Verifiers::default()),
        Err(LedgerError::NoValidSignature)
    ));
}

#[test]
fn c2sp_key_id_formulas() {
    let Some(v) = load(C2SP) else { return };
    let formulas = v["key_id_formulas"].as_object().unwrap();
    let example = NoteVerifier::parse(s(&v["signed_note_example"]["vkey"])).unwrap();
    let name = example.name();
    let pk = example.public_key();
    let mut ran = 0;
    for (label, formula) in formulas {
        let alg = u8::from_str_radix(&label[2..4], 16).unwrap();
        let mut raw = vec![alg];
        raw.extend_from_slice(&pk);
        let vkey = format!(
            "{name}+{:08x}+{}",
            compute_key_id(name, &raw),
            BASE64.encode(&raw)
        );
        let parsed = NoteVerifier::parse(&vkey);
        match alg {
            ALG_ED25519 | ALG_COSIGNATURE_V1 => {
                assert_eq!(
                    s(formula),
                    format!("SHA256(name || 0x0A || 0x{alg:02x} || 32-byte pubkey)[:4]")
                );
                let k = parsed.unwrap();
                assert_eq!(k.algorithm(), alg);
                assert_eq!(k.key_id(), compute_key_id(name, &raw));
                if alg == ALG_ED25519 {
                    // The published vkey's id is exactly this formula.
                    assert_eq!(k, example);
                    assert_eq!(k.key_id(), 0x530d903a);
                }
            }
            // Types we do not verify: a vkey of that type is refused, so such lines stay unknown.
            0x02 | 0x05 | 0x06 | 0xff => assert!(is_unsupported_alg(&parsed), "{label}"),
            _ => panic!("unexpected formula {label}"),
        }
        ran += 1;
    }
    assert_eq!(ran, formulas.len());
    assert_eq!(ran, 6);
}

#[test]
fn c2sp_checkpoint_example() {
    let Some(v) = load(C2SP) else { return };
    let c = &v["checkpoint_example"];
    let cp = Checkpoint::parse(s(&c["text"])).unwrap();
    assert_eq!(cp.origin, s(&c["origin"]));
    assert_eq!(cp.size, c["size"].as_u64().unwrap());
    assert_eq!(BASE64.encode(cp.root), s(&c["root_base64"]));
    assert!(cp.extensions.is_empty());
    assert_eq!(cp.to_body(), s(&c["text"]));
    let note = format!("{}\n{}\n", s(&c["text"]), s(&c["log_signature_line"]));
    let split = split_note(note.as_bytes()).unwrap();
    assert_eq!(split.signatures[0].name, cp.origin);
    assert_eq!(split.signatures[0].signature.len(), 64);
}

#[test]
fn c2sp_cosignature_example() {
    let Some(v) = load(C2SP) else { return };
    let c = &v["cosignature_v1_example"];
    let split = split_note(s(&c["cosigned_checkpoint"]).as_bytes()).unwrap();
    assert_eq!(split.signatures.len(), 2);
    let w = &split.signatures[1];
    let d = &c["witness_line_decoded"];
    assert_eq!(format!("{:08x}", w.key_id), s(&d["key_id_hex"]));
    assert_eq!(
        4 + w.signature.len() as u64,
        d["total_len"].as_u64().unwrap()
    );
    assert_eq!(
        w.signature.len() - 8,
        d["signature_len"].as_u64().unwrap() as usize
    );
    let ts = u64::from_be_bytes(w.signature[..8].try_into().unwrap());
    assert_eq!(ts, d["timestamp"].as_u64().unwrap());
    assert_eq!(
        cosignature_v1_message(ts, split.text.as_bytes()),
        s(&c["signed_message"]).as_bytes()
    );
}

// ---------------------------------------------------------------- Sunlight skylight cosignature

const SKYLIGHT: &str = "filosottile-sunlight-skylight/cosigned_checkpoint.json";

#[test]
fn skylight_cosigned_checkpoint() {
    let Some(v) = load(SKYLIGHT) else { return };
    let c = &v["cosigned_checkpoint"];
    let note = s(&c["note"]);
    let witness = NoteVerifier::parse(s(&c["witness_vkey_type_0x04"])).unwrap();
    assert_eq!(witness.algorithm(), ALG_COSIGNATURE_V1);
    let wc = &c["witness_cosignature"];
    assert_eq!(format!("{:08x}", witness.key_id()), s(&wc["key_id_hex"]));
    assert_eq!(witness.to_string(), s(&c["witness_vkey_type_0x04"]));
    assert!(is_unsupported_alg(&NoteVerifier::parse(s(
        &c["log_vkey_type_0x05"]
    ))));

    // Only the witness key known: the cosignature verifies, the ECDSA log line is unknown.
    let set = Verifiers::new(vec![witness.clone()]);
    let opened = open_note(note.as_bytes(), &set).unwrap();
    assert_eq!(names(&opened.verified), ["witness.example.org"]);
    assert_eq!(names(&opened.unverified), [s(&c["origin"])]);
    let sig = &opened.verified[0].signature;
    assert_eq!(sig.len(), 72);
    assert_eq!(
        witness.cosignature_timestamp(sig),
        Some(wc["timestamp"].as_u64().unwrap())
    );
    assert_eq!(
        cosignature_v1_message(wc["timestamp"].as_u64().unwrap(), opened.text.as_bytes()),
        s(&wc["signed_message"]).as_bytes()
    );
    let cp = Checkpoint::parse(&opened.text).unwrap();
    assert_eq!(cp.origin, s(&c["origin"]));
    assert_eq!(cp.size, c["size"].as_u64().unwrap());
    // A witness key is not the log's key: its name is not the origin.
    assert!(open_checkpoint(note.as_bytes(), &witness).is_err());

    // A wrong key: nothing verifies.
    let other = s(&v["wrong_key_negative"]["other_witness_vkey"])
        .split_whitespace()
        .find(|w| w.contains('+'))
        .unwrap();
    let other = NoteVerifier::parse(other).unwrap();
    assert!(matches!(
        open_note(note.as_bytes(), &Verifiers::new(vec![other])),
        Err(LedgerError::NoValidSignature)
    ));

    // The same key presented as a plain Ed25519 (0x01) key has another key id: unknown.
    let mut raw = vec![ALG_ED25519];
    raw.extend_from_slice(&witness.public_key());
    let plain = format!(
        "{}+{:08x}+{}",
        witness.name(),
        compute_key_id(witness.name(), &raw),
        BASE64.encode(&raw)
    );
    let plain = NoteVerifier::parse(&plain).unwrap();
    assert!(matches!(
        open_note(note.as_bytes(), &Verifiers::new(vec![plain])),
        Err(LedgerError::NoValidSignature)
    ));

    // Every flipped bit of the cosignature: in the key id the line becomes unknown (no valid
    // signature left), anywhere else (timestamp or signature) it fails to verify.
    let (head, line) = note.rsplit_once("\u{2014} witness.example.org ").unwrap();
    let b64 = line.strip_suffix('\n').unwrap();
    let raw = BASE64.decode(b64).unwrap();
    let mut flipped = 0;
    for bit in 0..raw.len() * 8 {
        let mut m = raw.clone();
        m[bit / 8] ^= 1 << (bit % 8);
        let bad = format!("{head}\u{2014} witness.example.org {}\n", BASE64.encode(&m));
        let r = open_note(bad.as_bytes(), &set);
        if bit < 32 {
            assert!(
                matches!(r, Err(LedgerError::NoValidSignature)),
                "bit {bit}: {r:?}"
            );
        } else {
            assert!(
                matches!(&r, Err(LedgerError::BadSignature(k)) if k == "witness.example.org+b8a2cf20"),
                "bit {bit}: {r:?}"
            );
        }
        flipped += 1;
    }
    assert_eq!(flipped, 76 * 8);
}
