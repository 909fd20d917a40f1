//! Loading rule files: strict reading, per-field checks, built-ins overridden by id, and the
//! final check that every enabled rule is complete.

use std::path::Path;

use authtrail_store::query::{suggestions, Field, Query};
use serde_saphyr::Spanned;

use super::raw::{IdsFile, RawDistinct, RawFile, RawLearning, RawRule, RawStep};
use super::{
    duration, Change, Condition, Counted, Distinct, Dormant, FirstSeen, PlacePart, Rule, RuleError,
    Sequence, Severity, Step, Threshold, Velocity, Watch,
};

/// A first_seen rule's history when the file gives none: 30 days.
const DEFAULT_HISTORY_MS: i64 = 30 * 86_400_000;

/// A dormant rule's history when the file gives none: 400 days, past a yearly login.
const DEFAULT_DORMANT_HISTORY_MS: i64 = 400 * 86_400_000;

/// A velocity rule's `min_distance_km` when not given.
const DEFAULT_MIN_DISTANCE_KM: f64 = 500.0;
/// A velocity rule's `max_speed_kmh` when not given.
const DEFAULT_MAX_SPEED_KMH: f64 = 900.0;
/// A velocity rule's `suppress` when not given: 1 h.
const DEFAULT_VELOCITY_SUPPRESS_MS: i64 = 3_600_000;
/// A change rule's `expire` when not given: 24 h.
const DEFAULT_EXPIRE_MS: i64 = 86_400_000;

/// The name the built-in rules go by in errors.
pub const BUILTIN_FILE: &str = "builtin.yaml";

/// The built-in rules (crates/detect/rules/builtin.yaml), in the rule file format.
pub const BUILTIN_YAML: &str = include_str!("../../rules/builtin.yaml");

/// The enabled rules, in order: built-ins first (in file order), then rules new in later files.
#[derive(Clone, Debug, Default)]
pub struct Rules {
    rules: Vec<Rule>,
}

/// A rule as one file gives it, each key checked but not yet known to be complete.
#[derive(Clone, Default)]
struct Partial {
    id: String,
    file: String,
    line: u32,
    enabled: Option<bool>,
    title: Option<String>,
    severity: Option<Severity>,
    description: Option<String>,
    filter: Option<Query>,
    group_by: Option<Vec<Field>>,
    window_ms: Option<i64>,
    count: Option<u64>,
    distinct: Option<(Vec<Distinct>, u64)>,
    suppress_ms: Option<i64>,
    kind: Option<Kind>,
    steps: Option<Vec<Step>>,
    maxspan_ms: Option<i64>,
    cancel_on: Option<Query>,
    field: Option<Field>,
    history_ms: Option<i64>,
    learning: Option<(Option<i64>, Option<u64>)>,
    gap_ms: Option<i64>,
    min_distance_km: Option<f64>,
    max_speed_kmh: Option<f64>,
    allow_asns: Option<Vec<u32>>,
    allow_networks: Option<Vec<ipnet::IpNet>>,
    watch: Option<Vec<Watch>>,
    expire_ms: Option<i64>,
}

/// A rule's `type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Threshold,
    Sequence,
    FirstSeen,
    Dormant,
    Velocity,
    Change,
}

impl Kind {
    /// The types a rule may have, as written.
    const NAMES: &'static str = "threshold, sequence, first_seen, dormant, velocity, change";

    /// Every type.
    const ALL: [Kind; 6] = [
        Kind::Threshold,
        Kind::Sequence,
        Kind::FirstSeen,
        Kind::Dormant,
        Kind::Velocity,
        Kind::Change,
    ];

    /// The type's name as written.
    fn name(self) -> &'static str {
        match self {
            Kind::Threshold => "threshold",
            Kind::Sequence => "sequence",
            Kind::FirstSeen => "first_seen",
            Kind::Dormant => "dormant",
            Kind::Velocity => "velocity",
            Kind::Change => "change",
        }
    }

    fn parse(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// The keys only some types take, this one among them.
    fn own_keys(self) -> &'static [&'static str] {
        match self {
            Kind::Threshold => &["window", "count", "distinct"],
            Kind::Sequence => &["steps", "maxspan", "cancel_on"],
            Kind::FirstSeen => &["field", "history", "learning"],
            Kind::Dormant => &["gap", "history"],
            Kind::Velocity => &[
                "min_distance_km",
                "max_speed_kmh",
                "allow_asns",
                "allow_networks",
            ],
            Kind::Change => &["watch", "expire"],
        }
    }
}

