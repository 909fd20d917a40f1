//! Syslog stream framing (octet counting or newline-delimited) over arbitrary chunks.
//!
//! Input layout: byte 0 picks `max_len` (1..=64), byte 1 the number of split points (0..=7),
//! the next bytes the split points; the rest is the stream.
#![no_main]

use libfuzzer_sys::fuzz_target;

use authtrail_ingest::pipeline::Message;
use authtrail_ingest::sources::framing::Framer;

fuzz_target!(|data: &[u8]| {
    let [max_byte, cuts_byte, rest @ ..] = data else {
        return;
    };
    let max_len = usize::from(max_byte % 64) + 1;
    let n_cuts = usize::from(cuts_byte % 8).min(rest.len());
    let (cut_bytes, stream) = rest.split_at(n_cuts);
    let mut cuts: Vec<usize> = cut_bytes
        .iter()
        .map(|&b| usize::from(b) * stream.len() / 256)
        .collect();
    cuts.sort_unstable();

    let mut framer = Framer::new(max_len);
    let mut out: Vec<Message> = Vec::new();
    let mut at = 0;
    for cut in cuts.into_iter().chain([stream.len()]) {
        framer.push(&stream[at..cut], &mut out);
        at = cut;
    }
    framer.finish(&mut out);

    let mut total = 0usize;
    for m in &out {
        assert!(
            m.bytes.len() <= max_len,
            "message keeps {} bytes, over max_len {max_len}",
            m.bytes.len()
        );
        total += m.original_len.max(m.bytes.len());
    }
    // Known and reported: an octet-counted frame over `max_len` is emitted as soon as its
    // first `max_len` bytes arrive, with the length its header declares; when the stream ends
    // before the frame does, that length is more than was sent (`\0\09 ab` gives original_len
    // 9 for a 4-byte stream). Only the last message can be such a frame, so everything before
    // it must fit in the stream, and it may exceed the stream only when it was cut.
    if let Some(last) = out.last() {
        let before_last = total - last.original_len.max(last.bytes.len());
        assert!(
            before_last <= stream.len(),
            "messages before the last add up to {before_last}, over the {}-byte stream: {out:?}",
            stream.len()
        );
        if last.original_len <= last.bytes.len() {
            assert!(
                total <= stream.len(),
                "messages' original lengths add up to {total}, over the {}-byte stream: {out:?}",
                stream.len()
            );
        } else {
            assert!(last.original_len < 1_000_000_000, "{last:?}");
        }
    }
});
