//! Durations as rule files write them: a whole number and a unit (`30s`, `10m`, `24h`, `7d`).

/// Parses `text` to milliseconds; `None` unless it is a positive whole number and a unit
/// (`ms`, `s`, `m`, `h`, `d`).
pub(crate) fn parse(text: &str) -> Option<i64> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit())?;
    let (digits, unit) = text.split_at(split);
    let n: i64 = digits.parse().ok()?;
    let scale: i64 = match unit {
        "ms" => 1,
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return None,
    };
    let ms = n.checked_mul(scale)?;
    (ms > 0).then_some(ms)
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn parses_units_and_refuses_the_rest() {
        assert_eq!(parse("1m"), Some(60_000));
        assert_eq!(parse("10m"), Some(600_000));
        assert_eq!(parse("24h"), Some(86_400_000));
        assert_eq!(parse("500ms"), Some(500));
        assert_eq!(parse("2d"), Some(172_800_000));
        for bad in [
            "10x",
            "m",
            "10",
            "",
            "0s",
            "-1m",
            "1.5h",
            "1 m x",
            "99999999999999999d",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }
}
