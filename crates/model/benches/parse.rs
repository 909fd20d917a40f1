//! Micro benchmark of the model on the ingest path: `Event::from_json`, `Event::canonical_bytes`
//! and dropping the event, in ns/event, on realistic ~1 KB OCSF Authentication events.
//!
//! `cargo bench -p authtrail-model --bench parse` (`PARSE_BENCH_EVENTS=N` changes the 200,000;
//! `PARSE_BENCH_NO_REFERENCE=1` leaves out the reference below, e.g. for a profile).
//! For reference on a noisy machine the same events also go through `serde_json::Value` (parse,
//! serialize, drop): that line does not depend on the model, so comparing the model's figures with
//! it across two runs filters out part of the machine's noise. Under `cargo test --benches` it
//! only checks that the events parse.

use std::hint::black_box;
use std::time::{Duration, Instant};

use authtrail_model::Event;
use serde_json::Value;

/// Events per timed batch: stages are timed batch by batch, as the ingest pipeline runs them.
const BATCH: usize = 1000;

/// A small deterministic generator (SplitMix64), so every run sees the same events.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
    fn hex(&mut self, len: usize) -> String {
        (0..len)
            .map(|_| char::from_digit(self.below(16) as u32, 16).unwrap_or('0'))
            .collect()
    }
}

const USERS: &[&str] = &[
    "alice.martin",
    "bob.nguyen",
    "chloe.schmidt",
    "dmitri.ivanov",
    "emeka.okafor",
    "fatima.haddad",
];
const PRODUCTS: &[(&str, &str, &str)] = &[
    ("Okta", "Okta", "2025.11.0"),
    ("Entra ID", "Microsoft", "1.0"),
    ("Keycloak", "Red Hat", "26.0.5"),
    ("OpenSSH", "OpenBSD", "9.9p1"),
];
const CITIES: &[(&str, &str)] = &[
    ("US", "Seattle"),
    ("DE", "Berlin"),
    ("JP", "Tokyo"),
    ("FR", "Montréal-la-Cluse"),
];
const SERVICES: &[&str] = &["Salesforce", "GitHub Enterprise", "Slack", "VPN Gateway"];
const AGENTS: &[&str] = &[
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:132.0) Gecko/20100101 Firefox/132.0",
    "okta-auth-js/7.8.1 okta-signin-widget-7.25.0",
];

/// One ~1 KB OCSF Authentication event.
fn event(rng: &mut Rng, i: u64) -> String {
    let user = format!("{}{}", rng.pick(USERS), rng.below(500));
    let (product, vendor, pversion) = PRODUCTS[rng.below(PRODUCTS.len() as u64) as usize];
    let (cc, city) = CITIES[rng.below(CITIES.len() as u64) as usize];
    let ip = format!(
        "{}.{}.{}.{}",
        [198, 203, 192][rng.below(3) as usize],
        rng.below(256),
        rng.below(256),
        1 + rng.below(254)
    );
    let failed = rng.below(8) == 0;
    let (status_id, severity_id, code) = if failed {
        (2, 3, "INVALID_CREDENTIALS")
    } else {
        (1, 1, "SUCCESS")
    };
    let service = rng.pick(SERVICES);
    format!(
        concat!(
            r#"{{"class_uid":3002,"category_uid":3,"activity_id":1,"time":{time},"#,
            r#""severity_id":{severity_id},"status_id":{status_id},"status_code":"{code}","#,
            r#""message":"User {user} signed in to {service}","#,
            r#""metadata":{{"version":"1.3.0","uid":"{uid}","#,
            r#""product":{{"name":"{product}","vendor_name":"{vendor}","version":"{pversion}","#,
            r#""feature":{{"name":"SSO","uid":"f-{feature}"}}}}}},"#,
            r#""user":{{"name":"{user}","uid":"00u{useruid}","email_addr":"{user}@acme.example.com","type_id":1}},"#,
            r#""src_endpoint":{{"ip":"{ip}","port":{port},"hostname":"ws-{host}.corp.acme.example.com","#,
            r#""location":{{"country":"{cc}","city":"{city}"}}}},"#,
            r#""service":{{"name":"{service}","uid":"0oa{svcuid}"}},"#,
            r#""session":{{"uid":"{session}","is_mfa":{mfa}}},"#,
            r#""auth_protocol_id":5,"logon_type_id":3,"is_mfa":{mfa},"#,
            r#""http_request":{{"user_agent":"{agent}","http_method":"POST"}},"#,
            r#""unmapped":{{"transaction_id":"{txid}","debug_context.risk":"{{level=LOW}}","#,
            r#""debug_context.behaviors":"{{New Geo-Location=NEGATIVE, New Device=NEGATIVE}}"}}}}"#
        ),
        time = 1_764_230_400_000i64 + (i as i64) * 3,
        severity_id = severity_id,
        status_id = status_id,
        code = code,
        user = user,
        service = service,
        uid = rng.hex(32),
        product = product,
        vendor = vendor,
        pversion = pversion,
        feature = rng.hex(6),
        useruid = rng.hex(17),
        ip = ip,
        port = 1024 + rng.below(60000),
        host = rng.hex(6),
        cc = cc,
        city = city,
        svcuid = rng.hex(17),
        session = rng.hex(24),
        mfa = rng.below(3) != 0,
        agent = rng.pick(AGENTS),
        txid = rng.hex(20),
    )
}

/// Time of each stage over the events run; also the fastest batch of each stage.
struct Stages {
    sum: [Duration; 3],
    best: [Duration; 3],
    events: usize,
}

impl Stages {
    fn new() -> Stages {
        Stages {
            sum: [Duration::ZERO; 3],
            best: [Duration::MAX; 3],
            events: 0,
        }
    }

