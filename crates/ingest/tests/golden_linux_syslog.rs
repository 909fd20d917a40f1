//! The whole of loghub's Linux_2k (a real /var/log/messages) through the syslog parsers: one
//! line of expected output per input line, whatever program wrote it. sshd, PAM and su lines
//! become events; the rest (ftpd, klogind, kernel, …) are kept as unparsed with the reason.

mod support;

use authtrail_ingest::InputFormat;

#[test]
fn linux_loghub_every_line() {
    let Some(body) = support::dataset("linux-syslog/loghub/Linux_2k.log") else {
        return;
    };
    let records = support::normalize(&body, InputFormat::Syslog);
    assert_eq!(records.len(), 2000);
    insta::assert_snapshot!("linux_loghub_every_line", support::render(&records));
}
