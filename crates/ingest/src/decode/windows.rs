//! Windows event input as records: NDJSON (every line one `{…}` object) line by line, without a
//! second JSON pass (a line that is not valid JSON is kept as an unparsed record with the
//! parser's reason); other JSON (one object, an array, pretty-printed) as JSON documents; event
//! XML as one record per `<Event …>…</Event>` element whatever the line breaks; Splunk
//! WinEventLog text as one record per event (each starts at a date line followed by
//! `LogName=`). Anything else, and text between XML events that is not markup (`<?xml …?>`,
//! `<Events>`) or Event Viewer's `-` markers, is one record per line. Every record is an exact
//! slice of the input; its line is the line it starts on.

use memchr::memmem;

use crate::decode::json::{self, LineCounter};
use crate::decode::{lines, Record};
use crate::error::IngestError;
use crate::parse::windows::splunk::is_date_line;

/// The EVTX file signature.
pub const EVTX_MAGIC: &[u8] = b"ElfFile\0";

/// Split a Windows body into records.
pub fn split(body: &[u8], max_line: usize) -> Result<Vec<Record<'_>>, IngestError> {
    let start = body.iter().position(|b| !b.is_ascii_whitespace());
    let Some(start) = start else {
        return Ok(Vec::new());
    };
    if body[start..].starts_with(EVTX_MAGIC) {
        return Err(IngestError::InvalidRequest(
            "binary EVTX input is read by Normalizer::prepare, which transcodes it first".into(),
        ));
    }
    match body[start] {
        b'{' if is_ndjson(body) => Ok(lines::split(body, usize::MAX)),
        b'{' | b'[' => json::decode(body),
        b'<' | b'-' if memmem::find(body, b"<Event").is_some() => Ok(xml_events(body, max_line)),
        _ if starts_with_splunk_event(&body[start..]) => Ok(splunk_events(body, max_line)),
        _ => Ok(lines::split(body, max_line)),
    }
}

/// Whether every non-blank line is one `{…}` object (a pretty-printed document is not).
fn is_ndjson(body: &[u8]) -> bool {
    let mut start = 0;
    std::iter::from_fn(|| {
        if start > body.len() {
            return None;
        }
        let end = memchr::memchr(b'\n', &body[start..]).map_or(body.len(), |i| start + i);
        let line = &body[start..end];
        start = end + 1;
        Some(line)
    })
    .map(<[u8]>::trim_ascii)
    .filter(|l| !l.is_empty())
    .all(|l| l.first() == Some(&b'{') && l.last() == Some(&b'}'))
}

/// One record per `<Event …>…</Event>` element; other text is kept line by line.
fn xml_events(body: &[u8], max_line: usize) -> Vec<Record<'_>> {
    let mut out = Out::new(body, max_line);
    let mut at = 0;
    while let Some(open) = next_event_start(body, at) {
        out.gap_lines(at, open);
        let end = memmem::find(&body[open..], b"</Event>").map_or(body.len(), |i| open + i + 8);
        out.push(open, end);
        at = end;
    }
    out.gap_lines(at, body.len());
    out.records
}

/// Where the next `<Event` element (not `<Events>`) starts at or after `from`.
fn next_event_start(body: &[u8], from: usize) -> Option<usize> {
    let mut at = from;
    loop {
        let i = at + memmem::find(&body[at..], b"<Event")?;
        match body.get(i + 6) {
            Some(b' ' | b'>' | b'\t' | b'\r' | b'\n' | b'/') => return Some(i),
            _ => at = i + 6,
        }
    }
}

/// Records being cut from a body, in input order.
struct Out<'a> {
    body: &'a [u8],
    max_line: usize,
    lines: LineCounter<'a>,
    records: Vec<Record<'a>>,
}

impl<'a> Out<'a> {
    fn new(body: &'a [u8], max_line: usize) -> Self {
        Out {
            body,
            max_line,
            lines: LineCounter::new(body),
            records: Vec::new(),
        }
    }

    /// The lines of `body[from..to]` that are more than markup, one record each (blank lines,
    /// `-` markers, `<?xml …?>` and `<Events>` wrappers are not records).
    fn gap_lines(&mut self, from: usize, to: usize) {
        let mut line_start = from;
        for line in self.body[from..to].split(|&b| b == b'\n') {
            let begin = line_start;
            line_start += line.len() + 1;
            let text = String::from_utf8_lossy(line);
            let t = text.trim();
            let markup = t.is_empty()
                || t == "-"
                || t.starts_with("<?xml")
                || t == "<Events>"
                || t == "</Events>";
            if !markup {
                let line = line.strip_suffix(b"\r").unwrap_or(line);
                let raw = &self.body[begin..begin + line.len()];
                self.records.push(Record {
                    raw: &raw[..raw.len().min(self.max_line)],
                    line: self.lines.line_at(begin),
                    original_len: raw.len(),
                });
            }
        }
    }

