//! What the parsers' unit tests share: contexts, the event of a line that must parse, the
//! event's user and source, and the checks each parser makes of lines it must refuse and of
//! arbitrary text.

use std::sync::{Arc, OnceLock};

use authtrail_model::schema::Schema;
use authtrail_model::validate::UNKNOWN_NAME;
use authtrail_model::Event;
use serde_json::Value;

use crate::parse::gateway::GatewayConfig;
use crate::parse::{ParseConfig, ParseContext, ParseResult};

/// A parser of one-line records.
pub type LineParser = fn(&str, &mut ParseContext) -> ParseResult;

/// A fresh stream with the default settings, received at `received_ms`.
pub fn ctx_at(received_ms: i64) -> ParseContext {
    ParseContext::new(Arc::new(ParseConfig::default()), received_ms)
}

/// When the records of the unit tests that need no other time are received.
pub const RECEIVED_MS: i64 = 1_700_000_000_000;

/// A fresh stream with the default settings, received at [`RECEIVED_MS`].
pub fn ctx() -> ParseContext {
    ctx_at(RECEIVED_MS)
}

/// A fresh stream with these gateway settings (the rest default), received at `received_ms`.
pub fn gateway_ctx(gateway: GatewayConfig, received_ms: i64) -> ParseContext {
    let config = ParseConfig {
        gateway,
        ..ParseConfig::default()
    };
    ParseContext::new(Arc::new(config), received_ms)
}

/// The validated event of a line that must parse.
pub fn parsed(parse: LineParser, line: &str, ctx: &mut ParseContext) -> Event {
    let mut e = parse(line, ctx).unwrap_or_else(|u| panic!("{line}: {u}"));
    e.fill_required();
    e.normalize().unwrap();
    e
}

/// The user's name.
/// The user's name, or `None` when the source named no user (the model then fills in
/// [`UNKNOWN_NAME`], as OCSF requires a user on these classes).
pub fn user(e: &Event) -> Option<&str> {
    e.user
        .as_ref()?
        .name
        .as_deref()
        .filter(|n| *n != UNKNOWN_NAME)
}

/// The source IP address.
pub fn src(e: &Event) -> Option<&str> {
    e.src_endpoint.as_ref()?.ip.as_deref()
}

/// A field of the HTTP request.
pub fn http(e: &Event, key: &str) -> Option<Value> {
    e.http_request.as_ref()?.extra.get(key).cloned()
}

/// Each `(line, reason)`: the line, parsed in a fresh context, is unrecognized for a reason that
/// contains `reason`.
pub fn assert_unrecognized<'a>(
    parse: LineParser,
    mut ctx: impl FnMut() -> ParseContext,
    cases: impl IntoIterator<Item = (&'a str, &'a str)>,
) {
    for (line, reason) in cases {
        match parse(line, &mut ctx()) {
            Ok(e) => panic!("{line}: parsed as {e:?}"),
            Err(u) => assert!(u.0.contains(reason), "{line}: {u}"),
        }
    }
}

/// Parse each text in a fresh context and validate and serialize what parses: nothing panics.
pub fn parse_never_panics<'a>(
    parse: LineParser,
    mut ctx: impl FnMut() -> ParseContext,
    texts: impl IntoIterator<Item = &'a str>,
) {
    for text in texts {
        if let Ok(mut e) = parse(text, &mut ctx()) {
            let _ = e.normalize();
            let _ = e.canonical_bytes();
        }
    }
}

/// The OCSF schema from `../shared/datasets/ocsf-schema`, when it is there (the golden tests
/// insist on it in CI).
pub fn ocsf_schema() -> Option<&'static Schema> {
    static SCHEMA: OnceLock<Option<Schema>> = OnceLock::new();
    SCHEMA
        .get_or_init(|| {
            let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../../shared/datasets/ocsf-schema");
            dir.is_dir()
                .then(|| Schema::load(&dir).unwrap_or_else(|e| panic!("OCSF schema: {e}")))
        })
        .as_ref()
}

/// A validated event passes the OCSF schema check (when the schema is at hand).
pub fn assert_conforms(e: &Event) {
    let Some(schema) = ocsf_schema() else {
        return;
    };
    let json: Value = serde_json::from_slice(&e.canonical_bytes()).expect("JSON");
    let problems: Vec<String> = schema
        .check(&json)
        .iter()
        .map(ToString::to_string)
        .collect();
    assert!(
        problems.is_empty(),
        "departs from OCSF {}: {problems:#?}\n{json}",
        schema.version
    );
}
