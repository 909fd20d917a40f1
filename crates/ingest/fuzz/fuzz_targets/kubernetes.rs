//! Kubernetes records, through the whole pipeline.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

use authtrail_ingest::InputFormat;

fuzz_target!(|data: &[u8]| {
    common::pipeline(InputFormat::Kubernetes, data);
});
