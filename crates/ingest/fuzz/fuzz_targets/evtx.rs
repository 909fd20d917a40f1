//! Binary EVTX input through the whole pipeline (`Normalizer::prepare` transcodes it first).
//! The first byte chooses the frame: even, the rest follows the EVTX signature directly; odd,
//! it follows a 4 KiB file header and a chunk signature, so the fuzzer works on chunk and
//! record contents (records start 512 bytes into the chunk).
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

use authtrail_ingest::decode::evtx::MAGIC;
use authtrail_ingest::InputFormat;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let mut file = MAGIC.to_vec();
    if mode & 1 == 1 {
        file.resize(4096, 0);
        file.extend_from_slice(b"ElfChnk\0");
    }
    file.extend_from_slice(rest);
    common::pipeline(InputFormat::Windows, &file);
});
