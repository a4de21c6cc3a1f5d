//! User tokens of an external OpenID Connect provider (SPEC section 4): RS256 or ES256 JWTs
//! signed by a key of the provider's JWKS, with the configured issuer and audience.
//!
//! The key set ([`KeySet`]) is read at start-up (from a URL or a file) and read again when a
//! token names a key the server does not know, at most once a minute, so that key rotation
//! needs no restart. Any other algorithm (`none`, `HS256`, ...) is refused before a key is
//! looked up: a provider's public key can never be used as an HMAC secret. Sign-in at the
//! provider (the server as a relying party) is [`crate::provider`]'s, with the same keys' code.

use crate::auth::TokenError;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use serde::Deserialize;
use std::sync::RwLock;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Where the provider's key set comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JwksSource {
    Url(String),
    File(std::path::PathBuf),
}

impl JwksSource {
    pub fn parse(s: &str) -> Self {
        if s.starts_with("http://") || s.starts_with("https://") {
            JwksSource::Url(s.to_owned())
        } else {
            JwksSource::File(s.into())
        }
    }

    pub(crate) async fn load(&self) -> Result<JwkSet, String> {
        let text = match self {
            JwksSource::Url(url) => {
                let client = reqwest::Client::builder()
                    .timeout(Duration::from_secs(10))
                    .build()
                    .map_err(|e| format!("cannot build an HTTP client: {e}"))?;
                let resp = client.get(url).send().await.map_err(|e| format!("cannot fetch {url}: {e}"))?;
                if !resp.status().is_success() {
                    return Err(format!("{url} answered {}", resp.status()));
                }
                resp.text().await.map_err(|e| format!("cannot read {url}: {e}"))?
            }
            JwksSource::File(path) => {
                std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?
            }
        };
        serde_json::from_str(&text).map_err(|e| format!("not a JWK set: {e}"))
    }
}

/// Settings of the external provider.
#[derive(Clone, Debug)]
pub struct OidcConfig {
    pub issuer: String,
    pub audience: String,
    pub jwks: JwksSource,
    /// Whether a subject that no user is linked to becomes a new user on first use
    /// (`--oidc-create-users`).
    pub create_users: bool,
}

#[derive(Debug, Deserialize)]
struct Claims {
    sub: String,
    exp: u64,
}

struct Keys {
    set: JwkSet,
    fetched: Instant,
}

/// The provider's signing keys: read once, and again when a token names a key that is not
/// among them (at most once a minute), so that key rotation needs no restart.
pub struct KeySet {
    source: JwksSource,
    keys: RwLock<Keys>,
}

impl std::fmt::Debug for KeySet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeySet").field("source", &self.source).finish_non_exhaustive()
    }
}

const MIN_REFRESH: Duration = Duration::from_mins(1);

/// The algorithms accepted from a provider; anything else (`none`, `HS256`, ...) is refused
/// before a key is looked up.
pub fn accepted_algorithm(alg: Algorithm) -> bool {
    matches!(alg, Algorithm::RS256 | Algorithm::ES256)
}

impl KeySet {
    /// Reads the key set; fails if it cannot be read.
    pub async fn load(source: JwksSource) -> Result<Self, String> {
        let set = source.load().await?;
        Ok(KeySet { source, keys: RwLock::new(Keys { set, fetched: Instant::now() }) })
    }

    /// Where the keys come from.
    pub fn source(&self) -> &JwksSource {
        &self.source
    }

    fn key_for(&self, kid: Option<&str>) -> Option<DecodingKey> {
        let keys = self.keys.read().ok()?;
        let jwk = match kid {
            Some(kid) => keys.set.find(kid)?,
            None if keys.set.keys.len() == 1 => &keys.set.keys[0],
            None => return None,
        };
        DecodingKey::from_jwk(jwk).ok()
    }

    async fn refresh(&self) {
        let due = self.keys.read().is_ok_and(|k| k.fetched.elapsed() >= MIN_REFRESH);
        if !due {
            return;
        }
        match self.source.load().await {
            Ok(set) => {
                if let Ok(mut keys) = self.keys.write() {
                    *keys = Keys { set, fetched: Instant::now() };
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot refresh the identity provider's keys");
                if let Ok(mut keys) = self.keys.write() {
                    keys.fetched = Instant::now();
                }
            }
        }
    }

    /// The key that `kid` names (or the only key, for a token that names none), reading the
    /// set again once if it is not known.
    pub async fn key(&self, kid: Option<&str>) -> Option<DecodingKey> {
        if let Some(k) = self.key_for(kid) {
            return Some(k);
        }
        self.refresh().await;
        self.key_for(kid)
    }
}

/// Checks user tokens of the provider.
#[derive(Debug)]
pub struct OidcVerifier {
    config: OidcConfig,
    keys: KeySet,
}

impl OidcVerifier {
    /// Loads the key set; fails if it cannot be read.
    pub async fn new(config: OidcConfig) -> Result<Self, String> {
        let keys = KeySet::load(config.jwks.clone()).await?;
        Ok(OidcVerifier { config, keys })
    }

    /// The provider's issuer URL (the sign-in page points users there).
    pub fn issuer(&self) -> &str {
        &self.config.issuer
    }

    /// Whether a subject no user is linked to becomes a new user.
    pub fn create_users(&self) -> bool {
        self.config.create_users
    }

    /// Whether `token` is meant for this verifier (signed with an asymmetric algorithm).
    pub fn claims_token(token: &str) -> bool {
        decode_header(token).is_ok_and(|h| accepted_algorithm(h.alg))
    }

    /// The subject of a valid token.
    pub async fn verify(&self, token: &str) -> Result<String, TokenError> {
        let header = decode_header(token).map_err(|_| TokenError::Invalid)?;
        if !accepted_algorithm(header.alg) {
            return Err(TokenError::Invalid);
        }
        let key = self.keys.key(header.kid.as_deref()).await.ok_or(TokenError::Invalid)?;
        let mut validation = Validation::new(header.alg);
        validation.set_issuer(&[&self.config.issuer]);
        validation.set_audience(&[&self.config.audience]);
        validation.set_required_spec_claims(&["iss", "aud", "sub", "exp"]);
        validation.validate_exp = false;
        let data = decode::<Claims>(token, &key, &validation).map_err(|_| TokenError::Invalid)?;
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        if data.claims.exp <= now {
            return Err(TokenError::Expired(crate::auth::TokenKind::User));
        }
        if !valid_subject(&data.claims.sub) {
            return Err(TokenError::Invalid);
        }
        Ok(data.claims.sub)
    }
}

/// Users are named by `sub` (or linked to it): the same characters as any other text
/// (`groove_wire::text`), 1 to 256 bytes.
pub fn valid_subject(sub: &str) -> bool {
    !sub.is_empty() && sub.len() <= 256 && groove_wire::text::forbidden_char(sub).is_none()
}
