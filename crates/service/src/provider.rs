//! Sign-in at an external OpenID Connect provider: the server as a relying party
//! (OpenID Connect Core 1.0, authorization code flow, with PKCE and `nonce`).
//!
//! The sign-in page (`/oauth/authorize`, for the web page and for applications alike) sends
//! the person to the provider's authorization endpoint. The provider sends them back to
//! `/oauth/callback` with a code; the server redeems it at the provider's token endpoint,
//! checks the ID token (signature against the provider's key set, issuer, audience, `azp`,
//! expiry, `nonce`), finds the local user of the identity (issuer and `sub`), or creates one,
//! and then answers the application exactly as a password sign-in does: a code of this
//! server, redeemed at `/oauth/token`.
//!
//! What must survive the trip to the provider (the application's request, the PKCE verifier,
//! the `state` and the `nonce`) travels in a cookie of the browser that started it, sealed
//! with authenticated encryption under a key derived from the store's shared secret: no
//! server-side session, and any process of a deployment can finish a sign-in another began.
//! The cookie is named after the `state`, so that the provider's answer finds only the
//! sign-in it belongs to, in the browser it began in (which is what defeats login CSRF).

use crate::continuation::Sealer;
use crate::oidc::{JwksSource, KeySet, accepted_algorithm, valid_subject};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Validation, decode, decode_header};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use subtle::ConstantTimeEq;

/// How long a person may take at the provider.
pub const PENDING_TTL_SECS: u64 = 600;
/// The path of the callback on this server.
pub const CALLBACK_PATH: &str = "/oauth/callback";
/// Scopes asked for: an ID token, and a name for a new user.
const SCOPES: &str = "openid profile email";
/// Longest answer read from the provider.
const MAX_ANSWER_BYTES: usize = 256 * 1024;
/// How long a call to the provider may take.
const PROVIDER_TIMEOUT: Duration = Duration::from_secs(10);
/// Clock difference allowed with the provider when checking `exp` and `iat`.
const LEEWAY_SECS: u64 = 60;
/// Longest cookie a browser is sure to keep (RFC 6265 section 6.1 asks for at least 4096
/// bytes, name and attributes included).
const MAX_COOKIE_VALUE: usize = 3800;
/// Label of the key derivation of the sealed cookie.
const KEY_LABEL: &[u8] = b"groove-server provider sign-in v1";
const VERSION: u8 = 1;

/// Settings of sign-in at the provider.
#[derive(Clone, Debug)]
pub struct ProviderConfig {
    /// The issuer, exactly as the provider's ID tokens carry it in `iss`.
    pub issuer: String,
    /// This server's client ID at the provider: the ID tokens' audience.
    pub client_id: String,
    /// The client secret, for a confidential client (PKCE protects the code either way).
    pub client_secret: Option<String>,
    /// The callback URL registered at the provider; by default the host the request came
    /// to, with `https` when the proxy says so (`X-Forwarded-Proto`), and [`CALLBACK_PATH`].
    pub redirect_uri: Option<String>,
    /// The provider's key set, if not the one its discovery document names.
    pub jwks: Option<JwksSource>,
    /// Whether an identity no user is linked to becomes a new user.
    pub create_users: bool,
}

/// What the discovery document says (OpenID Connect Discovery 1.0 section 3).
#[derive(Debug, Deserialize)]
struct Discovery {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    jwks_uri: String,
    #[serde(default)]
    token_endpoint_auth_methods_supported: Option<Vec<String>>,
}

/// How the client authenticates at the token endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ClientAuth {
    /// No secret: a public client (PKCE alone).
    None,
    /// `client_secret_basic` (the default of OpenID Connect Core section 9).
    Basic,
    /// `client_secret_post`.
    Post,
}

/// The provider, as discovered at start-up.
pub struct Provider {
    config: ProviderConfig,
    authorization_endpoint: String,
    token_endpoint: String,
    auth: ClientAuth,
    keys: KeySet,
    http: reqwest::Client,
    /// Seals the pending sign-in into its cookie.
    sealer: Sealer,
}

