//! Access to `authtrail serve` through the binary: the admin token printed on loopback, the
//! refusal on other addresses, `authtrail token create|list|revoke` (also while serve runs: a
//! revoke takes effect at the next request), and ingest tokens held to their sources.

mod common;

use common::{
    authtrail, bearer_client, create_token, event, expect_code, json_lines, run_in, serve_refused,
    Server,
};
use serde_json::Value;

#[test]
fn serve_on_loopback_prints_an_admin_token_once_and_requires_tokens() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let server = Server::launch(&dir, &[]);
    let token = server
        .printed_token
        .clone()
        .expect("serve printed an admin token");
    assert!(token.starts_with("at_"), "{token}");
    let stderr = server.stderr();
    assert!(stderr.contains("only its SHA-256 is kept"), "{stderr}");
    let stored = std::fs::read_to_string(dir.join("tokens.json")).unwrap();
    assert!(!stored.contains(&token[20..]), "the secret is not stored");

    let url = format!("{}/v1/events", server.url);
    let anonymous = reqwest::blocking::get(&url).unwrap();
    assert_eq!(anonymous.status(), 401);
    assert_eq!(
        anonymous.headers()["www-authenticate"],
        "Bearer realm=\"authtrail\""
    );
    let v: Value = anonymous.json().unwrap();
    assert_eq!(v["error"]["code"], "unauthenticated", "{v}");
    assert_eq!(
        bearer_client(&token).get(&url).send().unwrap().status(),
        200
    );
    // The C2SP read path and liveness stay public.
    for public in ["/checkpoint", "/healthz"] {
        let r = reqwest::blocking::get(format!("{}{public}", server.url)).unwrap();
        assert_eq!(r.status(), 200, "{public}");
    }
    server.kill();

    // A live token exists now: the next start prints none, and the first one still works.
    let again = Server::launch(&dir, &[]);
    assert_eq!(again.printed_token, None);
    let r = bearer_client(&token)
        .get(format!("{}/v1/events", again.url))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
}

#[test]
fn serve_on_a_public_address_without_a_token_refuses_to_start_naming_the_fix() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let out = run_in(&dir, &["serve", "--listen", "0.0.0.0:0"]);
    let (stdout, stderr) = expect_code(&out, 2, "serve on 0.0.0.0 with no token");
    assert!(!stdout.contains("at_"), "no token printed: {stdout}");
    assert!(
        stderr.contains("refusing to listen on 0.0.0.0:0 with no access token"),
        "{stderr}"
    );
    assert!(stderr.contains("token create --scope admin"), "{stderr}");
    assert!(
        !dir.join("log").exists(),
        "nothing opened: refused before the log"
    );

    // With a token, it starts.
    create_token(&dir, &["--scope", "admin"]);
    let mut child = authtrail()
        .args(["serve", "--listen", "0.0.0.0:0", "--data"])
        .arg(&dir)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut first = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().unwrap()),
        &mut first,
    )
    .unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        first.starts_with("authtrail listening on http://0.0.0.0:"),
        "{first}"
    );
}

