//! Command-line flags, as DESIGN.md §5 defines them.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// authtrail: a verifiable audit log for authentication events.
#[derive(Debug, Parser)]
#[command(name = "authtrail", version, about)]
pub struct Cli {
    /// Data directory.
    #[arg(
        long,
        global = true,
        env = "AUTHTRAIL_DATA",
        default_value = "./authtrail-data"
    )]
    pub data: PathBuf,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create the data directory and an Ed25519 signing key; print the verifier key.
    Init {
        /// Log name (the checkpoint origin and key name); default: "<hostname>/authtrail".
        #[arg(long)]
        origin: Option<String>,
    },
    /// Run the HTTP API on the embedded store; creates the data directory if absent.
    Serve {
        /// Address to listen on (default 127.0.0.1:7800).
        #[arg(long)]
        listen: Option<String>,
        /// Configuration file (TOML).
        #[arg(long)]
        config: Option<PathBuf>,
        /// Listen for syslog over UDP at this address (e.g. 0.0.0.0:514); repeatable.
        #[arg(long, value_name = "ADDR")]
        syslog_udp: Vec<String>,
        /// Listen for syslog over TCP (newline or octet-counted framing) at this address; repeatable.
        #[arg(long, value_name = "ADDR")]
        syslog_tcp: Vec<String>,
        /// Follow this file or glob (format auto, source `file`); repeatable.
        #[arg(long, value_name = "PATH")]
        tail: Vec<String>,
        /// TLS (docs/TLS.md).
        #[command(flatten)]
        tls: TlsArgs,
    },
    /// Append files (`-` for stdin) through the ingest pipeline; prints counts per kind and parser.
    Ingest {
        /// Input format: json (aliases ocsf, ndjson), auto (per line), syslog (aliases sshd, pam,
        /// sudo, su, authlog), auditd, nginx, envoy, authelia, authentik, okta, auth0, keycloak,
        /// cloudtrail, entra, windows, kubernetes, otlp (alias opentelemetry: OTLP/JSON
        /// requests, NDJSON of them, or a protobuf request).
        #[arg(long, default_value = "auto")]
        format: String,
        /// Source name recorded in each entry.
        #[arg(long, default_value = "cli")]
        source: String,
        /// Configuration file (TOML) for parser settings: timezone, [gateway], max_line_bytes.
        #[arg(long)]
        config: Option<PathBuf>,
        /// Zone of timestamps that carry none (IANA name, default UTC).
        #[arg(long)]
        timezone: Option<String>,
        /// Detection rule file overriding and adding to the built-ins (docs/RULES.md).
        #[arg(long, value_name = "FILE")]
        rules: Option<PathBuf>,
        /// Do not run detection over the appended events.
        #[arg(long, conflicts_with_all = ["rules", "geoip_city", "geoip_asn", "sigma"])]
        no_detect: bool,
        /// Sigma rule file or directory (docs/SIGMA.md), added after the rules; repeatable.
        #[arg(long, value_name = "FILE_OR_DIR")]
        sigma: Vec<PathBuf>,
        /// MaxMind City (or Country) database for impossible travel and session hijack.
        #[arg(long, value_name = "FILE")]
        geoip_city: Option<PathBuf>,
        /// MaxMind ASN database for session hijack and the allowed ASNs of impossible travel.
        #[arg(long, value_name = "FILE")]
        geoip_asn: Option<PathBuf>,
        /// Files to read; `-` reads standard input.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Print the latest signed checkpoint.
    Checkpoint,
    /// Verify the local log, or a remote one through its tiles.
    Verify {
        /// Verifier key (`name+id+base64`, or a file holding it); default: the data directory's own.
        #[arg(long)]
        key: Option<String>,
        /// An older signed checkpoint the log must extend (a file).
        #[arg(long)]
        trusted: Option<PathBuf>,
        /// Verify the log served at this URL instead of the local one.
        #[arg(long)]
        url: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        format: OutputFormat,
    },
    /// Events of the local log that match QUERY (docs/QUERY.md), or the rows of its pipe
    /// (`| count by FIELD`, `| top N FIELD`). Exit 2 on a bad query, with its column.
    Query {
        /// The query, e.g. `user=alice status=failure since=24h`.
        query: String,
        /// Output: a table, JSON lines (`{seq, source, event}`), OCSF events, CSV, or ECS
        /// documents.
        #[arg(long, value_enum, default_value_t = QueryFormat::Table)]
        format: QueryFormat,
        /// Print at most this many events.
        #[arg(long)]
        limit: Option<u64>,
    },
    /// The alerts detection raised (Detection Finding entries of the log), oldest first.
    Alerts {
        /// Only alerts whose window ended at or after T (`24h`, `2026-11-27`, RFC 3339).
        #[arg(long, value_name = "T")]
        since: Option<String>,
        /// Output: a table, or JSON lines (`{seq, alert}`, the alert as an OCSF finding).
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        format: OutputFormat,
        /// Print at most this many alerts.
        #[arg(long)]
        limit: Option<u64>,
    },
    /// Delete the search index and build it again from the log (the server must be stopped).
    Reindex,
    /// Write every event matching a query (docs/QUERY.md, no pipe) as NDJSON, CSV or ECS, and
    /// optionally an evidence set proving each of them against one signed checkpoint.
    Export {
        /// The query, e.g. `user=alice since=2026-11-27`; `""` exports every event.
        #[arg(long)]
        query: String,
        /// Output: OCSF events as stored (one per line), CSV (the columns of `query --format
        /// csv`), or Elastic Common Schema documents (one per line).
        #[arg(long, value_enum, default_value_t = ExportFormat::Ndjson)]
        format: ExportFormat,
        /// Output file (default: standard output).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Also write an evidence set (`authtrail-evidence-set/v1`) for the exported events here.
        #[arg(long, value_name = "FILE")]
        evidence: Option<PathBuf>,
    },
    /// The timeline of a session, a user or a source address across sources, following the
    /// correlation keys (docs/TRACE.md). Exit 1 when nothing is found, 2 on bad usage.
    #[command(group(clap::ArgGroup::new("start").required(true).args(["session", "user", "ip"])))]
    Trace(TraceArgs),
    /// Write an evidence bundle proving one entry.
    Prove {
        /// The entry's seq.
        #[arg(long)]
        seq: u64,
        /// Output file (default: standard output).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Start the server on a new data directory and feed it realistic traffic with attacks
    /// (IdP logins with MFA, sshd, an API gateway; a brute force, a password spray, an
    /// impossible-travel login), until Ctrl-C: events, traces and alerts in the web UI within a
    /// minute. Prints the URL and a token to log in with.
    Demo {
        /// Data directory to use (default: a new one under the system's temp directory; the
        /// global --data is not used, so the demo never writes into a real log by mistake).
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
        /// Address to listen on (default 127.0.0.1:7800; port 0 picks a free one).
        #[arg(long)]
        listen: Option<String>,
    },
    /// Create, list and revoke the bearer tokens callers of the HTTP API present
    /// (docs/ACCESS.md); works while `serve` runs, and a revoke takes effect at once.
    Token {
        /// What to do.
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Check an evidence bundle or an evidence set offline with nothing but the verifier key.
    VerifyEvidence {
        /// Verifier key (`name+id+base64`, or a file holding it).
        #[arg(long)]
        key: String,
        /// The bundle (`prove`) or set (`export --evidence`).
        file: PathBuf,
    },
}

/// The `token` subcommands.
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token and print it once (stdout: the token alone, unless `--format json`).
    Create {
        /// What it may do: ingest, read, admin (admin implies the others); repeatable or
        /// comma-separated.
        #[arg(
            long = "scope",
            value_name = "SCOPE",
            required = true,
            value_delimiter = ','
        )]
        scopes: Vec<String>,
        /// Limit an ingest token to this source name (`?source=`); repeatable or
        /// comma-separated. Without it, an ingest token may write as any source.
        #[arg(long = "source", value_name = "NAME", value_delimiter = ',')]
        sources: Vec<String>,
        /// A note saying whose or what the token is.
        #[arg(long)]
        name: Option<String>,
        /// Output: the token alone, or a JSON object with the token and its record.
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        format: OutputFormat,
    },
    /// List the tokens (ids, scopes, sources, names; never secrets).
    List {
        /// Output format.
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        format: OutputFormat,
    },
    /// Revoke a token by its id (or its whole text); the server refuses it from its next
    /// request. Exit 1 when no token has that id.
    Revoke {
        /// The token's id, as `token list` shows it.
        id: String,
    },
}