impl Rules {
    /// The built-in rules alone.
    pub fn builtin() -> Result<Rules, RuleError> {
        Rules::from_sources(&[(BUILTIN_FILE, BUILTIN_YAML)])
    }

    /// The built-in rules, overridden by a user file `(name, text)` when given: a user rule with
    /// a built-in's id replaces the keys it gives (`enabled: false` disables it); others add.
    pub fn load(user: Option<(&str, &str)>) -> Result<Rules, RuleError> {
        match user {
            Some(file) => Rules::from_sources(&[(BUILTIN_FILE, BUILTIN_YAML), file]),
            None => Rules::builtin(),
        }
    }

    /// The built-in rules overridden by the rule file at `path` (named in errors as given).
    pub fn load_file(path: &Path) -> Result<Rules, RuleError> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| RuleError {
            file: name.clone(),
            line: None,
            rule: None,
            field: None,
            message: e.to_string(),
        })?;
        Rules::load(Some((&name, &text)))
    }

    /// Rules from files `(name, text)` in order, each later one overriding earlier ones by id.
    pub fn from_sources(sources: &[(&str, &str)]) -> Result<Rules, RuleError> {
        let mut merged: Vec<Partial> = Vec::new();
        for (name, text) in sources {
            let mut seen: Vec<String> = Vec::new();
            for partial in read_file(name, text)? {
                if seen.contains(&partial.id) {
                    return Err(err(
                        &partial,
                        None,
                        "a rule with this id is already in this file",
                    ));
                }
                seen.push(partial.id.clone());
                match merged.iter_mut().find(|m| m.id == partial.id) {
                    Some(old) => old.override_with(partial),
                    None => merged.push(partial),
                }
            }
        }
        let rules = merged
            .into_iter()
            .filter(|p| p.enabled != Some(false))
            .map(Partial::finish)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Rules { rules })
    }

    /// The enabled rules.
    pub fn iter(&self) -> impl Iterator<Item = &Rule> {
        self.rules.iter()
    }

    /// The enabled rule with this id.
    pub fn get(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }

    /// How many rules are enabled.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// Whether no rule is enabled.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// These rules followed by compiled Sigma rules; an id already loaded is refused.
    pub fn with_sigma(mut self, extra: Vec<crate::sigma::Compiled>) -> Result<Rules, RuleError> {
        for c in extra {
            if self.get(&c.rule.id).is_some() {
                return Err(RuleError {
                    file: c.file,
                    line: Some(c.line),
                    rule: Some(format!("sigma rule {:?}", c.rule.title)),
                    field: Some("id".into()),
                    message: format!("a rule with id {:?} is already loaded", c.rule.id),
                });
            }
            self.rules.push(c.rule);
        }
        Ok(self)
    }

    /// The rules, for the engine.
    pub fn into_vec(self) -> Vec<Rule> {
        self.rules
    }
}

/// An error about a rule (at its first line unless `line` says otherwise).
fn err(p: &Partial, field: Option<&str>, message: impl Into<String>) -> RuleError {
    RuleError {
        file: p.file.clone(),
        line: Some(p.line),
        rule: Some(p.id.clone()),
        field: field.map(String::from),
        message: message.into(),
    }
}

/// An error at a value's own line.
fn err_at<T>(p: &Partial, at: &Spanned<T>, field: &str, message: impl Into<String>) -> RuleError {
    let line = at.referenced.line();
    RuleError {
        line: Some(if line > 0 { line as u32 } else { p.line }),
        ..err(p, Some(field), message)
    }
}

/// Reads one file strictly and checks each rule's keys.
fn read_file(name: &str, text: &str) -> Result<Vec<Partial>, RuleError> {
    let file: RawFile = serde_saphyr::from_str(text).map_err(|e| yaml_error(name, text, &e))?;
    file.rules
        .into_iter()
        .map(|r| {
            let line = r.referenced.line() as u32;
            check_rule(name, line, r.value)
        })
        .collect()
}