impl std::fmt::Debug for Provider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Provider")
            .field("issuer", &self.config.issuer)
            .field("client_id", &self.config.client_id)
            .field("authorization_endpoint", &self.authorization_endpoint)
            .field("token_endpoint", &self.token_endpoint)
            .finish_non_exhaustive()
    }
}

/// Where a URL may point: `https`, or `http` on a loopback host (a provider on the same
/// machine, or a test's).
fn secure_enough(url: &str) -> bool {
    let Ok(parsed) = url.parse::<http::Uri>() else { return false };
    match parsed.scheme_str() {
        Some("https") => true,
        Some("http") => {
            let host = parsed.host().unwrap_or_default().trim_start_matches('[').trim_end_matches(']');
            host == "localhost" || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
        }
        _ => false,
    }
}

/// Reads an answer of at most [`MAX_ANSWER_BYTES`].
async fn read_answer(mut resp: reqwest::Response) -> Result<Vec<u8>, String> {
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| format!("cannot read the answer: {e}"))? {
        if body.len() + chunk.len() > MAX_ANSWER_BYTES {
            return Err(format!("the answer is longer than {MAX_ANSWER_BYTES} bytes"));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

impl Provider {
    /// Reads the provider's discovery document (`{issuer}/.well-known/openid-configuration`)
    /// and its key set; fails, saying why, if either cannot be read or the document is not
    /// the issuer's. `secret` is the store's shared secret (the sealed cookie's key).
    pub async fn discover(config: ProviderConfig, secret: &[u8; 32]) -> Result<Self, String> {
        let http = reqwest::Client::builder()
            .timeout(PROVIDER_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| format!("cannot build an HTTP client: {e}"))?;
        let url = format!("{}/.well-known/openid-configuration", config.issuer.trim_end_matches('/'));
        let resp = http.get(&url).send().await.map_err(|e| format!("cannot fetch {url}: {e}"))?;
        if !resp.status().is_success() {
            return Err(format!("{url} answered {}", resp.status()));
        }
        let body = read_answer(resp).await.map_err(|e| format!("{url}: {e}"))?;
        let doc: Discovery =
            serde_json::from_slice(&body).map_err(|e| format!("{url} is not a discovery document: {e}"))?;
        // OpenID Connect Discovery 1.0 section 4.3: the document is the issuer's own.
        if doc.issuer != config.issuer {
            return Err(format!(
                "{url} names the issuer {:?}, not {:?} (give --oidc-issuer exactly as the provider writes it)",
                doc.issuer, config.issuer
            ));
        }
        for (what, endpoint) in [
            ("authorization_endpoint", &doc.authorization_endpoint),
            ("token_endpoint", &doc.token_endpoint),
            ("jwks_uri", &doc.jwks_uri),
        ] {
            if endpoint.parse::<http::Uri>().map_or(true, |u| u.scheme().is_none() || u.host().is_none()) {
                return Err(format!("{url}: {what} {endpoint:?} is not an absolute URL"));
            }
            if !secure_enough(endpoint) {
                tracing::warn!(%what, %endpoint, "the identity provider is not reached over https");
            }
        }
        let methods =
            doc.token_endpoint_auth_methods_supported.unwrap_or_else(|| vec!["client_secret_basic".into()]);
        let auth = match &config.client_secret {
            None => ClientAuth::None,
            Some(_) if methods.iter().any(|m| m == "client_secret_basic") => ClientAuth::Basic,
            Some(_) if methods.iter().any(|m| m == "client_secret_post") => ClientAuth::Post,
            Some(_) => {
                return Err(format!(
                    "{url}: the token endpoint takes none of client_secret_basic and client_secret_post ({methods:?})"
                ));
            }
        };
        let jwks = config.jwks.clone().unwrap_or_else(|| JwksSource::Url(doc.jwks_uri.clone()));
        let keys = KeySet::load(jwks).await?;
        let sealer = Sealer::new(secret, KEY_LABEL, VERSION);
        Ok(Provider {
            config,
            authorization_endpoint: doc.authorization_endpoint,
            token_endpoint: doc.token_endpoint,
            auth,
            keys,
            http,
            sealer,
        })
    }

    pub fn issuer(&self) -> &str {
        &self.config.issuer
    }

    /// Where the provider's keys come from (for its access tokens too, `--oidc-audience`).
    pub fn jwks_source(&self) -> JwksSource {
        self.keys.source().clone()
    }

    /// The provider's sign-in page.
    pub fn authorization_endpoint(&self) -> &str {
        &self.authorization_endpoint
    }

    /// Whether an identity no user is linked to becomes a new user.
    pub fn create_users(&self) -> bool {
        self.config.create_users
    }

    /// The callback URL: the configured one, or this server's as the request reached it.
    pub fn callback_url(&self, base_url: &str) -> String {
        self.config.redirect_uri.clone().unwrap_or_else(|| format!("{base_url}{CALLBACK_PATH}"))
    }

    /// A new sign-in for `request`, returning to `callback`: the address of the provider's
    /// sign-in page and the sealed cookie that remembers it (`None`: too long for a cookie).
    pub fn begin(&self, request: AppRequest, callback: String) -> Option<(String, Pending, String)> {
        let pending = Pending {
            state: random_secret(),
            nonce: random_secret(),
            verifier: random_secret(),
            callback,
            expires: now_secs().saturating_add(PENDING_TTL_SECS),
            request,
        };
        let mut url = self.authorization_endpoint.clone();
        url.push(if url.contains('?') { '&' } else { '?' });
        url.push_str(
            &form_urlencoded::Serializer::new(String::new())
                .append_pair("response_type", "code")
                .append_pair("client_id", &self.config.client_id)
                .append_pair("redirect_uri", &pending.callback)
                .append_pair("scope", SCOPES)
                .append_pair("state", &pending.state)
                .append_pair("nonce", &pending.nonce)
                .append_pair("code_challenge", &crate::signin::pkce_challenge(&pending.verifier))
                .append_pair("code_challenge_method", "S256")
                .finish(),
        );
        let sealed = self.sealer.seal(&pending);
        (sealed.len() <= MAX_COOKIE_VALUE).then_some((url, pending, sealed))
    }

    /// The pending sign-in of a cookie, if it is this server's, of this `state`, and not
    /// expired.
    pub fn open(&self, cookie: &str, state: &str) -> Option<Pending> {
        let pending: Pending = self.sealer.open(cookie)?;
        let same_state = bool::from(pending.state.as_bytes().ct_eq(state.as_bytes()));
        (same_state && pending.expires > now_secs()).then_some(pending)
    }

    /// Redeems the provider's code for its ID token.
    pub async fn redeem(&self, code: &str, pending: &Pending) -> Result<String, SignInError> {
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", pending.callback.as_str()),
            ("code_verifier", pending.verifier.as_str()),
        ];
        let mut req = self.http.post(&self.token_endpoint).header(http::header::ACCEPT, "application/json");
        let secret = self.config.client_secret.as_deref().unwrap_or_default();
        match self.auth {
            ClientAuth::None => form.push(("client_id", &self.config.client_id)),
            // RFC 6749 section 2.3.1: both form-encoded, then Basic.
            ClientAuth::Basic => {
                let enc = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
                req = req.basic_auth(enc(&self.config.client_id), Some(enc(secret)));
            }
            ClientAuth::Post => {
                form.push(("client_id", &self.config.client_id));
                form.push(("client_secret", secret));
            }
        }
        let unreachable = |e: String| SignInError::Provider(format!("its token endpoint failed: {e}"));
        let resp = req.form(&form).send().await.map_err(|e| unreachable(e.to_string()))?;
        let status = resp.status();
        let body = read_answer(resp).await.map_err(unreachable)?;
        let answer: Option<TokenAnswer> = serde_json::from_slice(&body).ok();
        if !status.is_success() {
            let why = answer
                .and_then(|a| {
                    a.error.map(|e| {
                        format!("{e}{}", a.error_description.map(|d| format!(": {d}")).unwrap_or_default())
                    })
                })
                .unwrap_or_else(|| format!("HTTP {status}"));
            return Err(SignInError::Refused(format!(
                "the identity provider refused the code ({})",
                clip(&why)
            )));
        }
        answer
            .and_then(|a| a.id_token)
            .ok_or_else(|| SignInError::Provider("its token endpoint sent no ID token".into()))
    }

    /// Checks an ID token (OpenID Connect Core 1.0 section 3.1.3.7) and returns the identity.
    pub async fn verify(&self, id_token: &str, pending: &Pending) -> Result<Identity, SignInError> {
        let bad = |why: &str| SignInError::IdToken(why.to_owned());
        let header = decode_header(id_token).map_err(|_| bad("it is not a signed token"))?;
        if !accepted_algorithm(header.alg) {
            return Err(bad(
                "it is signed with an algorithm this server does not accept (RS256 and ES256 are)",
            ));
        }
        let key = self
            .keys
            .key(header.kid.as_deref())
            .await
            .ok_or_else(|| bad("it is signed with an unknown key"))?;
        let mut validation = Validation::new(header.alg);
        validation.set_issuer(&[&self.config.issuer]);
        validation.set_audience(&[&self.config.client_id]);
        validation.set_required_spec_claims(&["iss", "aud", "sub", "exp"]);
        validation.leeway = LEEWAY_SECS;
        let claims = match decode::<IdClaims>(id_token, &key, &validation) {
            Ok(data) => data.claims,
            Err(e) => {
                return Err(bad(match e.kind() {
                    ErrorKind::InvalidSignature => "its signature is wrong",
                    ErrorKind::InvalidIssuer => "it was issued by another issuer",
                    ErrorKind::InvalidAudience => "it was issued to another client",
                    ErrorKind::ExpiredSignature => "it has expired",
                    ErrorKind::ImmatureSignature => "it is not valid yet",
                    ErrorKind::MissingRequiredClaim(_) => "a required claim is missing",
                    _ => "it cannot be read",
                }));
            }
        };
        let nonce_matches =
            claims.nonce.as_deref().is_some_and(|n| bool::from(n.as_bytes().ct_eq(pending.nonce.as_bytes())));
        if !nonce_matches {
            return Err(bad("its nonce is not this sign-in's"));
        }
        // Several audiences: the authorized party must be this client (section 3.1.3.7, 4 to 6).
        if let Some(azp) = &claims.azp {
            if azp != &self.config.client_id {
                return Err(bad("it was issued to another client (azp)"));
            }
        } else if claims.aud.several() {
            return Err(bad("it has several audiences and no authorized party"));
        }
        let now = now_secs();
        match claims.iat {
            None => return Err(bad("it has no issue time")),
            Some(iat) if iat > now.saturating_add(LEEWAY_SECS) => {
                return Err(bad("it was issued in the future"));
            }
            Some(_) => {}
        }
        if !valid_subject(&claims.sub) {
            return Err(bad("its subject is empty, too long, or holds a character that is not allowed"));
        }
        let name = [
            claims.preferred_username.as_ref(),
            claims.email.as_ref(),
            claims.name.as_ref(),
            Some(&claims.sub),
        ]
        .into_iter()
        .flatten()
        .map(|n| n.trim())
        .find(|n| usable_name(n))
        .unwrap_or("user")
        .to_owned();
        Ok(Identity { subject: claims.sub, name })
    }
}

/// A name a new user may take: 1 to 200 characters (room for a `-2`), none a control
/// character (which the admin commands refuse in names).
fn usable_name(name: &str) -> bool {
    !name.is_empty() && name.chars().count() <= 200 && !name.chars().any(char::is_control)
}

fn clip(s: &str) -> String {
    s.chars().take(300).collect()
}

/// The token endpoint's answer (OpenID Connect Core 1.0 section 3.1.3.3), or its error.
#[derive(Deserialize)]
struct TokenAnswer {
    id_token: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// `aud`: several values or one (jsonwebtoken checks them; here they are only counted).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Audience {
    Several(Vec<serde::de::IgnoredAny>),
    One(serde::de::IgnoredAny),
}

impl Audience {
    fn several(&self) -> bool {
        matches!(self, Audience::Several(v) if v.len() > 1)
    }
}

#[derive(Debug, Deserialize)]
struct IdClaims {
    sub: String,
    aud: Audience,
    nonce: Option<String>,
    iat: Option<u64>,
    azp: Option<String>,
    preferred_username: Option<String>,
    email: Option<String>,
    name: Option<String>,
}

/// Who signed in at the provider.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    /// `sub`: with the issuer, names the person.
    pub subject: String,
    /// A name for a new user: the first usable of `preferred_username`, `email`, `name`
    /// and `sub`.
    pub name: String,
}

