//! Which scope each route needs: one table, [`ROUTES`].
//!
//! A request is matched by its method and the route pattern axum matched (`/v1/entries/{seq}`,
//! not the path sent), so the table cannot disagree with the router about which route a path
//! is. A route with no row for the method needs `admin` (deny by default: a new route is closed
//! until it gets a row). A request no route matched (the fallback: 404s, and static UI files if
//! the UI is served that way) is public.

use axum::http::Method;

use super::scope::Scope;

/// What a route needs from its caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Need {
    /// Nothing: anyone may call it.
    Public,
    /// The C2SP tlog read path (hashes and entry headers only): public unless the server is
    /// configured with `public_tlog = false`, then `read`.
    Tlog,
    /// A token with this scope (or `admin`). `ingest` routes also check the source the request
    /// writes as against the token's sources.
    Scope(Scope),
}

/// Which methods a row covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum On {
    /// GET (and HEAD, which axum answers with the GET handler).
    Get,
    /// POST.
    Post,
}

/// One row of the table.
#[derive(Clone, Copy, Debug)]
pub struct Rule {
    /// The method.
    pub on: On,
    /// The route pattern, as given to `Router::route`.
    pub route: &'static str,
    /// What it needs.
    pub need: Need,
}

const fn rule(on: On, route: &'static str, need: Need) -> Rule {
    Rule { on, route, need }
}

const READ: Need = Need::Scope(Scope::Read);
const INGEST: Need = Need::Scope(Scope::Ingest);

/// Every route and what it needs (docs/ACCESS.md shows this table).
pub const ROUTES: &[Rule] = &[
    rule(On::Post, "/v1/events", INGEST),
    rule(On::Post, "/v1/raw", INGEST),
    rule(On::Post, "/v1/logs", INGEST),
    rule(On::Get, "/v1/events", READ),
    rule(On::Get, "/v1/trace", READ),
    rule(On::Get, "/v1/alerts", READ),
    rule(On::Get, "/v1/blocklist", READ),
    rule(On::Get, "/v1/entries/{seq}", READ),
    rule(On::Get, "/v1/proof/inclusion", READ),
    rule(On::Get, "/v1/proof/consistency", READ),
    rule(On::Get, "/metrics", READ),
    rule(On::Get, "/checkpoint", Need::Tlog),
    rule(On::Get, "/tile/{*path}", Need::Tlog),
    rule(On::Get, "/healthz", Need::Public),
    rule(On::Get, "/", Need::Public),
];

/// What a request with `method` on the matched route `route` needs (`None`: no route matched).
pub fn need(method: &Method, route: Option<&str>) -> Need {
    let Some(route) = route else {
        return Need::Public;
    };
    let on = if method == Method::GET || method == Method::HEAD {
        On::Get
    } else if method == Method::POST {
        On::Post
    } else {
        return Need::Scope(Scope::Admin);
    };
    ROUTES
        .iter()
        .find(|r| r.on == on && r.route == route)
        .map_or(Need::Scope(Scope::Admin), |r| r.need)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_unique_and_unlisted_routes_need_admin() {
        for (i, a) in ROUTES.iter().enumerate() {
            for b in &ROUTES[i + 1..] {
                assert!(
                    a.on != b.on || a.route != b.route,
                    "two rows for {:?} {}",
                    a.on,
                    a.route
                );
            }
        }
        assert_eq!(need(&Method::GET, Some("/v1/events")), READ);
        assert_eq!(need(&Method::HEAD, Some("/v1/events")), READ);
        assert_eq!(need(&Method::POST, Some("/v1/events")), INGEST);
        assert_eq!(need(&Method::GET, Some("/tile/{*path}")), Need::Tlog);
        assert_eq!(need(&Method::GET, None), Need::Public);
        let admin = Need::Scope(Scope::Admin);
        assert_eq!(need(&Method::DELETE, Some("/v1/events")), admin);
        assert_eq!(need(&Method::POST, Some("/healthz")), admin);
        assert_eq!(need(&Method::GET, Some("/v1/new-thing")), admin);
    }
}
