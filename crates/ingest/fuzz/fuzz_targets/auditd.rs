//! The audit log (line splitting, grouping of one event's records, the parser), through the whole pipeline.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

use authtrail_ingest::InputFormat;

fuzz_target!(|data: &[u8]| {
    common::pipeline(InputFormat::Auditd, data);
});