#[test]
fn token_create_list_and_revoke() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let out = run_in(
        &dir,
        &[
            "token",
            "create",
            "--scope",
            "ingest,read",
            "--source",
            "okta",
            "--source",
            "sshd",
            "--name",
            "collector",
            "--format",
            "json",
        ],
    );
    let (stdout, stderr) = expect_code(&out, 0, "token create --format json");
    let created = &json_lines(&stdout)[0];
    let id = created["id"].as_str().unwrap().to_string();
    assert!(created["token"]
        .as_str()
        .unwrap()
        .starts_with(&format!("at_{id}_")));
    assert_eq!(created["scopes"], serde_json::json!(["ingest", "read"]));
    assert_eq!(created["sources"], serde_json::json!(["okta", "sshd"]));
    assert!(stderr.contains("shown once"), "{stderr}");
    let admin = create_token(&dir, &["--scope", "admin"]);

    let (table, _) = expect_code(&run_in(&dir, &["token", "list"]), 0, "token list");
    assert!(table.starts_with("ID "), "{table}");
    assert!(table.contains(&id) && table.contains("ingest,read") && table.contains("okta,sshd"));
    assert!(table.contains("collector"), "{table}");
    assert!(!table.contains(&admin[20..]), "no secrets listed");

    let (out, _) = expect_code(&run_in(&dir, &["token", "revoke", &id]), 0, "revoke");
    assert!(out.contains(&format!("revoked token {id}")), "{out}");
    let (out, _) = expect_code(&run_in(&dir, &["token", "revoke", &id]), 0, "revoke again");
    assert!(out.contains("already revoked"), "{out}");
    let (json, _) = expect_code(
        &run_in(&dir, &["token", "list", "--format", "json"]),
        0,
        "token list --format json",
    );
    let listed = json_lines(&json);
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0]["revoked"], true);
    assert_eq!(listed[1]["revoked"], false);
    assert!(listed.iter().all(|t| t.get("secret_sha256").is_none()));

    // Mistakes: exit 1 for an unknown id, 2 for bad usage, each saying what is wrong.
    let (_, err) = expect_code(
        &run_in(&dir, &["token", "revoke", "0123456789abcdef"]),
        1,
        "revoke an unknown id",
    );
    assert!(err.contains("no token with id 0123456789abcdef"), "{err}");
    for (args, needle) in [
        (vec!["--scope", "write"], "unknown scope \"write\""),
        (
            vec!["--scope", "read", "--source", "okta"],
            "add --scope ingest",
        ),
        (
            vec!["--scope", "ingest", "--source", "bad name"],
            "--source \"bad name\"",
        ),
    ] {
        let mut all = vec!["token", "create"];
        all.extend(args);
        let (_, err) = expect_code(&run_in(&dir, &all), 2, "a bad token create");
        assert!(err.contains(needle), "{err}");
    }
    let (json, _) = expect_code(
        &run_in(&dir, &["token", "list", "--format", "json"]),
        0,
        "list",
    );
    assert_eq!(
        json_lines(&json).len(),
        2,
        "nothing created by the mistakes"
    );
}

#[test]
fn tokens_created_and_revoked_while_serve_runs_take_effect_at_the_next_request() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let server = Server::start(&dir);
    let reader = create_token(&dir, &["--scope", "read"]);
    let url = format!("{}/v1/alerts", server.url);
    let client = bearer_client(&reader);
    assert_eq!(client.get(&url).send().unwrap().status(), 200);
    let id = reader.split('_').nth(1).unwrap();
    expect_code(&run_in(&dir, &["token", "revoke", id]), 0, "revoke");
    let refused = client.get(&url).send().unwrap();
    assert_eq!(refused.status(), 401);
    let v: Value = refused.json().unwrap();
    assert_eq!(v["error"]["code"], "invalid_token", "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("was revoked"),
        "{v}"
    );
    // The server's own token is untouched.
    assert_eq!(server.client().get(&url).send().unwrap().status(), 200);
}

#[test]
fn an_ingest_token_for_okta_cannot_write_as_sshd_through_serve() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let server = Server::start(&dir);
    let okta = bearer_client(&create_token(
        &dir,
        &["--scope", "ingest", "--source", "okta"],
    ));
    let body = event("okta-1");
    let refused = okta
        .post(format!("{}/v1/events?source=sshd", server.url))
        .body(body.clone())
        .send()
        .unwrap();
    assert_eq!(refused.status(), 403);
    let v: Value = refused.json().unwrap();
    assert_eq!(v["error"]["code"], "source_forbidden", "{v}");
    let ok = okta
        .post(format!("{}/v1/events?source=okta", server.url))
        .body(body)
        .send()
        .unwrap();
    assert_eq!(ok.status(), 200);
    // It cannot read what it wrote.
    let read = okta
        .get(format!("{}/v1/entries/0", server.url))
        .send()
        .unwrap();
    assert_eq!(read.status(), 403);
    let v: Value = read.json().unwrap();
    assert_eq!(v["error"]["code"], "insufficient_scope", "{v}");
}

#[test]
fn public_tlog_false_in_the_config_closes_the_tlog_read_path() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let config = tmp.path().join("serve.toml");
    std::fs::write(
        &config,
        "max_concurrent_requests = 8\ningest_events_per_second = 1000\n\
         ingest_burst_events = 2000\n[auth]\npublic_tlog = false\n",
    )
    .unwrap();
    let server = Server::start_with(&dir, &["--config", config.to_str().unwrap()]);
    let url = format!("{}/checkpoint", server.url);
    assert_eq!(reqwest::blocking::get(&url).unwrap().status(), 401);
    assert_eq!(server.client().get(&url).send().unwrap().status(), 200);

    std::fs::write(&config, "[auth]\npublic_tlog = false\nopen = true\n").unwrap();
    let (_, err) = expect_code(&serve_refused(&dir, &config), 2, "an unknown [auth] key");
    assert!(err.contains("unknown field `open`"), "{err}");
    std::fs::write(
        &config,
        "max_concurrent_requests = 0
",
    )
    .unwrap();
    let (_, err) = expect_code(&serve_refused(&dir, &config), 2, "no request allowed");
    assert!(
        err.contains("max_concurrent_requests must be at least 1"),
        "{err}"
    );
}

