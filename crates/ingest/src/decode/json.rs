//! JSON input: one object, an array of values, or a stream of values (NDJSON).

use serde_json::value::RawValue;

use crate::decode::Record;
use crate::error::IngestError;

/// Split a JSON body into records: a sequence of whitespace-separated values (one object, or
/// NDJSON), except that a body holding exactly one array stands for that array's elements.
pub fn decode(body: &[u8]) -> Result<Vec<Record<'_>>, IngestError> {
    let mut values = Vec::new();
    for item in serde_json::Deserializer::from_slice(body).into_iter::<&RawValue>() {
        values.push(item.map_err(json_error)?);
    }
    if let [only] = values.as_slice() {
        if only.get().starts_with('[') {
            values = serde_json::from_str(only.get()).map_err(json_error)?;
        }
    }
    if values.is_empty() {
        return Err(IngestError::Empty);
    }
    let mut lines = LineCounter::new(body);
    Ok(values
        .into_iter()
        .map(|item| {
            let raw = item.get().as_bytes();
            // Each value borrows from `body`, so its offset is the distance between the pointers.
            let offset = raw.as_ptr() as usize - body.as_ptr() as usize;
            Record {
                raw,
                line: lines.line_at(offset),
                original_len: raw.len(),
            }
        })
        .collect())
}

/// Replace each record that is a `{"Records": [...]}` document (as AWS CloudTrail files are)
/// with the array's elements, each still a slice of `body`.
pub fn split_records_wrappers<'a>(
    body: &'a [u8],
    records: Vec<Record<'a>>,
) -> Result<Vec<Record<'a>>, IngestError> {
    /// A CloudTrail file: the records, unparsed.
    #[derive(serde::Deserialize)]
    struct Wrapper<'a> {
        #[serde(borrow, rename = "Records")]
        records: Vec<&'a RawValue>,
    }
    if !records.iter().any(|r| memmem(r.raw, b"\"Records\"")) {
        return Ok(records);
    }
    let mut lines = LineCounter::new(body);
    let mut out = Vec::with_capacity(records.len());
    for record in records {
        let wrapper = if memmem(record.raw, b"\"Records\"") {
            std::str::from_utf8(record.raw)
                .ok()
                .and_then(|text| serde_json::from_str::<Wrapper<'a>>(text).ok())
        } else {
            None
        };
        match wrapper {
            Some(w) => {
                for item in w.records {
                    let raw = item.get().as_bytes();
                    // Each element borrows from `body`, so its offset is the pointer distance.
                    let offset = raw.as_ptr() as usize - body.as_ptr() as usize;
                    out.push(Record {
                        raw,
                        line: lines.line_at(offset),
                        original_len: raw.len(),
                    });
                }
            }
            None => out.push(record),
        }
    }
    Ok(out)
}

fn memmem(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
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

    #[test]
    fn ndjson_of_arrays_keeps_each_array_as_a_record() {
        let nd = decode(b"[1]\n{\"a\":1}\n[2,3]").unwrap();
        assert_eq!(raws(&nd), vec![("[1]", 1), ("{\"a\":1}", 2), ("[2,3]", 3)]);
    }
}

#[cfg(test)]
mod wrapper_tests {
    use super::*;

    #[test]
    fn records_wrappers_are_split_into_their_elements() {
        let body = b"{\"Records\": [\n{\"a\":1},\n{\"b\":2}\n]}\n{\"c\":3}\n";
        let records = split_records_wrappers(body, decode(body).unwrap()).unwrap();
        let got: Vec<_> = records.iter().map(|r| (r.raw, r.line)).collect();
        assert_eq!(
            got,
            vec![
                (&b"{\"a\":1}"[..], 2),
                (&b"{\"b\":2}"[..], 3),
                (&b"{\"c\":3}"[..], 5)
            ]
        );
    }
}
