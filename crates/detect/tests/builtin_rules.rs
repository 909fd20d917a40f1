//! Each built-in rule fires on its attack and stays quiet on the near miss.

mod support;

use support::*;

/// `n` failures from one IP, `step` ms apart, each for a different user.
fn from_ip(n: i64, step: i64, ip: &str) -> Vec<Ev> {
    failures((0..n).map(|i| (T0 + i * step, format!("user{i}"), ip.to_string())))
}

#[test]
fn brute_force_ip_fires_on_ten_in_a_minute() {
    let a = alerts("brute-force-ip", &from_ip(10, S, "203.0.113.9"));
    assert_eq!(a.len(), 1, "{a:#?}");
    assert_eq!(a[0].group, [("ip".to_string(), "203.0.113.9".to_string())]);
    assert_eq!(a[0].count, 10);
    assert_eq!((a[0].window_start_ms, a[0].window_end_ms), (T0, T0 + 9 * S));
    assert_eq!(a[0].evidence, (1..=10).collect::<Vec<u64>>());
    assert_eq!(a[0].evidence_total, 10);
}

#[test]
fn brute_force_ip_near_misses() {
    assert!(alerts("brute-force-ip", &from_ip(9, S, "203.0.113.9")).is_empty());
    // Ten spread over 61 s: never ten within one minute.
    let spread = failures((0..10).map(|i| (T0 + i * 61 * S / 9, "u".into(), "203.0.113.9".into())));
    assert!(alerts("brute-force-ip", &spread).is_empty());
    // Ten from ten addresses.
    let many = failures((0..10).map(|i| (T0 + i * S, "u".into(), format!("203.0.113.{i}"))));
    assert!(alerts("brute-force-ip", &many).is_empty());
    // Ten successes.
    let ok: Vec<Ev> = (0..10)
        .map(|i| logon(i as u64, T0 + i * S, Some("u"), "203.0.113.9", true))
        .collect();
    assert!(alerts("brute-force-ip", &ok).is_empty());
}

#[test]
fn brute_force_ip_slow_variants() {
    let hourly = from_ip(10, 5 * M, "198.51.100.7");
    assert_eq!(alerts("brute-force-ip-slow-1h", &hourly).len(), 1);
    assert!(alerts("brute-force-ip", &hourly).is_empty());
    let too_slow =
        failures((0..10).map(|i| (T0 + i * 61 * M / 9, "u".into(), "198.51.100.7".into())));
    assert!(alerts("brute-force-ip-slow-1h", &too_slow).is_empty());

    let daily = from_ip(20, 70 * M, "198.51.100.7"); // 22 h 10 min
    assert_eq!(alerts("brute-force-ip-slow-24h", &daily).len(), 1);
    assert!(alerts("brute-force-ip-slow-1h", &daily).is_empty());
    assert!(alerts(
        "brute-force-ip-slow-24h",
        &from_ip(19, 70 * M, "198.51.100.7")
    )
    .is_empty());
}

#[test]
fn brute_force_user_fires_across_sources() {
    let ev = |n: i64| {
        failures((0..n).map(|i| (T0 + i * 50 * S, "alice".into(), format!("192.0.2.{i}"))))
    };
    let a = alerts("brute-force-user", &ev(10));
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].group, [("user".to_string(), "alice".to_string())]);
    assert!(alerts("brute-force-user", &ev(9)).is_empty());
    // The unknown-user placeholder is no user.
    let unknown: Vec<Ev> = (0..12)
        .map(|i| logon(i as u64, T0 + i * S, None, "192.0.2.1", false))
        .collect();
    assert!(alerts("brute-force-user", &unknown).is_empty());
}

#[test]
fn password_spraying_counts_distinct_users() {
    let a = alerts("password-spraying", &from_ip(10, 30 * S, "203.0.113.50"));
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].distinct, [("user".to_string(), 10)]);
    // Nine users, three tries each: 27 failures, still nine users.
    let nine = failures((0..27).map(|i| {
        (
            T0 + i * 10 * S,
            format!("user{}", i % 9),
            "203.0.113.50".into(),
        )
    }));
    assert!(alerts("password-spraying", &nine).is_empty());
}

#[test]
fn credential_stuffing_needs_few_tries_per_user() {
    // Fifteen users, two tries each.
    let two = failures((0..30).map(|i| {
        (
            T0 + i * 10 * S,
            format!("user{}", i % 15),
            "203.0.113.77".into(),
        )
    }));
    let a = alerts("credential-stuffing", &two);
    assert_eq!(a.len(), 1, "{a:#?}");
    assert_eq!(a[0].distinct, [("user".to_string(), 15)]);
    // Fifteen users, three tries each (one user after the other): guessing, not stuffing.
    let three = failures((0..45).map(|i| {
        (
            T0 + i * 10 * S,
            format!("user{}", i / 3),
            "203.0.113.77".into(),
        )
    }));
    assert!(alerts("credential-stuffing", &three).is_empty());
    // Ten users, three tries each.
    let ten = failures((0..30).map(|i| {
        (
            T0 + i * 10 * S,
            format!("user{}", i % 10),
            "203.0.113.77".into(),
        )
    }));
    // Interleaved, fifteen users tried once each already qualify before the third round.
    let rounds = failures((0..45).map(|i| {
        (
            T0 + i * 10 * S,
            format!("user{}", i % 15),
            "203.0.113.77".into(),
        )
    }));
    assert_eq!(
        alerts("credential-stuffing", &rounds)[0].window_end_ms,
        T0 + 140 * S
    );
    assert!(alerts("credential-stuffing", &ten).is_empty());
    assert!(alerts("credential-stuffing", &from_ip(14, 10 * S, "203.0.113.77")).is_empty());
}

#[test]
fn distributed_credential_stuffing_needs_five_sources() {
    let spread = |ips: i64| {
        failures((0..15).map(move |i| {
            (
                T0 + i * 20 * S,
                format!("user{i}"),
                format!("192.0.2.{}", i % ips),
            )
        }))
    };
    let a = alerts("credential-stuffing-distributed", &spread(5));
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].group, [("product".to_string(), "OpenSSH".to_string())]);
    assert_eq!(
        a[0].distinct,
        [("user".to_string(), 15), ("ip".to_string(), 5)]
    );
    assert!(alerts("credential-stuffing-distributed", &spread(4)).is_empty());
}

#[test]
fn distributed_brute_force_needs_both_count_and_sources() {
    let ev = |n: i64, ips: i64| {
        failures((0..n).map(move |i| {
            (
                T0 + i * 2 * M,
                "root".into(),
                format!("192.0.2.{}", i % ips),
            )
        }))
    };
    let a = alerts("distributed-brute-force", &ev(10, 5));
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].count, 10);
    assert_eq!(a[0].distinct, [("ip".to_string(), 5)]);
    assert!(alerts("distributed-brute-force", &ev(10, 4)).is_empty());
    assert!(alerts("distributed-brute-force", &ev(9, 5)).is_empty());
}
