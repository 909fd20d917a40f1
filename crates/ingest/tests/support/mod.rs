//! Shared by the golden tests: read a dataset file from `../shared/datasets`, run it through the
//! pipeline, and render one line per record with what it became.
//!
//! A missing `../shared` (a user's clone) skips the test with a printed notice; with `CI` set it
//! fails instead.
//!
//! Also what the tests that check us against CrowdSec's `parser.assert` files share: reading the
//! assertions, and comparing their values with ours.

#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use authtrail_ingest::limits::Limits;
use authtrail_ingest::parse::ParseConfig;
use authtrail_ingest::pipeline::Normalized;
use authtrail_ingest::{InputFormat, Normalizer};
use authtrail_model::schema::Schema;
use serde_json::Value;

/// Ingest time used by every golden test: 2026-11-27T00:00:00Z.
pub const INGEST_MS: i64 = 1_795_737_600_000;

/// The datasets folder, or `None` (after a notice) when it is absent outside CI.
pub fn datasets() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/datasets");
    if dir.is_dir() {
        return Some(dir);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "../shared/datasets not found at {} and CI is set",
        dir.display()
    );
    println!("skipping: ../shared/datasets not found");
    None
}

/// Read a dataset file (path relative to `../shared/datasets`), or `None` to skip.
pub fn dataset(rel: &str) -> Option<Vec<u8>> {
    let path = datasets()?.join(rel);
    Some(std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
}

/// Normalize every record of `body` as one stream of `format`, with `config`.
pub fn normalize_with(
    body: &[u8],
    format: InputFormat,
    config: ParseConfig,
) -> Vec<(usize, Normalized)> {
    let mut normalizer = Normalizer::new(format, Arc::new(config));
    let limits = Limits::default();
    let records = normalizer.records(body, &limits).expect("records");
    normalizer.set_received_ms(INGEST_MS);
    let out: Vec<(usize, Normalized)> = records
        .iter()
        .map(|r| (r.line, normalizer.normalize(r)))
        .collect();
    assert_conforms_to_ocsf(&out);
    out
}

/// The user the source named: `None` also when the model filled in the unknown user.
pub fn user_name(e: &authtrail_model::Event) -> Option<&str> {
    e.user
        .as_ref()?
        .name
        .as_deref()
        .filter(|n| *n != authtrail_model::validate::UNKNOWN_NAME)
}

/// The OCSF schema from `../shared/datasets/ocsf-schema`, loaded once per test binary.
pub fn ocsf_schema() -> Option<&'static Schema> {
    static SCHEMA: OnceLock<Option<Schema>> = OnceLock::new();
    SCHEMA
        .get_or_init(|| {
            let dir = datasets()?.join("ocsf-schema");
            Some(Schema::load(&dir).unwrap_or_else(|e| panic!("OCSF schema: {e}")))
        })
        .as_ref()
}

/// The index keys the pipeline reads from each typed event are those the indexer would read
/// from the event's JSON (the pipeline hands them over so the indexer need not parse it back).
pub fn assert_index_keys_agree(records: &[(usize, Normalized)]) {
    use authtrail_store::index::{capture::capture, keys::extract};
    for (line, n) in records {
        let bytes = n.event.canonical_bytes();
        let mut from_json = extract("source", &bytes);
        from_json.values.pop(); // The source, which the entry adds.
        assert_eq!(capture(&n.event), from_json, "line {line}: index keys");
    }
}

/// Every event (mapped or unparsed) passes the OCSF schema check; unparsed events are OCSF's
/// Base Event (class 0) under the name DESIGN.md gives them, "Unparsed".
pub fn assert_conforms_to_ocsf(records: &[(usize, Normalized)]) {
    assert_index_keys_agree(records);
    let Some(schema) = ocsf_schema() else {
        return;
    };
    for (line, n) in records {
        let event: Value = serde_json::from_slice(&n.event.canonical_bytes()).expect("json");
        let problems: Vec<String> = schema
            .check(&event)
            .iter()
            .map(ToString::to_string)
            .filter(|p| !(n.event.is_unparsed() && p.starts_with("class_name: \"Unparsed\"")))
            .collect();
        assert!(
            problems.is_empty(),
            "L{line}: the {} event departs from OCSF {}: {problems:#?}\n{event}",
            n.parser.map_or("unparsed", |p| p.name()),
            schema.version
        );
    }
}

/// Normalize with the default configuration.
pub fn normalize(body: &[u8], format: InputFormat) -> Vec<(usize, Normalized)> {
    normalize_with(body, format, ParseConfig::default())
}

/// Read a dataset file and normalize it with the default configuration, or `None` to skip.
pub fn normalized(rel: &str, format: InputFormat) -> Option<Vec<(usize, Normalized)>> {
    Some(normalize(&dataset(rel)?, format))
}

