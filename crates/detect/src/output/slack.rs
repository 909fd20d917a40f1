//! Slack format of the webhook output: `{"text": "..."}`, as a Slack incoming webhook takes it.

use serde_json::json;

use super::payload::{one_line, Delivery};

/// The one-line text: `:rotating_light: [High] Title: group (N events) rule=ID alert=UID seq=N`.
pub(crate) fn text(d: &Delivery) -> String {
    let s = &d.stored;
    let line = format!(
        ":rotating_light: [{}] {} rule={} alert={} seq={}",
        s.severity,
        s.message(),
        s.rule_id,
        s.uid,
        d.seq
    );
    escape(&one_line(&line))
}

/// The request body.
pub(crate) fn body(d: &Delivery) -> Result<Vec<u8>, serde_json::Error> {
    serde_json::to_vec(&json!({ "text": text(d) }))
}

/// Slack's escaping of `&`, `<` and `>`, so that a value taken from a log line (a user name
/// such as `<!channel>`) cannot become a mention or a link.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::payload::tests::delivery;

    #[test]
    fn text_is_one_line_with_the_ids() {
        let d = delivery(&[("ip", "203.0.113.9")]);
        assert_eq!(
            text(&d),
            format!(
                ":rotating_light: [High] Brute force from one source address: ip=203.0.113.9 \
                 (12 events) rule=brute-force-ip alert={} seq=42",
                d.stored.uid
            )
        );
    }

    #[test]
    fn text_escapes_slack_controls_and_line_breaks() {
        let d = delivery(&[("user", "<!channel> & co\nnext")]);
        let t = text(&d);
        assert!(
            t.contains("user=&lt;!channel&gt; &amp; co\u{FFFD}next"),
            "{t}"
        );
        let body: serde_json::Value = serde_json::from_slice(&body(&d).unwrap()).unwrap();
        assert_eq!(body["text"], t.as_str());
        assert_eq!(body.as_object().map(|o| o.len()), Some(1));
    }
}
