//! Decoders: turn input bytes into records (one event's raw bytes each) with their line numbers.

pub mod json;

/// One input record: the exact bytes of one event and where it starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Record<'a> {
    /// The record's bytes, exactly as they appeared in the input.
    pub raw: &'a [u8],
    /// 1-based line of the input on which the record starts.
    pub line: usize,
}
