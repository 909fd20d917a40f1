//! Syslog headers (RFC 3164, RFC 3339-stamped, RFC 5424), with or without a PRI.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

use authtrail_ingest::parse::syslog;
use authtrail_ingest::parse::text::escape_invalid_utf8;

fuzz_target!(|data: &[u8]| {
    let text = escape_invalid_utf8(data);
    let mut ctx = common::ctx();
    if let Ok(line) = syslog::parse_header(&text, &mut ctx) {
        assert!(
            line.facility.is_none_or(|f| f < 24),
            "facility {:?}",
            line.facility
        );
        assert!(
            line.severity.is_none_or(|s| s < 8),
            "severity {:?}",
            line.severity
        );
        assert_eq!(line.facility.is_some(), line.severity.is_some());
        let _ = line.program();
        let _ = line.process_session();
    }
});
