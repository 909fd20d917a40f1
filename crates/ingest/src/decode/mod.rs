//! Decoders: turn input bytes into records (one event's raw bytes each) with their line numbers.

pub mod evtx;
pub mod json;
pub mod lines;
pub mod otlp;
pub mod windows;

/// Each record's text and line, for the decoders' tests.
#[cfg(test)]
pub(crate) fn raws<'a>(records: &[Record<'a>]) -> Vec<(&'a str, usize)> {
    records
        .iter()
        .map(|r| (std::str::from_utf8(r.raw).unwrap(), r.line))
        .collect()
}

/// One input record: the exact bytes of one event and where it starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Record<'a> {
    /// The record's bytes, exactly as they appeared in the input (cut at the line limit when
    /// `original_len` is larger).
    pub raw: &'a [u8],
    /// 1-based line of the input on which the record starts.
    pub line: usize,
    /// The record's length before it was cut to the line limit (equal to `raw.len()` if not cut).
    pub original_len: usize,
}

impl Record<'_> {
    /// Whether the record was cut to the line limit.
    pub fn is_truncated(&self) -> bool {
        self.original_len > self.raw.len()
    }
}
