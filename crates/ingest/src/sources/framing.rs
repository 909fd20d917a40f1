//! Syslog over a byte stream (RFC 6587): octet counting (`LEN SP MSG`) or, failing that,
//! newline-delimited (non-transparent framing; `\n`, with a `\r` before it or a NUL accepted).
//! The choice is made per message, by its first bytes, as rsyslog and syslog-ng do.

use crate::pipeline::Message;

/// Splits a TCP byte stream into syslog messages, bounding each to `max_len` bytes.
#[derive(Debug)]
pub struct Framer {
    buf: Vec<u8>,
    max_len: usize,
    /// In the middle of an oversized newline-delimited message: its kept prefix and length so far.
    oversized: Option<Message>,
    /// Bytes of an oversized octet-counted message still to skip.
    skip: usize,
}

impl Framer {
    /// A framer keeping at most `max_len` bytes of each message.
    pub fn new(max_len: usize) -> Self {
        Framer {
            buf: Vec::new(),
            max_len: max_len.max(1),
            oversized: None,
            skip: 0,
        }
    }

    /// Add received bytes; complete messages are pushed to `out`.
    pub fn push(&mut self, mut data: &[u8], out: &mut Vec<Message>) {
        if self.skip > 0 {
            let n = self.skip.min(data.len());
            self.skip -= n;
            data = &data[n..];
        }
        self.buf.extend_from_slice(data);
        let mut at = 0;
        loop {
            let rest = &self.buf[at..];
            if rest.is_empty() {
                break;
            }
            if let Some(m) = &mut self.oversized {
                // Discard until the end of the oversized line, counting its length.
                match rest.iter().position(|&b| b == b'\n' || b == 0) {
                    Some(end) => {
                        m.original_len += end;
                        out.push(std::mem::take(m));
                        self.oversized = None;
                        at += end + 1;
                        continue;
                    }
                    None => {
                        m.original_len += rest.len();
                        at = self.buf.len();
                        break;
                    }
                }
            }
            match octet_count(rest) {
                Some(Ok((len, header))) => {
                    if len <= self.max_len {
                        if rest.len() < header + len {
                            break;
                        }
                        out.push(Message {
                            bytes: trim_end(&rest[header..header + len]).to_vec(),
                            original_len: 0,
                        });
                        at += header + len;
                    } else {
                        // Keep the first `max_len` bytes, skip the rest of the frame. The length
                        // recorded is the one the frame declared (a stream that ends early
                        // delivered less of it).
                        if rest.len() < header + self.max_len {
                            break;
                        }
                        out.push(Message {
                            bytes: rest[header..header + self.max_len].to_vec(),
                            original_len: len,
                        });
                        let consumed = (rest.len() - header).min(len);
                        self.skip = len - consumed;
                        at += header + consumed;
                    }
                }
                Some(Err(())) => break, // the count itself is not complete yet
                None => match rest.iter().position(|&b| b == b'\n' || b == 0) {
                    Some(end) => {
                        let line = trim_end(&rest[..end]);
                        if !line.is_empty() {
                            let kept = line.len().min(self.max_len);
                            out.push(Message {
                                bytes: line[..kept].to_vec(),
                                original_len: line.len(),
                            });
                        }
                        at += end + 1;
                    }
                    None if rest.len() > self.max_len => {
                        self.oversized = Some(Message {
                            bytes: rest[..self.max_len].to_vec(),
                            original_len: rest.len(),
                        });
                        at = self.buf.len();
                    }
                    None => break,
                },
            }
        }
        self.buf.drain(..at);
    }

    /// The end of the stream: a final message without its newline is still a message.
    pub fn finish(&mut self, out: &mut Vec<Message>) {
        if let Some(m) = self.oversized.take() {
            out.push(m);
        }
        let rest = trim_end(&self.buf);
        if !rest.is_empty() {
            let kept = rest.len().min(self.max_len);
            out.push(Message {
                bytes: rest[..kept].to_vec(),
                original_len: rest.len(),
            });
        }
        self.buf.clear();
    }
}

/// `Some(Ok((len, header_len)))` for an octet-counted frame (`[1-9][0-9]* SP`),
/// `Some(Err(()))` when the count is not complete yet, `None` when it is not octet counting.
fn octet_count(b: &[u8]) -> Option<Result<(usize, usize), ()>> {
    if !matches!(b.first(), Some(b'1'..=b'9')) {
        return None;
    }
    let digits = b.iter().take_while(|c| c.is_ascii_digit()).count();
    if digits > 9 {
        return None;
    }
    match b.get(digits) {
        Some(b' ') => {
            let len = b[..digits]
                .iter()
                .fold(0usize, |v, c| v * 10 + usize::from(c - b'0'));
            Some(Ok((len, digits + 1)))
        }
        None => Some(Err(())),
        Some(_) => None,
    }
}

fn trim_end(b: &[u8]) -> &[u8] {
    let mut end = b.len();
    while end > 0 && matches!(b[end - 1], b'\r' | b'\n' | 0) {
        end -= 1;
    }
    &b[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(chunks: &[&[u8]], max: usize) -> Vec<(String, usize)> {
        let mut f = Framer::new(max);
        let mut out = Vec::new();
        for c in chunks {
            f.push(c, &mut out);
        }
        f.finish(&mut out);
        out.iter()
            .map(|m| {
                (
                    String::from_utf8_lossy(&m.bytes).into_owned(),
                    m.original_len.max(m.bytes.len()),
                )
            })
            .collect()
    }

    #[test]
    fn newline_and_octet_counted_frames_split_anywhere() {
        let stream = b"<13>Dec 10 a: one\r\n11 <13>x: two\n<13>y: three\n";
        let expected = vec![
            ("<13>Dec 10 a: one".to_string(), 17),
            ("<13>x: two\n".trim_end().to_string(), 10),
            ("<13>y: three".to_string(), 12),
        ];
        assert_eq!(frame(&[stream], 1000), expected);
        // Every split point gives the same messages.
        for cut in 0..stream.len() {
            assert_eq!(
                frame(&[&stream[..cut], &stream[cut..]], 1000),
                expected,
                "cut {cut}"
            );
        }
        // Octet counting keeps embedded newlines.
        assert_eq!(frame(&[b"8 a\nb\nc\nd\n"], 100)[0].0, "a\nb\nc\nd");
    }

    #[test]
    fn oversized_messages_are_cut_and_their_length_kept() {
        let long = "x".repeat(50);
        let stream = format!("{long}\nshort\n55 {}tail\n", "y".repeat(51));
        let got = frame(&[stream.as_bytes()], 10);
        assert_eq!(got[0], ("x".repeat(10), 50));
        assert_eq!(got[1], ("short".to_string(), 5));
        assert_eq!(got[2], ("y".repeat(10), 55));
        assert_eq!(got.len(), 3, "{got:?}");
        // The same, one byte at a time.
        let mut f = Framer::new(10);
        let mut out = Vec::new();
        for b in stream.as_bytes() {
            f.push(std::slice::from_ref(b), &mut out);
        }
        f.finish(&mut out);
        let lens: Vec<_> = out
            .iter()
            .map(|m| m.original_len.max(m.bytes.len()))
            .collect();
        assert_eq!(lens, vec![50, 5, 55]);
    }
}
