//! The input formats authtrail reads, by the names given on the command line and in `?format=`.

use crate::error::IngestError;

/// Input formats the pipeline reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputFormat {
    /// OCSF JSON: one object, an array, or NDJSON.
    Json,
    /// Text lines, each sent to the parser its shape calls for.
    Auto,
    /// Syslog lines from sshd, PAM, sudo and su (the program picks the parser).
    Syslog,
    /// The Linux audit log.
    Auditd,
    /// nginx access (combined or JSON) and error logs.
    Nginx,
    /// Envoy access logs (text or JSON, bare or in container-runtime lines).
    Envoy,
    /// Authelia logs (logfmt or JSON).
    Authelia,
    /// authentik event JSON.
    Authentik,
    /// Okta System Log events (JSON: an array, NDJSON or one object).
    Okta,
    /// Auth0 tenant log events (JSON).
    Auth0,
    /// Keycloak events: log lines, or the event API's JSON.
    Keycloak,
    /// AWS CloudTrail records (JSON; `{"Records": [...]}` files are split).
    CloudTrail,
    /// Microsoft Entra ID sign-in logs (JSON: Graph `signIn` or diagnostic-settings records).
    Entra,
    /// Windows Security events (JSON from Winlogbeat/NXLog/evtx renderings, or XML event text).
    Windows,
    /// Kubernetes API server audit events (JSON).
    Kubernetes,
    /// OpenTelemetry logs: OTLP `ExportLogsServiceRequest`s (OTLP/JSON documents, NDJSON of
    /// them, or protobuf), each log record an event.
    Otlp,
}

/// Format names accepted, for messages.
pub const FORMAT_NAMES: &str = "json (aliases ocsf, ndjson), auto, syslog (aliases sshd, pam, \
                                sudo, su, authlog), auditd (alias audit), nginx, envoy, authelia, \
                                authentik, okta, auth0, keycloak, cloudtrail, entra (aliases \
                                entra-id, azure-signin), windows (alias windows-security), \
                                kubernetes (aliases k8s, k8s-audit), otlp (alias opentelemetry)";

impl InputFormat {
    /// Parse a format name as given on the command line or in `?format=`.
    pub fn parse(name: &str) -> Result<Self, IngestError> {
        Ok(match name {
            "json" | "ocsf" | "ndjson" => InputFormat::Json,
            "auto" => InputFormat::Auto,
            "syslog" | "sshd" | "pam" | "sudo" | "su" | "authlog" => InputFormat::Syslog,
            "auditd" | "audit" => InputFormat::Auditd,
            "nginx" => InputFormat::Nginx,
            "envoy" => InputFormat::Envoy,
            "authelia" => InputFormat::Authelia,
            "authentik" => InputFormat::Authentik,
            "okta" => InputFormat::Okta,
            "auth0" => InputFormat::Auth0,
            "keycloak" => InputFormat::Keycloak,
            "cloudtrail" | "aws-cloudtrail" => InputFormat::CloudTrail,
            "entra" | "entra-id" | "azure-signin" => InputFormat::Entra,
            "windows" | "windows-security" => InputFormat::Windows,
            "kubernetes" | "k8s" | "k8s-audit" => InputFormat::Kubernetes,
            "otlp" | "opentelemetry" => InputFormat::Otlp,
            other => return Err(IngestError::UnknownFormat(other.to_string())),
        })
    }

    /// The format's name.
    pub fn name(&self) -> &'static str {
        match self {
            InputFormat::Json => "json",
            InputFormat::Auto => "auto",
            InputFormat::Syslog => "syslog",
            InputFormat::Auditd => "auditd",
            InputFormat::Nginx => "nginx",
            InputFormat::Envoy => "envoy",
            InputFormat::Authelia => "authelia",
            InputFormat::Authentik => "authentik",
            InputFormat::Okta => "okta",
            InputFormat::Auth0 => "auth0",
            InputFormat::Keycloak => "keycloak",
            InputFormat::CloudTrail => "cloudtrail",
            InputFormat::Entra => "entra",
            InputFormat::Windows => "windows",
            InputFormat::Kubernetes => "kubernetes",
            InputFormat::Otlp => "otlp",
        }
    }
}
