//! Rate limits: past the limit of a client address, of a user, or of the token endpoint, a
//! request is answered `429` with `Retry-After` (in the Groove error shape; the token
//! endpoint's own shape there), and the limit of one key does not touch another.
//! Loopback only; a few hundred requests at most.
#![allow(clippy::unwrap_used, reason = "test code: a failed unwrap is a failed test")]

mod common;

use common::*;

const PROFILE: &str = "/1/user/music/profile";

/// Sends `n` requests; returns the first refused one, if any.
async fn until_refused(c: &Client, token: &str, n: usize) -> Option<(usize, Reply)> {
    for i in 0..n {
        let r = c.get_auth(PROFILE, token).await;
        if r.status != 200 {
            return Some((i, r));
        }
    }
    None
}

fn check_429(r: &Reply) {
    assert_eq!(r.status, 429, "{}", r.body);
    assert_eq!(r.error_code(), "TOO-MANY-REQUESTS", "{}", r.body);
    let wait: u64 = r.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait), "Retry-After {wait}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_the_limit_of_an_address_requests_are_refused_with_retry_after() {
    // 1 a second, a burst of 4.
    let server =
        Server::start_with(Backend::Sqlite, &["--rate-limit-address", "1", "--rate-limit-caller", "0"]);
    let token = server.create_user("alice");
    let c = server.client();
    let (i, r) = until_refused(&c, &token, 20).await.expect("never limited");
    assert!((4..=6).contains(&i), "refused after {i}");
    check_429(&r);
    // XML callers get the XML form.
    let r = c.send(c.get(PROFILE).bearer_auth(&token).header("Accept", "application/xml")).await;
    assert_eq!(r.status, 429);
    assert!(r.body.contains("<ErrorCode>TOO-MANY-REQUESTS</ErrorCode>"), "{}", r.body);
    // Health checks are never limited.
    assert_eq!(c.send(c.get("/healthz")).await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_limit_of_a_user_does_not_touch_another() {
    let server =
        Server::start_with(Backend::Sqlite, &["--rate-limit-address", "0", "--rate-limit-caller", "1"]);
    let alice = server.create_user("alice");
    let bob = server.create_user("bob");
    let c = server.client();
    let (_, r) = until_refused(&c, &alice, 20).await.expect("never limited");
    check_429(&r);
    assert!(r.json()["Error"]["Message"].as_str().unwrap().contains("this user"), "{}", r.body);
    assert_eq!(c.get_auth(PROFILE, &bob).await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_endpoint_is_held_to_a_stricter_limit() {
    let server = Server::start_with(Backend::Sqlite, &["--rate-limit-token", "1"]);
    let c = server.client();
    let mut refused = None;
    for i in 0..30 {
        let r = c
            .send(c.post("/oauth/token").form(&[
                ("grant_type", "client_credentials"),
                ("client_id", "nobody"),
                ("client_secret", "x"),
            ]))
            .await;
        if r.status == 429 {
            refused = Some((i, r));
            break;
        }
        assert_eq!(r.status, 401, "{}", r.body);
    }
    let (i, r) = refused.expect("never limited");
    assert_eq!(i, 10, "a burst of 10");
    assert!(r.header("retry-after").is_some());
    assert_eq!(r.json()["error"], "invalid_request", "{}", r.body);
}

/// The revocation endpoint checks client secrets too: it is held to the token endpoint's
/// limit, so that it cannot serve to guess them instead, even by a client whose secret is
/// right (which the count of wrong secrets never stops).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_revocation_endpoint_is_held_to_the_token_limit() {
    let server = Server::start_with(Backend::Sqlite, &["--rate-limit-token", "1"]);
    let out = server.admin(&["app", "create", "revoker"]);
    let field = |name: &str| out.lines().find_map(|l| l.strip_prefix(name)).unwrap().to_owned();
    let (id, secret) = (field("client_id="), field("client_secret="));
    let c = server.client();
    let mut refused = None;
    for i in 0..30 {
        let form = [("token", "not-a-token"), ("client_id", id.as_str()), ("client_secret", secret.as_str())];
        let r = c.send(c.post("/oauth/revoke").form(&form)).await;
        if r.status == 429 {
            refused = Some((i, r));
            break;
        }
        assert_eq!(r.status, 200, "{}", r.body);
    }
    let (i, r) = refused.expect("never limited");
    assert_eq!(i, 10, "a burst of 10");
    assert!(r.header("retry-after").is_some());
}