/// A dataset file of Panther's rule tests, as NDJSON of their records, or `None` to skip.
pub fn panther_dataset(rel: &str) -> Option<Vec<u8>> {
    Some(panther_logs(&dataset(rel)?))
}

/// Panther's rule tests (one test a line, the record under `log`) as NDJSON of the records.
pub fn panther_logs(body: &[u8]) -> Vec<u8> {
    let text = std::str::from_utf8(body).expect("utf-8");
    let mut out = String::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let test: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("L{}: {e}", i + 1));
        let log = test
            .get("log")
            .unwrap_or_else(|| panic!("L{}: no log", i + 1));
        out.push_str(&serde_json::to_string(log).expect("JSON"));
        out.push('\n');
    }
    out.into_bytes()
}

/// `body` normalized as `format` and with `auto`, record by record: `(line, explicit, auto)`.
pub fn explicit_and_auto(
    path: &str,
    body: &[u8],
    format: InputFormat,
) -> Vec<(usize, Normalized, Normalized)> {
    let explicit = normalize(body, format);
    let auto = normalize(body, InputFormat::Auto);
    assert_eq!(explicit.len(), auto.len(), "{path}");
    explicit
        .into_iter()
        .zip(auto)
        .map(|((line, a), (_, b))| (line, a, b))
        .collect()
}

/// `auto` picked the explicit format's parser for a record and made the same event of it.
pub fn assert_auto_agrees(path: &str, line: usize, explicit: &Normalized, auto: &Normalized) {
    assert_eq!(
        explicit.parser,
        auto.parser,
        "{path} L{line}: auto chose otherwise ({})",
        auto.unparsed_reason.as_deref().unwrap_or("")
    );
    assert_eq!(explicit.event, auto.event, "{path} L{line}");
}

/// One line per record: `L<line> class | activity | status | time | user | ip | session`, and
/// for unparsed records the reason.
pub fn render(records: &[(usize, Normalized)]) -> String {
    let mut out = String::new();
    for (line, n) in records {
        let e = &n.event;
        if e.is_unparsed() {
            out.push_str(&format!(
                "L{line} UNPARSED [{}] {}\n",
                n.parser.map_or("none", |p| p.name()),
                n.unparsed_reason.as_deref().unwrap_or("")
            ));
            continue;
        }
        let time = jiff::Timestamp::from_millisecond(e.time)
            .map(|t| t.to_string())
            .unwrap_or_else(|_| e.time.to_string());
        // API Activity has no `user`: its actor's is shown.
        let user = e
            .user
            .as_ref()
            .and_then(|u| u.name.as_deref())
            .or_else(|| e.actor.as_ref()?.pointer("/user/name")?.as_str())
            .unwrap_or("-");
        let ip = e
            .src_endpoint
            .as_ref()
            .and_then(|s| s.ip.as_deref().or(s.hostname.as_deref()))
            .unwrap_or("-");
        let session = e
            .session
            .as_ref()
            .and_then(|s| s.uid.as_deref())
            .unwrap_or("-");
        out.push_str(&format!(
            "L{line} {} | {} | {} | {time} | user={user} | src={ip} | session={session}\n",
            e.class_name.as_deref().unwrap_or("?"),
            e.activity_name.as_deref().unwrap_or("?"),
            e.status.as_deref().unwrap_or("?"),
        ));
    }
    out
}

/// [`render`], then each parsed record's event as canonical JSON.
pub fn render_with_events(records: &[(usize, Normalized)]) -> String {
    let mut out = render(records);
    out.push_str("\n# canonical events\n");
    for (line, n) in records {
        if n.event.is_unparsed() {
            continue;
        }
        let json = String::from_utf8(n.event.canonical_bytes()).expect("utf-8");
        out.push_str(&format!("L{line} {json}\n"));
    }
    out
}

/// Split one CSV line into fields (`"…"` quoting with `""` escapes; no newlines in fields).
pub fn csv_fields(line: &str) -> Vec<String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => fields.push(std::mem::take(&mut field)),
            c => field.push(c),
        }
    }
    fields.push(field);
    fields
}

/// The `Evt.Meta[...]` values of CrowdSec's `results["s01-parse"]["<parser>"][N]…` lines: line
/// number (N + 1) → values.
pub fn crowdsec_meta(assert_file: &str) -> BTreeMap<usize, BTreeMap<String, String>> {
    let mut out: BTreeMap<usize, BTreeMap<String, String>> = BTreeMap::new();
    for (line, rest) in crowdsec_s01_entries(assert_file) {
        let entry = out.entry(line).or_default();
        if let Some(("Meta", key, value)) = crowdsec_evt_value(rest) {
            entry.insert(key.to_string(), value);
        }
    }
    out
}

