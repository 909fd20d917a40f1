//! Stdout output: one compact JSON line per alert (the webhook's json body), flushed.

use std::io::Write;

use super::error::SendError;
use super::payload::Delivery;

/// Alerts as JSON lines on a writer (the process's stdout when serving).
pub(crate) struct Lines<W: Write> {
    out: W,
}

impl<W: Write> Lines<W> {
    /// Lines written to `out`.
    pub fn new(out: W) -> Lines<W> {
        Lines { out }
    }

    /// Writes and flushes one alert's line.
    pub fn send(&mut self, d: &Delivery) -> Result<(), SendError> {
        let mut line = d.json_body().map_err(SendError::Unreadable)?;
        line.push(b'\n');
        self.out.write_all(&line)?;
        self.out.flush()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::payload::tests::delivery;

    #[test]
    fn one_json_line_per_alert() {
        let mut lines = Lines::new(Vec::new());
        let d = delivery(&[("user", "a\nb")]);
        lines.send(&d).unwrap();
        lines.send(&d).unwrap();
        let text = String::from_utf8(lines.out).unwrap();
        let rows: Vec<&str> = text.lines().collect();
        assert_eq!(rows.len(), 2);
        let v: serde_json::Value = serde_json::from_str(rows[0]).unwrap();
        assert_eq!(v["seq"], 42);
        assert_eq!(v["alert"]["finding_info"]["uid"], d.stored.uid.as_str());
    }
}
