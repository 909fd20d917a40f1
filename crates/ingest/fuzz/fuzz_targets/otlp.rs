//! OTLP/JSON requests, through the whole pipeline (our reader, splitting into one-record
//! requests, the parser), and the input itself through the parser as one record's request.
#![no_main]

use std::sync::Arc;

use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

use authtrail_ingest::decode::otlp::Encoding;
use authtrail_ingest::parse::otlp;
use authtrail_ingest::{InputFormat, Normalizer, ParseConfig};

fuzz_target!(|data: &[u8]| {
    common::pipeline_with(
        || {
            Normalizer::new(InputFormat::Otlp, Arc::new(ParseConfig::default()))
                .with_otlp_encoding(Encoding::Json)
        },
        data,
    );
    if let Ok(text) = std::str::from_utf8(data) {
        common::check_result(otlp::parse(text, &mut common::ctx()));
    }
});