/// A token's text, made as the docs say (`at_` + 16 + 64 hex digits), from `seed`.
fn token_text(seed: u8) -> String {
    format!("at_{}_{}", hex(seed, 8), hex(seed.wrapping_add(1), 32))
}

fn hex(seed: u8, bytes: usize) -> String {
    (0..bytes)
        .map(|i| format!("{:02x}", seed.wrapping_mul(31).wrapping_add(i as u8)))
        .collect()
}

#[test]
fn tokens_from_the_environment_authenticate_and_let_serve_start_on_any_address() {
    let (_tmp, dir, config) = common::with_config(
        "[[auth.tokens]]\nname = \"okta collector\"\nscopes = [\"ingest\"]\nsources = [\"okta\"]\n\
         token_env = \"AT_TEST_OKTA_TOKEN\"\n\n[[auth.tokens]]\nscopes = [\"read\"]\n\
         token_env = \"AT_TEST_READ_TOKEN\"\n",
    );
    let (okta, reader) = (token_text(1), token_text(7));
    let config_arg = config.to_str().unwrap();
    let serve = |env: &[(&str, &str)]| {
        common::authtrail()
            .args([
                "--data",
                dir.to_str().unwrap(),
                "serve",
                "--listen",
                "0.0.0.0:0",
            ])
            .args(["--config", config_arg])
            .envs(env.iter().copied())
            .output()
            .unwrap()
    };

    // A variable unset, or not a token: the start is refused naming the entry and the variable,
    // before anything is opened.
    for (env, needle) in [
        (
            vec![("AT_TEST_READ_TOKEN", reader.as_str())],
            "[[auth.tokens]] \"okta collector\": token_env: environment variable \
             AT_TEST_OKTA_TOKEN is not set",
        ),
        (
            vec![
                ("AT_TEST_OKTA_TOKEN", okta.as_str()),
                ("AT_TEST_READ_TOKEN", "hunter2"),
            ],
            "[[auth.tokens]] #2 (token_env AT_TEST_READ_TOKEN): a token starts with \"at_\"",
        ),
    ] {
        let (stdout, stderr) = expect_code(&serve(&env), 2, needle);
        assert!(stderr.contains(needle), "{stderr}");
        assert!(!stdout.contains("at_"), "{stdout}");
        assert!(!dir.join("log").exists(), "refused before the log");
    }

    // Both set: serve starts on a public address without printing a token, and creates none.
    let env = [
        ("AT_TEST_OKTA_TOKEN", okta.as_str()),
        ("AT_TEST_READ_TOKEN", reader.as_str()),
    ];
    let server = Server::launch_on(&dir, "0.0.0.0:0", &["--config", config_arg], &env);
    assert_eq!(server.printed_token, None);
    let url = server.url.replace("0.0.0.0", "127.0.0.1");
    let (listed, _) = expect_code(
        &run_in(&dir, &["token", "list", "--format", "json"]),
        0,
        "list",
    );
    assert_eq!(json_lines(&listed).len(), 0, "no token stored: {listed}");

    let post = |token: &str, source: &str| {
        bearer_client(token)
            .post(format!("{url}/v1/events?source={source}"))
            .body(event("env-token"))
            .send()
            .unwrap()
    };
    assert_eq!(post(&okta, "okta").status(), 200);
    let refused = post(&okta, "sshd");
    assert_eq!(refused.status(), 403);
    let v: Value = refused.json().unwrap();
    assert_eq!(v["error"]["code"], "source_forbidden", "{v}");
    let read = |token: &str| {
        bearer_client(token)
            .get(format!("{url}/v1/entries/0"))
            .send()
            .unwrap()
            .status()
    };
    assert_eq!(read(&reader), 200);
    assert_eq!(read(&okta), 403, "an ingest token cannot read");
    let v: Value = bearer_client(&token_text(9))
        .get(format!("{url}/v1/entries/0"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(
        v["error"]["code"], "invalid_token",
        "a token not configured: {v}"
    );
}
