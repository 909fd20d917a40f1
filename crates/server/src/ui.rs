//! The web UI: plain HTML, CSS and ES modules from `crates/server/ui/`, compiled into the binary
//! and served at `/` (the page) and `/ui/...` (its files), under a strict Content-Security-Policy
//! (everything from this server, no inline script or style). The UI reads the `/v1` API with the
//! token the user gives at its login page; the files themselves hold no data and need none.

use axum::extract::Path;
use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;

/// The policy every UI file is served under: only this origin, no inline code, no framing.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; \
     base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// One file of the UI.
struct Asset {
    /// Its path under `/ui/`.
    path: &'static str,
    /// Its `Content-Type`.
    content_type: &'static str,
    /// Its bytes.
    body: &'static str,
}

const JS: &str = "text/javascript; charset=utf-8";

macro_rules! asset {
    ($path:literal, $type:expr) => {
        Asset {
            path: $path,
            content_type: $type,
            body: include_str!(concat!("../ui/", $path)),
        }
    };
}

/// Every file under `/ui/`.
const ASSETS: &[Asset] = &[
    asset!("app.css", "text/css; charset=utf-8"),
    asset!("icon.svg", "image/svg+xml"),
    asset!("js/main.js", JS),
    asset!("js/api.js", JS),
    asset!("js/dom.js", JS),
    asset!("js/chart.js", JS),
    asset!("js/format.js", JS),
    asset!("js/pages/login.js", JS),
    asset!("js/pages/dashboard.js", JS),
    asset!("js/pages/search.js", JS),
    asset!("js/pages/event.js", JS),
    asset!("js/pages/trace.js", JS),
    asset!("js/pages/alerts.js", JS),
];

const INDEX: &str = include_str!("../ui/index.html");

/// The headers of every UI answer.
fn respond(content_type: &'static str, body: &'static str) -> Response {
    let headers: [(HeaderName, HeaderValue); 6] = [
        (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
        (
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ),
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
        (
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ),
        (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
        // The files change with the binary; revalidating is cheap on loopback.
        (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
    ];
    (headers, body).into_response()
}

/// `GET /`: the UI's page.
pub async fn index() -> Response {
    respond("text/html; charset=utf-8", INDEX)
}

/// `GET /ui/{*path}`: one of the UI's files.
pub async fn asset(Path(path): Path<String>) -> Result<Response, ApiError> {
    ASSETS
        .iter()
        .find(|a| a.path == path)
        .map(|a| respond(a.content_type, a.body))
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                format!("no UI file /ui/{path}"),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_module_the_ui_imports_is_served() {
        for a in ASSETS.iter().filter(|a| a.path.ends_with(".js")) {
            for line in a.body.lines().filter(|l| l.starts_with("import ")) {
                let Some(spec) = line.split(['"', '\'']).nth(1) else {
                    continue;
                };
                let base = a.path.rsplit_once('/').map_or("", |(d, _)| d);
                let mut parts: Vec<&str> = base.split('/').filter(|p| !p.is_empty()).collect();
                for part in spec.split('/') {
                    match part {
                        "." => {}
                        ".." => {
                            parts.pop();
                        }
                        p => parts.push(p),
                    }
                }
                let target = parts.join("/");
                assert!(
                    ASSETS.iter().any(|x| x.path == target),
                    "{} imports {spec} ({target}), which is not served",
                    a.path
                );
            }
        }
    }

    #[test]
    fn the_page_has_no_inline_script_or_style() {
        assert!(!INDEX.contains("<script>"), "inline script in index.html");
        assert!(!INDEX.contains("style="), "inline style in index.html");
        assert!(!INDEX.contains("<style"), "inline style in index.html");
        assert!(!INDEX.contains("http://") && !INDEX.contains("https://"));
    }
}