    /// `body[start..end]` as a record (never cut: a multi-line event is held whole).
    fn push(&mut self, start: usize, end: usize) {
        let raw = &self.body[start..end];
        self.records.push(Record {
            raw,
            line: self.lines.line_at(start),
            original_len: raw.len(),
        });
    }
}

/// Whether text opens with a Splunk event: a date line, then `LogName=`.
fn starts_with_splunk_event(text: &[u8]) -> bool {
    let head = &text[..text.len().min(256)];
    crate::parse::windows::splunk::looks_like(&String::from_utf8_lossy(head))
}

/// One record per Splunk event; text before the first event is kept line by line.
fn splunk_events(body: &[u8], max_line: usize) -> Vec<Record<'_>> {
    let starts = splunk_starts(body);
    let mut out = Out::new(body, max_line);
    let first = starts.first().copied().unwrap_or(body.len());
    out.gap_lines(0, first);
    for (i, &start) in starts.iter().enumerate() {
        let end = starts.get(i + 1).copied().unwrap_or(body.len());
        let mut end_trimmed = end;
        while end_trimmed > start && body[end_trimmed - 1].is_ascii_whitespace() {
            end_trimmed -= 1;
        }
        out.push(start, end_trimmed);
    }
    out.records
}

/// Offsets of the lines that start a Splunk event.
fn splunk_starts(body: &[u8]) -> Vec<usize> {
    let mut starts = Vec::new();
    let mut line_start = 0;
    let mut previous: Option<(usize, bool)> = None;
    for line in body.split(|&b| b == b'\n') {
        let text = String::from_utf8_lossy(line);
        if let Some((start, true)) = previous {
            if text.trim_start().starts_with("LogName=") {
                starts.push(start);
            }
        }
        previous = Some((line_start, is_date_line(&text)));
        line_start += line.len() + 1;
    }
    starts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::raws;

    #[test]
    fn xml_events_are_split_whatever_the_line_breaks() {
        let body = b"<?xml version=\"1.0\"?>\n<Events>\n<Event xmlns='x'><System>\n<EventID>4624</EventID></System>\n</Event><Event><System/></Event>\nstray line\n- <Event xmlns='y'>\n- <System></System>\n</Event>\n</Events>\n";
        let records = split(body, 1000).unwrap();
        assert_eq!(
            raws(&records),
            vec![
                (
                    "<Event xmlns='x'><System>\n<EventID>4624</EventID></System>\n</Event>",
                    3
                ),
                ("<Event><System/></Event>", 5),
                ("stray line", 6),
                ("<Event xmlns='y'>\n- <System></System>\n</Event>", 7),
            ]
        );
        // An unclosed event runs to the end.
        let records = split(b"<Event><System>", 1000).unwrap();
        assert_eq!(raws(&records), vec![("<Event><System>", 1)]);
    }

    #[test]
    fn splunk_events_start_at_a_date_line_before_log_name() {
        let body = b"03/12/2021 10:48:14 AM\nLogName=Security\nEventCode=4624\nMessage=x\n\nSubject:\n\tAccount Name:\t\ta\n\n03/12/2021 10:48:15 PM\nLogName=Security\nEventCode=4634\n";
        let records = split(body, 1000).unwrap();
        assert_eq!(
            raws(&records),
            vec![
                ("03/12/2021 10:48:14 AM\nLogName=Security\nEventCode=4624\nMessage=x\n\nSubject:\n\tAccount Name:\t\ta", 1),
                ("03/12/2021 10:48:15 PM\nLogName=Security\nEventCode=4634", 9),
            ]
        );
    }

    #[test]
    fn json_is_decoded_and_other_text_is_split_into_lines() {
        let records = split(b"[{\"a\":1},\n{\"b\":2}]", 1000).unwrap();
        assert_eq!(raws(&records), vec![("{\"a\":1}", 1), ("{\"b\":2}", 2)]);
        // NDJSON is split by lines, uncut; a pretty-printed object is one document.
        let long = format!("{{\"a\":\"{}\"}}", "x".repeat(2000));
        let body = format!("{{\"a\":1}}\r\n\n{{bad}}\n{long}\n");
        let records = split(body.as_bytes(), 1000).unwrap();
        assert_eq!(
            raws(&records),
            vec![("{\"a\":1}", 1), ("{bad}", 3), (long.as_str(), 4)]
        );
        let records = split(b"{\n  \"a\": {\"b\": 1}\n}\n", 1000).unwrap();
        assert_eq!(raws(&records), vec![("{\n  \"a\": {\"b\": 1}\n}", 1)]);
        assert!(matches!(
            split(b"{\n \"a\": \n", 1000),
            Err(IngestError::InvalidJson { .. })
        ));
        let records = split(b"one\n\ntwo\n", 1000).unwrap();
        assert_eq!(raws(&records), vec![("one", 1), ("two", 3)]);
        assert!(split(b"  \n", 1000).unwrap().is_empty());
        assert!(matches!(
            split(b"ElfFile\0rest", 1000),
            Err(IngestError::InvalidRequest(_))
        ));
    }
}
