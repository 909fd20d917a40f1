//! JSON input: one object, an array of values, or a stream of values (NDJSON).

use serde_json::value::RawValue;

use crate::decode::Record;
use crate::error::IngestError;

/// Split a JSON body into records. A body whose first non-blank byte is `[` is an array;
/// anything else is a sequence of whitespace-separated values (one object, or NDJSON).
pub fn decode(body: &[u8]) -> Result<Vec<Record<'_>>, IngestError> {
    let start = body.iter().position(|b| !b.is_ascii_whitespace());
    let Some(start) = start else {
        return Err(IngestError::Empty);
    };
    let mut lines = LineCounter::new(body);
    let mut records = Vec::new();
    if body[start] == b'[' {
        let items: Vec<&RawValue> = serde_json::from_slice(body).map_err(json_error)?;
        for item in items {
            let raw = item.get().as_bytes();
            let offset = raw.as_ptr() as usize - body.as_ptr() as usize;
            records.push(Record {
                raw,
                line: lines.line_at(offset),
            });
        }
    } else {
        let mut stream = serde_json::Deserializer::from_slice(body).into_iter::<&RawValue>();
        loop {
            let item = match stream.next() {
                None => break,
                Some(r) => r.map_err(json_error)?,
            };
            let raw = item.get().as_bytes();
            let offset = raw.as_ptr() as usize - body.as_ptr() as usize;
            records.push(Record {
                raw,
                line: lines.line_at(offset),
            });
        }
    }
    if records.is_empty() {
        return Err(IngestError::Empty);
    }
    Ok(records)
}

fn json_error(e: serde_json::Error) -> IngestError {
    let full = e.to_string();
    let message = match full.rfind(" at line ") {
        Some(at) => full[..at].to_string(),
        None => full,
    };
    IngestError::InvalidJson {
        line: e.line(),
        column: e.column(),
        message,
    }
}

/// Turns increasing byte offsets into 1-based line numbers in one pass over the input.
struct LineCounter<'a> {
    body: &'a [u8],
    at: usize,
    line: usize,
}

impl<'a> LineCounter<'a> {
    fn new(body: &'a [u8]) -> Self {
        LineCounter {
            body,
            at: 0,
            line: 1,
        }
    }

    fn line_at(&mut self, offset: usize) -> usize {
        if offset >= self.at {
            self.line += self.body[self.at..offset]
                .iter()
                .filter(|&&b| b == b'\n')
                .count();
            self.at = offset;
        }
        self.line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raws<'a>(records: &[Record<'a>]) -> Vec<(&'a str, usize)> {
        records
            .iter()
            .map(|r| (std::str::from_utf8(r.raw).unwrap(), r.line))
            .collect()
    }

    #[test]
    fn one_object_an_array_and_ndjson_give_exact_raw_bytes() {
        let one = decode(b"  {\"a\": 1}\n").unwrap();
        assert_eq!(raws(&one), vec![("{\"a\": 1}", 1)]);
        let array = decode(b"[\n {\"a\":1},\n  {\"b\" : 2}\n]").unwrap();
        assert_eq!(raws(&array), vec![("{\"a\":1}", 2), ("{\"b\" : 2}", 3)]);
        let nd = decode(b"{\"a\":1}\n\n{\"b\":2}\r\n{\"c\":3}").unwrap();
        assert_eq!(
            raws(&nd),
            vec![("{\"a\":1}", 1), ("{\"b\":2}", 3), ("{\"c\":3}", 4)]
        );
    }

    #[test]
    fn bad_json_names_line_and_column() {
        match decode(b"{\"a\":1}\n{\"b\":2}\n{\"c\":}\n") {
            Err(IngestError::InvalidJson { line, column, .. }) => {
                assert_eq!((line, column), (3, 6))
            }
            other => panic!("{other:?}"),
        }
        match decode(b"[{\"a\":1},\n {\"b\" 2}]") {
            Err(IngestError::InvalidJson { line, .. }) => assert_eq!(line, 2),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            decode(b"{\"a\":1}{"),
            Err(IngestError::InvalidJson { .. })
        ));
        assert!(matches!(
            decode(b"\xff"),
            Err(IngestError::InvalidJson { .. })
        ));
    }

    #[test]
    fn empty_inputs_are_rejected() {
        assert!(matches!(decode(b""), Err(IngestError::Empty)));
        assert!(matches!(decode(b" \n\t"), Err(IngestError::Empty)));
        assert!(matches!(decode(b"[]"), Err(IngestError::Empty)));
    }
}