/// How `query` prints what it finds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum QueryFormat {
    /// Aligned columns for people.
    Table,
    /// One JSON object per line: `{"seq", "source", "event"}`.
    Json,
    /// One OCSF event per line.
    Ocsf,
    /// CSV with a header line.
    Csv,
    /// One Elastic Common Schema document per line.
    Ecs,
}

/// How `export` writes the events it finds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    /// One OCSF event per line, the stored bytes (what the evidence set proves).
    Ndjson,
    /// CSV with a header line: the columns of `query --format csv`.
    Csv,
    /// One Elastic Common Schema document per line.
    Ecs,
}

/// How a command prints its results.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// For people.
    Table,
    /// One JSON object per line.
    Json,
}

/// The flags of `trace` (exactly one of session, user, ip).
#[derive(Debug, clap::Args)]
pub struct TraceArgs {
    /// Start from a session id (`session.uid` or `actor.session.uid`).
    #[arg(long)]
    pub session: Option<String>,
    /// Start from a user (`user.name` or `actor.user.name`).
    #[arg(long)]
    pub user: Option<String>,
    /// Start from a source address.
    #[arg(long, value_name = "ADDR")]
    pub ip: Option<std::net::IpAddr>,
    /// Only events at or after T (`24h`, `2026-11-27T10:00:00Z`, `2026-11-27`); a user or
    /// address trace defaults to the last 7 days.
    #[arg(long, value_name = "T")]
    pub since: Option<String>,
    /// Only events before T.
    #[arg(long, value_name = "T")]
    pub until: Option<String>,
    /// Output: a table, or JSON lines (one step per line, with its event).
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
}

/// `serve`'s TLS flags (docs/TLS.md); they override the configuration file's `[tls]` files.
#[derive(Debug, clap::Args)]
pub struct TlsArgs {
    /// Serve HTTPS with this PEM certificate (chain); needs --tls-key.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Listen for syslog over TLS (RFC 5425, usually port 6514) at this address; repeatable;
    /// needs TLS set up.
    #[arg(long, value_name = "ADDR")]
    pub syslog_tls: Vec<String>,
}
