//! `serve`'s TLS: the `[tls]` table with the command line's files over it, loaded and checked
//! before anything is opened.

use anyhow::{bail, Context, Result};
use authtrail_server::tls::{TlsSettings, TlsSetup};

use crate::cli::TlsArgs;
use crate::config::SyslogSettings;

/// The TLS settings in force: the configuration file's, with `--tls-cert`/`--tls-key` replacing
/// its files; `None` when TLS is off.
pub fn settings(config: Option<TlsSettings>, args: &TlsArgs) -> Option<TlsSettings> {
    match (config, &args.tls_cert, &args.tls_key) {
        (Some(mut settings), Some(cert), Some(key)) => {
            settings.cert = cert.clone();
            settings.key = key.clone();
            Some(settings)
        }
        (None, Some(cert), Some(key)) => Some(TlsSettings::new(cert.clone(), key.clone())),
        (config, _, _) => config,
    }
}

/// Load the files (printing warnings, such as an expired certificate, on stderr); refuse
/// syslog-over-TLS listeners when TLS is off.
pub fn load(
    settings: Option<&TlsSettings>,
    listeners: &[SyslogSettings],
) -> Result<Option<TlsSetup>> {
    let Some(settings) = settings else {
        if let Some(l) = listeners.iter().find(|l| l.transport == "tls") {
            bail!(
                "syslog listener {}: transport tls needs [tls] cert and key (or --tls-cert and --tls-key)",
                l.listen
            );
        }
        return Ok(None);
    };
    let setup = TlsSetup::load(settings).context("tls")?;
    for warning in &setup.warnings {
        eprintln!("warning: {warning}");
    }
    Ok(Some(setup))
}

/// Read the TLS files again for new connections (on SIGHUP): says so on stdout, with any
/// warning on stderr; a file with an error is logged, naming it, and the files in force stay.
pub fn reload(setup: &TlsSetup) {
    match setup.reload() {
        Ok(warnings) => {
            for warning in &warnings {
                eprintln!("warning: {warning}");
            }
            println!(
                "tls: reloaded {} for new connections",
                setup.settings.cert.display()
            );
        }
        Err(e) => tracing::error!("tls: files not reloaded, the certificate in force stays: {e}"),
    }
}

/// One line saying how clients are checked.
pub fn describe(setup: &TlsSetup) -> String {
    let clients = match (setup.verifies_clients, setup.requires_clients) {
        (false, _) => "client certificates not asked for",
        (true, false) => "client certificates verified when sent",
        (true, true) => "client certificates required",
    };
    match setup.clients.len() {
        0 => format!("tls: {clients}"),
        n => format!("tls: {clients}; {n} certificate names mapped to sources"),
    }
}
