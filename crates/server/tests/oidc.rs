//! User tokens of an external OpenID Connect provider (SPEC section 4): RS256 and ES256
//! accepted with the configured issuer and audience and a key of the provider's JWKS;
//! `alg=none`, HMAC, wrong issuer, wrong audience, wrong key and expired tokens refused.
#![allow(clippy::unwrap_used, reason = "test code: a failed unwrap is a failed test")]

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::*;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::json;

const ISSUER: &str = "https://id.example.test/";
const AUDIENCE: &str = "groove-clients";

fn fixture(name: &str) -> String {
    format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

fn sign(alg: Algorithm, key_file: &str, kid: Option<&str>, claims: &serde_json::Value) -> String {
    let pem = std::fs::read(fixture(key_file)).unwrap();
    let key = match alg {
        Algorithm::ES256 => EncodingKey::from_ec_pem(&pem).unwrap(),
        _ => EncodingKey::from_rsa_pem(&pem).unwrap(),
    };
    let mut header = Header::new(alg);
    header.kid = kid.map(str::to_owned);
    encode(&header, claims, &key).unwrap()
}

fn claims(sub: &str) -> serde_json::Value {
    json!({"iss": ISSUER, "aud": AUDIENCE, "sub": sub, "iat": now(), "exp": now() + 600})
}

fn start(backend: Backend) -> Server {
    Server::start_with(
        backend,
        &["--oidc-issuer", ISSUER, "--oidc-audience", AUDIENCE, "--oidc-jwks", &fixture("oidc-jwks.json")],
    )
}

async fn provider_tokens_identify_users(backend: Backend) {
    let server = start(backend);
    let c = server.client();
    let es = sign(Algorithm::ES256, "oidc-es256.pem", Some("ec-1"), &claims("subject-1"));
    let r = c.add(&es, &[GET_LUCKY]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(c.all_track_ids(&es).await.len(), 1);

    // The same subject through the other key is the same user; another subject is not.
    let rs = sign(Algorithm::RS256, "oidc-rs256.pem", Some("rsa-1"), &claims("subject-1"));
    assert_eq!(c.all_track_ids(&rs).await.len(), 1);
    let other = sign(Algorithm::ES256, "oidc-es256.pem", Some("ec-1"), &claims("subject-2"));
    assert!(c.all_track_ids(&other).await.is_empty());
}

async fn foreign_or_forged_provider_tokens_are_refused(backend: Backend) {
    let server = start(backend);
    let c = server.client();
    let mut wrong_issuer = claims("s");
    wrong_issuer["iss"] = json!("https://evil.example.test/");
    let mut wrong_audience = claims("s");
    wrong_audience["aud"] = json!("someone-else");
    let mut expired = claims("s");
    expired["exp"] = json!(now() - 10);

    let public_jwks = std::fs::read(fixture("oidc-jwks.json")).unwrap();
    let hmac_with_public_key =
        encode(&Header::new(Algorithm::HS256), &claims("s"), &EncodingKey::from_secret(&public_jwks))
            .unwrap();
    let payload = URL_SAFE_NO_PAD.encode(claims("s").to_string());
    let none = format!("{}.{payload}.", URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#));
    let cases = [
        ("wrong issuer", sign(Algorithm::ES256, "oidc-es256.pem", Some("ec-1"), &wrong_issuer)),
        ("wrong audience", sign(Algorithm::ES256, "oidc-es256.pem", Some("ec-1"), &wrong_audience)),
        ("unknown key", sign(Algorithm::ES256, "oidc-other-es256.pem", Some("ec-1"), &claims("s"))),
        ("unknown kid", sign(Algorithm::ES256, "oidc-es256.pem", Some("nope"), &claims("s"))),
        ("hmac with the public key", hmac_with_public_key),
        ("alg none", none),
        // The server's own user tokens are not accepted once a provider is configured.
        ("own user token", {
            server.admin(&["user", "create", "alice"]);
            server.user_token("alice")
        }),
    ];
    for (what, token) in cases {
        let r = c.add(&token, &[GET_LUCKY]).await;
        assert_eq!((r.status, r.error_code().as_str()), (401, "INVALID-AUTHORIZATION-HEADER"), "{what}");
    }
    let r = c.add(&sign(Algorithm::ES256, "oidc-es256.pem", Some("ec-1"), &expired), &[GET_LUCKY]).await;
    assert_eq!((r.status, r.error_code().as_str()), (401, "AUTHORIZATION-TOKEN-EXPIRED"));
}

#[test]
fn a_provider_needs_issuer_audience_and_keys() {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(BIN)
        .arg("--data-dir")
        .arg(dir.path())
        .args(["serve", "--oidc-issuer", ISSUER])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let out = std::process::Command::new(BIN)
        .arg("--data-dir")
        .arg(dir.path())
        .args(["serve", "--listen", "127.0.0.1:0", "--oidc-issuer", ISSUER, "--oidc-audience", "a"])
        .args(["--oidc-jwks", "/nonexistent/jwks.json"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("jwks.json"));
}

backend_tests!(provider_tokens_identify_users, foreign_or_forged_provider_tokens_are_refused);