/// Checks the keys a rule gives.
fn check_rule(file: &str, line: u32, raw: RawRule) -> Result<Partial, RuleError> {
    let mut p = Partial {
        id: raw.id.value.clone(),
        file: file.to_string(),
        line,
        enabled: raw.enabled,
        title: raw.title,
        severity: raw.severity,
        description: raw.description,
        count: raw.count,
        min_distance_km: raw.min_distance_km,
        max_speed_kmh: raw.max_speed_kmh,
        allow_asns: raw.allow_asns.clone(),
        ..Partial::default()
    };
    if p.id.trim().is_empty() {
        return Err(err_at(&p, &raw.id, "id", "must not be empty"));
    }
    if let Some(filter) = &raw.filter {
        p.filter = Some(check_filter(&p, filter)?);
    }
    if let Some(fields) = &raw.group_by {
        let looked: Result<Vec<Field>, RuleError> = fields
            .iter()
            .map(|f| lookup_field(&p, f, "group_by"))
            .collect();
        p.group_by = Some(looked?);
    }
    if let Some(w) = &raw.window {
        p.window_ms = Some(check_duration(&p, w, "window")?);
    }
    if let Some(s) = &raw.suppress {
        p.suppress_ms = Some(check_duration(&p, s, "suppress")?);
    }
    if let Some(kind) = &raw.kind {
        p.kind = Some(Kind::parse(&kind.value).ok_or_else(|| {
            err_at(
                &p,
                kind,
                "type",
                format!(
                    "unknown type {:?}; valid types: {}",
                    kind.value,
                    Kind::NAMES
                ),
            )
        })?);
    }
    if let Some(steps) = &raw.steps {
        if steps.is_empty() {
            return Err(err(
                &p,
                Some("steps"),
                "an empty list (give at least two steps)",
            ));
        }
        let checked: Result<Vec<Step>, RuleError> =
            steps.iter().map(|s| check_step(&p, s)).collect();
        p.steps = Some(checked?);
    }
    if let Some(m) = &raw.maxspan {
        p.maxspan_ms = Some(check_duration(&p, m, "maxspan")?);
    }
    if let Some(c) = &raw.cancel_on {
        p.cancel_on = Some(check_query(&p, c, "cancel_on")?);
    }
    if let Some(f) = &raw.field {
        p.field = Some(lookup_field(&p, f, "field")?);
    }
    if let Some(h) = &raw.history {
        p.history_ms = Some(check_duration(&p, h, "history")?);
    }
    if let Some(g) = &raw.gap {
        p.gap_ms = Some(check_duration(&p, g, "gap")?);
    }
    if let Some(l) = &raw.learning {
        p.learning = Some(check_learning(&p, l)?);
    }
    if p.min_distance_km.is_some_and(|d| !d.is_finite() || d < 0.0) {
        return Err(err(
            &p,
            Some("min_distance_km"),
            "must be a number of km, 0 or more",
        ));
    }
    if p.max_speed_kmh.is_some_and(|v| !v.is_finite() || v <= 0.0) {
        return Err(err(
            &p,
            Some("max_speed_kmh"),
            "must be a speed in km/h, more than 0",
        ));
    }
    if let Some(nets) = &raw.allow_networks {
        let checked: Result<Vec<ipnet::IpNet>, RuleError> =
            nets.iter().map(|n| check_network(&p, n)).collect();
        p.allow_networks = Some(checked?);
    }
    if let Some(watch) = &raw.watch {
        if watch.is_empty() {
            return Err(err(
                &p,
                Some("watch"),
                "an empty list (give asn, country, user_agent or several)",
            ));
        }
        let checked: Result<Vec<Watch>, RuleError> = watch
            .iter()
            .map(|w| {
                Watch::parse(&w.value).ok_or_else(|| {
                    err_at(
                        &p,
                        w,
                        "watch",
                        format!(
                            "unknown attribute {:?}; valid: asn, country, user_agent",
                            w.value
                        ),
                    )
                })
            })
            .collect();
        p.watch = Some(checked?);
    }
    if let Some(e) = &raw.expire {
        p.expire_ms = Some(check_duration(&p, e, "expire")?);
    }
    if p.count == Some(0) {
        return Err(err(&p, Some("count"), "must be at least 1"));
    }
    if let Some(list) = raw.distinct {
        if list.0.is_empty() {
            return Err(err(
                &p,
                Some("distinct"),
                "an empty list (give at least one condition)",
            ));
        }
        let mut conds = Vec::new();
        let mut min_count = 0;
        for d in &list.0 {
            let (cond, mc) = check_distinct(&p, d)?;
            conds.push(cond);
            min_count = min_count.max(mc);
        }
        p.distinct = Some((conds, min_count));
    }
    Ok(p)
}

/// A `filter:` parsed by the query language, without time bounds or a pipe.
fn check_filter(p: &Partial, filter: &Spanned<String>) -> Result<Query, RuleError> {
    check_query(p, filter, "filter")
}