    fn add(&mut self, times: [Duration; 3], n: usize) {
        for (i, t) in times.into_iter().enumerate() {
            self.sum[i] += t;
            if n == BATCH {
                self.best[i] = self.best[i].min(t);
            }
        }
        self.events += n;
    }

    fn print(&self, label: &str, names: [&str; 3]) {
        let mean = |d: Duration| d.as_nanos() as f64 / self.events as f64;
        let best = |d: Duration| d.as_nanos() as f64 / BATCH as f64;
        println!(
            "{label} ({} events): ns/event, mean (best batch of {BATCH})",
            self.events
        );
        for (i, name) in names.iter().enumerate() {
            println!(
                "  {name:<18} {:>7.0}  ({:>5.0})",
                mean(self.sum[i]),
                best(self.best[i])
            );
        }
        let total: Duration = self.sum.iter().sum();
        let best_total: Duration = self.best.iter().sum();
        println!(
            "  {:<18} {:>7.0}  ({:>5.0})",
            "sum",
            mean(total),
            best(best_total)
        );
    }
}

/// What is measured: parse one input, encode the result, drop it.
trait Subject {
    type Parsed;
    fn parse(input: &[u8]) -> Self::Parsed;
    fn encode(parsed: &Self::Parsed) -> Vec<u8>;
}

/// The model: `Event::from_json`, `Event::canonical_bytes`, drop.
struct Model;

impl Subject for Model {
    type Parsed = Event;
    fn parse(input: &[u8]) -> Event {
        Event::from_json(input).expect("bench event parses")
    }
    fn encode(event: &Event) -> Vec<u8> {
        event.canonical_bytes()
    }
}

/// The reference: `serde_json::Value`, independent of the model.
struct Reference;

impl Subject for Reference {
    type Parsed = Value;
    fn parse(input: &[u8]) -> Value {
        serde_json::from_slice(input).expect("bench event is JSON")
    }
    fn encode(value: &Value) -> Vec<u8> {
        serde_json::to_vec(value).expect("serializes")
    }
}

/// Event by event, as the ingest pipeline (`prepare_batch`) does: parse one, encode it, drop
/// both, next; each stage timed on its own (two clock reads per stage, a few tens of ns).
fn per_event<S: Subject>(inputs: &[String], total: usize) -> Stages {
    let mut stages = Stages::new();
    let mut done = 0;
    while done < total {
        let n = BATCH.min(total - done);
        let mut times = [Duration::ZERO; 3];
        for i in done..done + n {
            let input = inputs[i % inputs.len()].as_bytes();
            let t0 = Instant::now();
            let parsed = S::parse(black_box(input));
            let t1 = Instant::now();
            let bytes = S::encode(black_box(&parsed));
            let t2 = Instant::now();
            drop(black_box(parsed));
            let t3 = Instant::now();
            black_box(bytes);
            times[0] += t1 - t0;
            times[1] += t2 - t1;
            times[2] += t3 - t2;
        }
        stages.add(times, n);
        done += n;
    }
    stages
}

/// Stage by stage over batches of `BATCH` events: parse them all, encode them all, drop them all
/// (as the `parts` figure of the log benchmark does). Later stages find the data out of cache.
fn by_stage<S: Subject>(inputs: &[String], total: usize) -> Stages {
    let mut stages = Stages::new();
    let mut done = 0;
    while done < total {
        let n = BATCH.min(total - done);
        let batch = (done..done + n).map(|i| inputs[i % inputs.len()].as_bytes());
        let t0 = Instant::now();
        let parsed: Vec<S::Parsed> = batch.map(|b| S::parse(black_box(b))).collect();
        let t1 = Instant::now();
        let encoded: Vec<Vec<u8>> = parsed.iter().map(S::encode).collect();
        let t2 = Instant::now();
        drop(black_box(parsed));
        let t3 = Instant::now();
        black_box(&encoded);
        stages.add([t1 - t0, t2 - t1, t3 - t2], n);
        done += n;
    }
    stages
}

fn main() {
    let mut rng = Rng(0x5eed_a11c_e000_0001);
    let inputs: Vec<String> = (0..BATCH as u64).map(|i| event(&mut rng, i)).collect();
    if !std::env::args().any(|a| a == "--bench") {
        // `cargo test --benches`: check the events, measure nothing.
        for input in &inputs {
            let e = Event::from_json(input.as_bytes()).expect("bench event parses");
            let back: Event = serde_json::from_slice(&e.canonical_bytes()).expect("reads back");
            assert_eq!(back, e);
        }
        println!(
            "parse bench: {} events parse; run with cargo bench",
            inputs.len()
        );
        return;
    }
    let total: usize = std::env::var("PARSE_BENCH_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200_000);
    let reference = std::env::var_os("PARSE_BENCH_NO_REFERENCE").is_none();
    let avg_len = inputs.iter().map(String::len).sum::<usize>() / inputs.len();
    println!(
        "{} distinct events of {avg_len} bytes on average",
        inputs.len()
    );
    let model = ["Event::from_json", "canonical_bytes", "drop Event"];
    let value = ["from_slice", "to_vec", "drop Value"];
    // Warm up the allocator and the caches; not counted.
    per_event::<Model>(&inputs, 20 * BATCH);
    per_event::<Model>(&inputs, total).print("model, event by event", model);
    if reference {
        per_event::<Reference>(&inputs, total)
            .print("reference serde_json::Value, event by event", value);
    }
    by_stage::<Model>(&inputs, total).print("model, stage by stage", model);
    if reference {
        by_stage::<Reference>(&inputs, total)
            .print("reference serde_json::Value, stage by stage", value);
    }
}
