//! Protobuf `ExportLogsServiceRequest`s, through the whole pipeline (protobuf decoding,
//! transcoding to OTLP/JSON, splitting, the parser); a request that decodes must read back from
//! its OTLP/JSON form to the same OTLP/JSON.
#![no_main]

use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use prost::Message;

#[path = "common.rs"]
mod common;

use authtrail_ingest::decode::otlp::{read, write, Encoding};
use authtrail_ingest::{InputFormat, Normalizer, ParseConfig};

fuzz_target!(|data: &[u8]| {
    common::pipeline_with(
        || {
            Normalizer::new(InputFormat::Otlp, Arc::new(ParseConfig::default()))
                .with_otlp_encoding(Encoding::Protobuf)
        },
        data,
    );
    if let Ok(request) = ExportLogsServiceRequest::decode(data) {
        let json = write::request(&request);
        // Our reader may refuse what OTLP/JSON cannot carry for logs (string-table indexes,
        // ids of the wrong length); what it reads must be what was written.
        if let Ok(back) = read::request(&json) {
            assert_eq!(write::request(&back), json, "OTLP/JSON did not read back");
        }
    }
});