/// A query-language filter under `key`, without time bounds or a pipe.
fn check_query(p: &Partial, filter: &Spanned<String>, key: &str) -> Result<Query, RuleError> {
    let q = Query::parse_at(&filter.value, 0)
        .map_err(|e| err_at(p, filter, key, format!("{e} in {:?}", filter.value)))?;
    if q.since_ms.is_some() || q.until_ms.is_some() {
        return Err(err_at(
            p,
            filter,
            key,
            "since/until are not allowed in a rule filter (the rule's window bounds time)",
        ));
    }
    if q.pipe.is_some() {
        return Err(err_at(
            p,
            filter,
            key,
            "a pipe is not allowed in a rule filter (group_by and the condition aggregate)",
        ));
    }
    Ok(q)
}

/// A learning gate: `(min_age ms, min_events)`, at least one of them.
fn check_learning(
    p: &Partial,
    l: &Spanned<RawLearning>,
) -> Result<(Option<i64>, Option<u64>), RuleError> {
    let age = match &l.value.min_age {
        Some(a) => Some(check_duration(p, a, "learning.min_age")?),
        None => None,
    };
    if age.is_none() && l.value.min_events.is_none() {
        return Err(err_at(
            p,
            l,
            "learning",
            "give min_age, min_events or both (the gate opens when either is reached)",
        ));
    }
    Ok((age, l.value.min_events))
}

/// One sequence step: its filter and count (default 1).
fn check_step(p: &Partial, step: &Spanned<RawStep>) -> Result<Step, RuleError> {
    let filter = check_query(p, &step.value.filter, "steps.filter")?;
    if step.value.count == Some(0) {
        return Err(err_at(
            p,
            &step.value.filter,
            "steps.count",
            "must be at least 1",
        ));
    }
    Ok(Step {
        filter,
        count: step.value.count.unwrap_or(1),
        sigma: None,
    })
}