/// A CrowdSec hub test log and the text of the `parser.assert` beside it, or `None` to skip.
pub fn crowdsec_test(path: &str) -> Option<(Vec<u8>, String)> {
    let body = dataset(path)?;
    let assert_path = format!("{}/parser.assert", path.rsplit_once('/').expect("dir").0);
    let asserts = dataset(&assert_path)?;
    Some((body, String::from_utf8(asserts).expect("utf-8")))
}

/// A Go string literal's value (`\"`, `\\`, `\n`, `\t`).
pub fn go_unquote(s: &str) -> Option<String> {
    let inner = s.strip_prefix('"')?.strip_suffix('"')?;
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next()? {
                'n' => out.push('\n'),
                't' => out.push('\t'),
                other => out.push(other),
            }
        } else {
            out.push(c);
        }
    }
    Some(out)
}

/// The `results["s01-parse"]["<parser>"][N].<rest>` lines of a `parser.assert`: the line each
/// speaks of (N + 1) and `<rest>`.
pub fn crowdsec_s01_entries(assert_file: &str) -> impl Iterator<Item = (usize, &str)> {
    assert_file.lines().filter_map(|line| {
        let rest = line.strip_prefix("results[\"s01-parse\"][\"")?;
        let (_parser, rest) = rest.split_once("\"][")?;
        let (index, rest) = rest.split_once("].")?;
        let index = index.parse::<usize>().ok()?;
        Some((index + 1, rest))
    })
}

/// An entry's `Evt.Parsed["<key>"] == "<value>"` or `Evt.Meta["<key>"] == "<value>"`: the map
/// (`Parsed` or `Meta`), the key, and the value.
pub fn crowdsec_evt_value(rest: &str) -> Option<(&'static str, &str, String)> {
    let (key, value) = rest.strip_prefix("Evt.")?.split_once("] == ")?;
    let (map, key) = match key.strip_prefix("Parsed[\"") {
        Some(key) => ("Parsed", key),
        None => ("Meta", key.strip_prefix("Meta[\"")?),
    };
    Some((map, key.strip_suffix('"')?, go_unquote(value)?))
}

/// A disagreement with CrowdSec that is on purpose: file, line, field, and why.
pub struct Explained {
    pub file: &'static str,
    pub line: usize,
    pub field: &'static str,
    pub why: &'static str,
}

/// Our values compared with CrowdSec's: a table row for each, the disagreements that none of
/// `explained` explains, and the explanations used.
pub struct CrowdsecComparison {
    pub explained: &'static [Explained],
    pub table: String,
    pub unexplained: Vec<String>,
    pub explained_seen: BTreeSet<(&'static str, usize, &'static str)>,
    pub compared: usize,
}

impl CrowdsecComparison {
    pub fn new(explained: &'static [Explained]) -> Self {
        CrowdsecComparison {
            explained,
            table: String::new(),
            unexplained: Vec::new(),
            explained_seen: BTreeSet::new(),
            compared: 0,
        }
    }

    /// Compare the value CrowdSec states for `field` of `path` line `line` with ours (`-` for
    /// none), and add its row.
    pub fn compare(
        &mut self,
        path: &str,
        line: usize,
        field: &str,
        theirs: &str,
        ours: Option<String>,
    ) {
        self.compared += 1;
        let ours = ours.unwrap_or_else(|| "-".into());
        let verdict = if ours == theirs {
            "ok".to_string()
        } else if let Some(x) = self
            .explained
            .iter()
            .find(|x| x.file == path && x.line == line && x.field == field)
        {
            self.explained_seen.insert((x.file, x.line, x.field));
            format!("differs, explained: {}", x.why)
        } else {
            self.unexplained
                .push(format!("{path} L{line} {field}: {theirs} vs {ours}"));
            "DISAGREES".to_string()
        };
        self.table.push_str(&format!(
            "L{line} {field:6} crowdsec={theirs} ours={ours} {verdict}\n"
        ));
    }

    /// Print the table; fail with fewer than `min_compared` values compared, on a disagreement
    /// nothing explains, or on an explanation that no longer applies.
    pub fn finish(&self, min_compared: usize) {
        let table = &self.table;
        println!("{table}");
        assert!(
            self.compared >= min_compared,
            "only {} values compared:\n{table}",
            self.compared
        );
        assert!(
            self.unexplained.is_empty(),
            "{:#?}\n{table}",
            self.unexplained
        );
        // An explanation that no longer applies must go.
        for x in self.explained {
            assert!(
                self.explained_seen.contains(&(x.file, x.line, x.field)),
                "{} L{} {} agrees now: remove its explanation",
                x.file,
                x.line,
                x.field
            );
        }
    }
}
