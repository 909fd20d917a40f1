//! sshd messages: arbitrary text after an sshd syslog header, and the same text as a whole line.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

use authtrail_ingest::parse::syslog;
use authtrail_ingest::parse::text::escape_invalid_utf8;

const HEADER: &str = "Nov 27 10:00:00 host sshd[1234]: ";

fuzz_target!(|data: &[u8]| {
    let text = escape_invalid_utf8(data);
    let mut ctx = common::ctx();
    let line = format!("{HEADER}{text}");
    common::check_result(syslog::dispatch(&line, &mut ctx).1);
    common::check_result(syslog::dispatch(&text, &mut ctx).1);
});