/// What the application asked for (`/oauth/authorize`), answered once the provider is done.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppRequest {
    #[serde(rename = "c")]
    pub client_id: String,
    #[serde(rename = "r")]
    pub redirect_uri: String,
    #[serde(rename = "s")]
    pub state: Option<String>,
    #[serde(rename = "p")]
    pub code_challenge: String,
}

/// A sign-in under way at the provider, kept in the browser's sealed cookie.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Pending {
    /// `state` sent to the provider.
    #[serde(rename = "st")]
    pub state: String,
    /// `nonce` sent to the provider; the ID token must carry it.
    #[serde(rename = "n")]
    pub nonce: String,
    /// The PKCE verifier of this server's request to the provider.
    #[serde(rename = "v")]
    pub verifier: String,
    /// The callback URL sent to the provider (the token request repeats it exactly).
    #[serde(rename = "cb")]
    pub callback: String,
    /// Seconds since the Unix epoch.
    #[serde(rename = "e")]
    pub expires: u64,
    #[serde(rename = "a")]
    pub request: AppRequest,
}

/// The name of the cookie of the sign-in with this `state`.
pub fn cookie_name(state: &str) -> String {
    // The state is base64url (this server's), so the name is a valid cookie name; a state
    // from elsewhere is hashed first.
    if state.len() <= 64 && state.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
        format!("groove_oidc_{state}")
    } else {
        format!("groove_oidc_{}", URL_SAFE_NO_PAD.encode(Sha256::digest(state.as_bytes())))
    }
}

