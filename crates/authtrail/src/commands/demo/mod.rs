//! `authtrail demo`: `serve` on a fresh (or given) data directory, fed realistic traffic from
//! three sources (an IdP's logins with MFA, sshd, an API gateway carrying session cookies) with
//! attacks among it (a brute force, a password spray, an impossible-travel login), so that a new
//! user sees events, traces and alerts in the web UI within a minute.

mod traffic;

use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use authtrail_server::auth::{Scope, TokenSpec, TokenStore};

use super::serve::{self, ServeArgs};
use crate::cli::TlsArgs;
use crate::data_dir::ensure_initialized;

/// Where the demo listens unless told: the port `serve` uses by default.
const DEFAULT_LISTEN: &str = "127.0.0.1:7800";

/// Runs the demo until SIGINT or SIGTERM: `dir` (else a new directory under the system's temp
/// directory) holds the log, `listen` the address.
pub fn run(dir: Option<PathBuf>, listen: Option<String>) -> Result<ExitCode> {
    let data = match dir {
        Some(d) => d,
        None => new_temp_dir()?,
    };
    ensure_initialized(&data, Some("demo.authtrail.example/log"))?;
    let addr = concrete_address(listen.as_deref().unwrap_or(DEFAULT_LISTEN))?;
    let store = TokenStore::in_data_dir(&data);
    let (_, admin) = store
        .create(&TokenSpec {
            scopes: vec![Scope::Admin],
            sources: Vec::new(),
            name: Some("demo".into()),
        })
        .context("creating the demo's token")?;
    let url = format!("http://{addr}");
    println!("authtrail demo: data in {}", data.display());
    println!("web UI: {url}/  (log in with the token below)");
    println!("token: {admin}");
    println!(
        "traffic: okta logins with MFA, sshd, an API gateway; attacks within the first minute"
    );
    let feeder_url = url.clone();
    let token = admin.clone();
    std::thread::Builder::new()
        .name("authtrail-demo-feed".into())
        .spawn(move || {
            if let Err(e) = feed(&feeder_url, &token) {
                eprintln!("demo traffic stopped: {e:#}");
            }
        })
        .context("starting the demo's traffic")?;
    serve::run(
        &data,
        ServeArgs {
            listen: Some(addr.to_string()),
            config: None,
            syslog_udp: Vec::new(),
            syslog_tcp: Vec::new(),
            tail: Vec::new(),
            tls: TlsArgs {
                tls_cert: None,
                tls_key: None,
                syslog_tls: Vec::new(),
            },
        },
    )
}

/// A new, empty directory for the demo's log (kept after the demo, to look at).
fn new_temp_dir() -> Result<PathBuf> {
    let stamp = jiff::Timestamp::now().as_second();
    let dir = std::env::temp_dir().join(format!("authtrail-demo-{stamp}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    Ok(dir.join("data"))
}

/// `listen` with its port chosen when it is 0 (the feeder must know where to send).
fn concrete_address(listen: &str) -> Result<SocketAddr> {
    let socket = TcpListener::bind(listen).with_context(|| format!("listening on {listen}"))?;
    socket.local_addr().context("reading the bound address")
}

/// Waits for the server, then sends a second of traffic every second until it stops answering.
fn feed(url: &str, token: &str) -> Result<()> {
    let client = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .context("building the HTTP client")?;
    let deadline = Instant::now() + Duration::from_secs(60);
    while client.get(format!("{url}/healthz")).send().is_err() {
        if Instant::now() > deadline {
            anyhow::bail!("the server did not answer at {url}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let mut world = traffic::World::new();
    let start = Instant::now();
    for tick in 0u64.. {
        let second = world.second(tick, jiff::Timestamp::now());
        for (path, body) in second.requests() {
            let answer = client
                .post(format!("{url}{path}"))
                .bearer_auth(token)
                .body(body)
                .send()
                .with_context(|| format!("POST {path}"))?;
            if !answer.status().is_success() {
                let status = answer.status();
                let text = answer.text().unwrap_or_default();
                anyhow::bail!("POST {path}: {status}: {text}");
            }
        }
        let next = start + Duration::from_secs(tick + 1);
        std::thread::sleep(next.saturating_duration_since(Instant::now()));
    }
    Ok(())
}
