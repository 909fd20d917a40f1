//! Parsers: one module per product, each turning one record's text into an OCSF event.
//!
//! A parser is a function from a record (one line, or for auditd the lines of one event) to
//! [`ParseResult`]: an event that the pipeline then validates ([`Event::normalize`]), or
//! [`Unrecognized`] saying why the record is not one the parser maps. Unrecognized records are
//! never dropped: the pipeline keeps them as unparsed events with that reason.
//!
//! Syslog-borne products (sshd, PAM, sudo, su) parse the message after [`syslog`] has taken the
//! header off; [`syslog::dispatch`] picks the product from the program name.

use std::borrow::Cow;

use authtrail_model::Event;

pub mod auditd;
pub mod auth0;
pub mod authelia;
pub mod authentik;
pub mod auto;
pub mod build;
pub mod clock;
pub mod cloudtrail;
pub mod context;
pub mod entra;
pub mod envoy;
pub mod format;
pub mod gateway;
pub mod http_event;
pub mod json_fields;
pub mod keycloak;
pub mod kubernetes;
pub mod lenient;
pub mod nginx;
pub mod okta;
pub mod otlp;
pub mod pam;
pub mod sshd;
pub mod su;
pub mod sudo;
pub mod syslog;
#[cfg(test)]
pub(crate) mod test_support;
pub mod text;
pub mod windows;

pub use context::{ParseConfig, ParseContext};

/// What a parser makes of one record.
pub type ParseResult = Result<Event, Unrecognized>;

/// Why a parser made no event of a record (kept as the unparsed event's reason).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unrecognized(pub Cow<'static, str>);

impl Unrecognized {
    /// A reason known at compile time.
    pub const fn new(reason: &'static str) -> Self {
        Unrecognized(Cow::Borrowed(reason))
    }

    /// A reason built at run time.
    pub fn because(reason: String) -> Self {
        Unrecognized(Cow::Owned(reason))
    }
}

impl std::fmt::Display for Unrecognized {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The parsers, by the name recorded on their events (`metadata.log_format`) and counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Parser {
    /// OCSF JSON passed through.
    Ocsf,
    /// OpenSSH's sshd (and sshd-session).
    Sshd,
    /// Linux-PAM module messages (pam_unix and friends) from any program.
    Pam,
    /// sudo.
    Sudo,
    /// su.
    Su,
    /// The Linux audit daemon's log.
    Auditd,
    /// nginx access and error logs.
    Nginx,
    /// Envoy access logs.
    Envoy,
    /// Authelia (logfmt or JSON logrus lines).
    Authelia,
    /// authentik event JSON.
    Authentik,
    /// Okta System Log.
    Okta,
    /// Auth0 tenant logs.
    Auth0,
    /// Keycloak events.
    Keycloak,
    /// AWS CloudTrail.
    CloudTrail,
    /// Microsoft Entra ID sign-in logs.
    Entra,
    /// Windows Security event log.
    Windows,
    /// Kubernetes API server audit events.
    Kubernetes,
    /// OpenTelemetry log records (OTLP) of authtrail's event vocabulary.
    Otlp,
}

impl Parser {
    /// The parser's name.
    pub fn name(self) -> &'static str {
        match self {
            Parser::Ocsf => "ocsf",
            Parser::Sshd => "sshd",
            Parser::Pam => "pam",
            Parser::Sudo => "sudo",
            Parser::Su => "su",
            Parser::Auditd => "auditd",
            Parser::Nginx => "nginx",
            Parser::Envoy => "envoy",
            Parser::Authelia => "authelia",
            Parser::Authentik => "authentik",
            Parser::Okta => "okta",
            Parser::Auth0 => "auth0",
            Parser::Keycloak => "keycloak",
            Parser::CloudTrail => "cloudtrail",
            Parser::Entra => "entra",
            Parser::Windows => "windows",
            Parser::Kubernetes => "kubernetes",
            Parser::Otlp => "otlp",
        }
    }
}