/// Why a sign-in at the provider did not succeed; each says so in a sentence a person reads.
#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    /// The provider could not be reached or answered nonsense.
    #[error("The identity provider could not complete the sign-in: {0}. Try again later.")]
    Provider(String),
    /// The provider refused the code.
    #[error("The sign-in could not be completed: {0}. Sign in again.")]
    Refused(String),
    /// The ID token failed a check.
    #[error("The identity provider's answer could not be trusted: {0}. Sign in again.")]
    IdToken(String),
}

impl SignInError {
    pub fn status(&self) -> http::StatusCode {
        match self {
            SignInError::Provider(_) => http::StatusCode::BAD_GATEWAY,
            SignInError::Refused(_) | SignInError::IdToken(_) => http::StatusCode::BAD_REQUEST,
        }
    }
}

fn random_secret() -> String {
    URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
}

fn now_secs() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_https_or_loopback_http_is_secure_enough() {
        assert!(secure_enough("https://id.example/authorize"));
        assert!(secure_enough("http://127.0.0.1:8080/authorize"));
        assert!(secure_enough("http://[::1]:8080/authorize"));
        assert!(secure_enough("http://localhost/authorize"));
        assert!(!secure_enough("http://id.example/authorize"));
        assert!(!secure_enough("ftp://id.example/"));
    }

    #[test]
    fn cookie_names_are_cookie_tokens() {
        assert_eq!(cookie_name("abc-_1"), "groove_oidc_abc-_1");
        let hashed = cookie_name("a b;c=d");
        assert!(hashed.starts_with("groove_oidc_") && !hashed.contains([' ', ';', '=']), "{hashed}");
    }

    #[test]
    fn names_for_new_users() {
        assert!(usable_name("alice"));
        assert!(usable_name("Alice Smith"));
        assert!(!usable_name(""));
        assert!(!usable_name("a\u{0}b"));
        assert!(!usable_name("a\tb"));
        assert!(!usable_name(&"x".repeat(201)));
    }
}
