//! Evidence bundles written by older versions keep verifying.

use authtrail_ledger::evidence::Evidence;
use authtrail_ledger::note::NoteVerifier;

#[test]
fn a_v1_evidence_bundle_verifies() {
    let text = include_str!("fixtures/evidence-v1.json");
    let key = NoteVerifier::parse(
        "fixture.authtrail.test/log+de953f9b+AbsC7wMw9nnlVrbt8Ln+p5Tzs9jykOsjfoGVxoDVtW1m",
    )
    .unwrap();
    let evidence = Evidence::from_json(text).unwrap();
    let verified = evidence.verify(&key).unwrap();
    assert_eq!(verified.header.seq, 1);
    assert_eq!(verified.checkpoint.size, 4);
    assert!(verified.bodies_checked);
    let raw = evidence.raw.as_deref().unwrap();
    assert!(std::str::from_utf8(raw).unwrap().contains("bad password"));
}
