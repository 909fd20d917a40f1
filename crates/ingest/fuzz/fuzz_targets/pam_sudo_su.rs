//! PAM, sudo and su messages: the first byte picks the program, the rest is its message; the
//! rest is also dispatched as a whole line.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

use authtrail_ingest::parse::syslog;
use authtrail_ingest::parse::text::escape_invalid_utf8;

const PREFIXES: [&str; 3] = ["sshd[1]: pam_unix(sshd:auth): ", "sudo[1]: ", "su[1]: "];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let prefix = PREFIXES[usize::from(pick) % PREFIXES.len()];
    let text = escape_invalid_utf8(rest);
    let mut ctx = common::ctx();
    let line = format!("Nov 27 10:00:00 host {prefix}{text}");
    common::check_result(syslog::dispatch(&line, &mut ctx).1);
    common::check_result(syslog::dispatch(&text, &mut ctx).1);
});
