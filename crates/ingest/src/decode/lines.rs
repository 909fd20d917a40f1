//! Text input: one record per line (`\n` or `\r\n`), except that the lines of one audit event
//! are one record. Blank lines are skipped. A line over the limit is cut to it and marked, so it
//! is stored truncated and counted, never dropped.

use crate::decode::Record;
use crate::parse::auditd::audit_id;

/// Split `body` into line records, each cut to `max_line` bytes.
pub fn split(body: &[u8], max_line: usize) -> Vec<Record<'_>> {
    let mut records = Vec::with_capacity(body.len() / 100 + 1);
    let mut start = 0;
    let mut number = 0;
    while start < body.len() {
        number += 1;
        let end = memchr::memchr(b'\n', &body[start..]).map_or(body.len(), |i| start + i);
        let mut line = &body[start..end];
        if let [head @ .., b'\r'] = line {
            line = head;
        }
        start = end + 1;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        records.push(Record {
            raw: &line[..line.len().min(max_line)],
            line: number,
            original_len: line.len(),
        });
    }
    records
}

/// Join consecutive audit records of one event (same `msg=audit(…)` id) into one record whose
/// bytes span their lines in `body`.
pub fn group_audit_events<'a>(body: &'a [u8], records: Vec<Record<'a>>) -> Vec<Record<'a>> {
    let mut out: Vec<Record<'a>> = Vec::with_capacity(records.len());
    let mut last_id: Option<&[u8]> = None;
    for record in records {
        let id = if record.is_truncated() {
            None
        } else {
            audit_id(record.raw)
        };
        match (out.last_mut(), id, last_id) {
            (Some(prev), Some(id), Some(last)) if id == last => {
                let start = prev.raw.as_ptr() as usize - body.as_ptr() as usize;
                let end = record.raw.as_ptr() as usize - body.as_ptr() as usize + record.raw.len();
                prev.raw = &body[start..end];
                prev.original_len = prev.raw.len();
            }
            _ => out.push(record),
        }
        last_id = id;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_numbered_cut_and_blank_ones_skipped() {
        let body = b"one\r\n\n  \ntwo\nthree-is-long\nlast";
        let records = split(body, 5);
        let got: Vec<_> = records
            .iter()
            .map(|r| (r.raw, r.line, r.is_truncated()))
            .collect();
        assert_eq!(
            got,
            vec![
                (&b"one"[..], 1, false),
                (&b"two"[..], 4, false),
                (&b"three"[..], 5, true),
                (&b"last"[..], 6, false),
            ]
        );
        assert_eq!(records[2].original_len, 13);
        assert!(split(b"", 10).is_empty());
    }

    #[test]
    fn audit_records_of_one_event_become_one_record() {
        let body = b"type=SYSCALL msg=audit(1.0:7): a\ntype=EXECVE msg=audit(1.0:7): b\ntype=X msg=audit(1.0:8): c\nother\n";
        let records = group_audit_events(body, split(body, 1000));
        let got: Vec<_> = records.iter().map(|r| (r.raw, r.line)).collect();
        assert_eq!(
            got,
            vec![
                (
                    &b"type=SYSCALL msg=audit(1.0:7): a\ntype=EXECVE msg=audit(1.0:7): b"[..],
                    1
                ),
                (&b"type=X msg=audit(1.0:8): c"[..], 3),
                (&b"other"[..], 4),
            ]
        );
    }
}