/// One `allow_networks` entry: a CIDR network, or one address.
fn check_network(p: &Partial, net: &Spanned<String>) -> Result<ipnet::IpNet, RuleError> {
    let text = net.value.trim();
    text.parse::<ipnet::IpNet>()
        .or_else(|_| text.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
        .map(|n| n.trunc())
        .map_err(|_| {
            err_at(
                p,
                net,
                "allow_networks",
                format!(
                    "invalid network {:?} (a CIDR such as 203.0.113.0/24 or 2001:db8::/32, or an address)",
                    net.value
                ),
            )
        })
}

/// A query field name, or an error naming close and valid names.
fn lookup_field(p: &Partial, name: &Spanned<String>, key: &str) -> Result<Field, RuleError> {
    if let Some(f) = Field::lookup(&name.value) {
        return Ok(f);
    }
    let close = suggestions(&name.value);
    let hint = if close.is_empty() {
        String::new()
    } else {
        format!(" (did you mean {}?)", close.join(", "))
    };
    let valid: Vec<&str> = Field::all().map(Field::name).collect();
    Err(err_at(
        p,
        name,
        key,
        format!(
            "unknown field {:?}{hint}; valid fields: {}",
            name.value,
            valid.join(", ")
        ),
    ))
}

/// A duration key, in ms.
fn check_duration(p: &Partial, text: &Spanned<String>, key: &str) -> Result<i64, RuleError> {
    duration::parse(&text.value).ok_or_else(|| {
        err_at(
            p,
            text,
            key,
            format!(
                "invalid duration {:?} (a whole number and ms, s, m, h or d: 30s, 10m, 24h)",
                text.value
            ),
        )
    })
}

/// One `distinct:` condition and its `min_count`.
fn check_distinct(p: &Partial, d: &RawDistinct) -> Result<(Distinct, u64), RuleError> {
    let field = lookup_field(p, &d.field, "distinct.field")?;
    if d.min == 0 {
        return Err(err_at(p, &d.field, "distinct.min", "must be at least 1"));
    }
    if d.max_per_value == Some(0) {
        return Err(err_at(
            p,
            &d.field,
            "distinct.max_per_value",
            "must be at least 1",
        ));
    }
    let cond = Distinct {
        of: Counted::Field(field),
        min: d.min,
        max_per_value: d.max_per_value,
    };
    Ok((cond, d.min_count.unwrap_or(0)))
}

impl Partial {
    /// Takes every key `later` gives; its file and line become the rule's.
    fn override_with(&mut self, later: Partial) {
        self.file = later.file;
        self.line = later.line;
        macro_rules! take {
            ($($k:ident),*) => { $( if later.$k.is_some() { self.$k = later.$k; } )* };
        }
        take!(
            enabled,
            title,
            severity,
            description,
            filter,
            group_by,
            window_ms,
            count,
            distinct,
            suppress_ms,
            kind,
            steps,
            maxspan_ms,
            cancel_on,
            field,
            history_ms,
            learning,
            gap_ms,
            min_distance_km,
            max_speed_kmh,
            allow_asns,
            allow_networks,
            watch,
            expire_ms
        );
    }

    /// The complete rule, or an error naming the first missing key.
    fn finish(self) -> Result<Rule, RuleError> {
        let missing = |key: &str| err(&self, Some(key), "missing (an enabled rule needs it)");
        let title = self.title.clone().ok_or_else(|| missing("title"))?;
        let severity = self.severity.ok_or_else(|| missing("severity"))?;
        let kind = self.kind.unwrap_or(Kind::Threshold);
        self.refuse_keys_of_other_types(kind)?;
        let condition = match kind {
            Kind::Threshold => Condition::Threshold(self.threshold()?),
            Kind::Sequence => Condition::Sequence(self.sequence()?),
            Kind::FirstSeen => Condition::FirstSeen(self.first_seen()?),
            Kind::Dormant => Condition::Dormant(self.dormant()?),
            Kind::Velocity => Condition::Velocity(Velocity {
                min_distance_km: self.min_distance_km.unwrap_or(DEFAULT_MIN_DISTANCE_KM),
                max_speed_kmh: self.max_speed_kmh.unwrap_or(DEFAULT_MAX_SPEED_KMH),
                allow_asns: self.allow_asns.clone().unwrap_or_default(),
                allow_networks: self.allow_networks.clone().unwrap_or_default(),
            }),
            Kind::Change => Condition::Change(Change {
                watch: self
                    .watch
                    .clone()
                    .unwrap_or_else(|| vec![Watch::Asn, Watch::Country, Watch::UserAgent]),
                expire_ms: self.expire_ms.unwrap_or(DEFAULT_EXPIRE_MS),
            }),
        };
        // A sequence's steps carry the filters; velocity and change rules look at every event
        // without one; the others need their own.
        let filter = match (&self.filter, kind) {
            (Some(f), _) => f.clone(),
            (None, Kind::Sequence | Kind::Velocity | Kind::Change) => Query::default(),
            (None, _) => return Err(missing("filter")),
        };
        // A new value or a return from dormancy is news each time: no suppression by default.
        let suppress_default = match &condition {
            Condition::Threshold(t) => t.window_ms,
            Condition::Sequence(s) => s.maxspan_ms,
            Condition::FirstSeen(_) | Condition::Dormant(_) => 0,
            Condition::Velocity(_) => DEFAULT_VELOCITY_SUPPRESS_MS,
            Condition::Change(c) => c.expire_ms,
        };
        Ok(Rule {
            title,
            severity,
            description: self.description.clone().unwrap_or_default(),
            filter,
            group_by: self.group_by.clone().unwrap_or_default(),
            suppress_ms: self.suppress_ms.unwrap_or(suppress_default),
            condition,
            sigma: None,
            id: self.id,
        })
    }

    /// An error naming the first key given that only another rule type takes.
    fn refuse_keys_of_other_types(&self, kind: Kind) -> Result<(), RuleError> {
        let given = [
            ("window", self.window_ms.is_some()),
            ("count", self.count.is_some()),
            ("distinct", self.distinct.is_some()),
            ("steps", self.steps.is_some()),
            ("maxspan", self.maxspan_ms.is_some()),
            ("cancel_on", self.cancel_on.is_some()),
            ("field", self.field.is_some()),
            ("history", self.history_ms.is_some()),
            ("learning", self.learning.is_some()),
            ("gap", self.gap_ms.is_some()),
            ("min_distance_km", self.min_distance_km.is_some()),
            ("max_speed_kmh", self.max_speed_kmh.is_some()),
            ("allow_asns", self.allow_asns.is_some()),
            ("allow_networks", self.allow_networks.is_some()),
            ("watch", self.watch.is_some()),
            ("expire", self.expire_ms.is_some()),
        ];
        let stray = given
            .into_iter()
            .find(|(key, set)| *set && !kind.own_keys().contains(key));
        match stray {
            None => Ok(()),
            Some((key, _)) => {
                let owner = Kind::ALL
                    .into_iter()
                    .find(|k| k.own_keys().contains(&key))
                    .map_or("another", Kind::name);
                Err(err(
                    self,
                    Some(key),
                    format!(
                        "only a {owner} rule takes this key (this rule's type is {})",
                        kind.name()
                    ),
                ))
            }
        }
    }

    /// The first_seen condition (history default 30 days, no learning gate unless given).
    fn first_seen(&self) -> Result<FirstSeen, RuleError> {
        let field = self
            .field
            .ok_or_else(|| err(self, Some("field"), "missing (a first_seen rule needs it)"))?;
        let (learn_ms, learn_events) = self.learning.unwrap_or((None, None));
        Ok(FirstSeen {
            field,
            history_ms: self.history_ms.unwrap_or(DEFAULT_HISTORY_MS),
            learn_ms,
            learn_events,
            place: PlacePart::of_field(field),
        })
    }

    /// The dormant condition (history default: a year, never less than the gap).
    fn dormant(&self) -> Result<Dormant, RuleError> {
        let gap_ms = self
            .gap_ms
            .ok_or_else(|| err(self, Some("gap"), "missing (a dormant rule needs it)"))?;
        let history_ms = self.history_ms.unwrap_or(DEFAULT_DORMANT_HISTORY_MS);
        if history_ms <= gap_ms {
            return Err(err(
                self,
                Some("history"),
                "must be longer than gap (a group forgotten before the gap ends never looks dormant)",
            ));
        }
        Ok(Dormant { gap_ms, history_ms })
    }

    /// The threshold condition.
    fn threshold(&self) -> Result<Threshold, RuleError> {
        let window_ms = self
            .window_ms
            .ok_or_else(|| err(self, Some("window"), "missing (an enabled rule needs it)"))?;
        let (distinct, distinct_min_count) = self.distinct.clone().unwrap_or_default();
        if self.count.is_none() && distinct.is_empty() {
            return Err(err(
                self,
                None,
                "no condition: give count, distinct, or both",
            ));
        }
        Ok(Threshold {
            window_ms,
            min_count: self.count.unwrap_or(0).max(distinct_min_count),
            distinct,
            distinct_needed: None,
        })
    }

    /// The sequence condition.
    fn sequence(&self) -> Result<Sequence, RuleError> {
        let missing = |key: &str| err(self, Some(key), "missing (a sequence rule needs it)");
        let steps = self.steps.clone().ok_or_else(|| missing("steps"))?;
        if steps.len() < 2 {
            return Err(err(
                self,
                Some("steps"),
                "a sequence needs at least two steps (one step is a threshold rule)",
            ));
        }
        let maxspan_ms = self.maxspan_ms.ok_or_else(|| missing("maxspan"))?;
        Ok(Sequence {
            steps,
            maxspan_ms,
            cancel_on: self.cancel_on.clone(),
        })
    }
}

/// A strict-reading error, with the rule it falls in and the key on its line when known.
fn yaml_error(file: &str, text: &str, e: &serde_saphyr::Error) -> RuleError {
    let line = e.location().map(|l| l.line()).filter(|l| *l > 0);
    let mut message = e.without_snippet().to_string();
    if let Some(cut) = message.rfind(" at line ") {
        message.truncate(cut);
    }
    let rule = line.and_then(|l| rule_at_line(text, l));
    // The key on the error's line, unless the message is about another key (or names it).
    let field = line
        .and_then(|l| key_on_line(text, l))
        .filter(|k| !message.contains(&format!("`{k}`")) && !message.contains("missing field"));
    RuleError {
        file: file.to_string(),
        line: line.map(|l| l as u32),
        rule,
        field,
        message,
    }
}

/// The id of the rule whose mapping starts last at or before `line`, read leniently.
fn rule_at_line(text: &str, line: u64) -> Option<String> {
    let ids: IdsFile = serde_saphyr::from_str(text).ok()?;
    ids.rules
        .iter()
        .rev()
        .find(|r| r.referenced.line() <= line)
        .and_then(|r| r.value.id.clone())
}

/// The mapping key written on `line` (`  window: 10x` gives `window`).
fn key_on_line(text: &str, line: u64) -> Option<String> {
    let src = text
        .lines()
        .nth(usize::try_from(line).ok()?.checked_sub(1)?)?;
    let src = src.trim_start().trim_start_matches("- ").trim_start();
    let (key, _) = src.split_once(':')?;
    let ok = !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    ok.then(|| key.to_string())
}
