//! Tokens: issuing and checking the server's own signed JWTs.
//!
//! Two kinds of token exist (`user-authentication.md`, `obtaining-a-developer-access-token.md`):
//! user tokens (`Authorization: Bearer`, mandatory for collection calls) and application
//! (developer) tokens (`accessToken` query parameter or `Authorization: Bearer`). Both are
//! HS256 JWTs with the server's issuer and audience and a `kind` claim. `alg=none`, other
//! algorithms, another issuer or audience, a bad signature and expiry are all refused.

use hmac::{Hmac, Mac};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use std::time::{SystemTime, UNIX_EPOCH};

/// Issuer of the server's own tokens.
pub const DEFAULT_ISSUER: &str = "groove-server";
/// Audience of the server's own tokens.
pub const AUDIENCE: &str = "groove-api";
/// Lifetime of application tokens (`expires_in` of `obtaining-a-developer-access-token.md`).
pub const APP_TOKEN_TTL_SECS: u64 = 86_400;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenKind {
    User,
    App,
}

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    iss: String,
    aud: String,
    sub: String,
    iat: u64,
    exp: u64,
    kind: TokenKind,
    /// The token's own ID, by which it can be revoked (absent from tokens of older versions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    jti: Option<String>,
    /// The grant family of a token issued by the authorization-code flow.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    fam: Option<String>,
    /// The application a user token was issued to, through the authorization-code flow.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    cid: Option<String>,
}

/// A valid token and what it carries besides its principal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verified {
    pub principal: Principal,
    pub jti: Option<String>,
    pub family: Option<String>,
    pub client_id: Option<String>,
    /// Expiry, in seconds since the Unix epoch.
    pub exp: u64,
}

/// What a token is issued with besides its subject.
#[derive(Clone, Debug, Default)]
pub struct Issue<'a> {
    pub family: Option<&'a str>,
    pub client_id: Option<&'a str>,
}

/// Who a valid token stands for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Principal {
    /// A user, by name.
    User(String),
    /// An application, by client ID.
    App(String),
}

/// Why a token was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenError {
    /// Not a token of this server (malformed, bad signature, wrong algorithm, issuer or audience).
    Invalid,
    /// A token of this server, of this kind, past its expiry.
    Expired(TokenKind),
    /// A token of this server that was revoked (or whose revocation cannot be checked now).
    Revoked,
}

fn now_secs() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// Signs and checks the server's tokens with one HS256 key.
#[derive(Clone)]
pub struct TokenAuthority {
    issuer: String,
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    /// Signs the sign-in form's anti-forgery tokens: derived from the signing key, so that
    /// every process of one deployment accepts the forms of the others.
    form_key: [u8; 32],
}

impl std::fmt::Debug for TokenAuthority {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenAuthority").field("issuer", &self.issuer).finish_non_exhaustive()
    }
}

impl TokenAuthority {
    /// `key` is the signing secret (at least 32 bytes).
    pub fn new(key: &[u8], issuer: &str) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["iss", "aud", "sub", "exp"]);
        // Expiry is checked after the signature, so that an expired token can be told apart
        // from a forged one and get its documented error.
        validation.validate_exp = false;
        validation.leeway = 0;
        TokenAuthority {
            issuer: issuer.to_owned(),
            encoding: EncodingKey::from_secret(key),
            decoding: DecodingKey::from_secret(key),
            validation,
            form_key: derive_form_key(key),
        }
    }

    /// HMAC-SHA256 of `message` under the form key.
    pub fn sign_form(&self, message: &[u8]) -> [u8; 32] {
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(&self.form_key).expect("HMAC takes keys of any length");
        mac.update(message);
        mac.finalize().into_bytes().into()
    }

    /// A token for `subject` with a fresh ID and what `extra` names, valid for `ttl_secs`
    /// seconds from now; returns the token and its ID.
    pub fn issue_with(
        &self,
        kind: TokenKind,
        subject: &str,
        ttl_secs: u64,
        extra: &Issue<'_>,
    ) -> Result<(String, String), jsonwebtoken::errors::Error> {
        use base64::Engine as _;
        let jti = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand::random::<[u8; 16]>());
        let iat = now_secs();
        let claims = Claims {
            iss: self.issuer.clone(),
            aud: AUDIENCE.to_owned(),
            sub: subject.to_owned(),
            iat,
            exp: iat.saturating_add(ttl_secs),
            kind,
            jti: Some(jti.clone()),
            fam: extra.family.map(str::to_owned),
            cid: extra.client_id.map(str::to_owned),
        };
        Ok((encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)?, jti))
    }

    /// [`TokenAuthority::verify`], with the token's ID, family and expiry.
    pub fn verify_full(&self, token: &str) -> Result<Verified, TokenError> {
        let data =
            decode::<Claims>(token, &self.decoding, &self.validation).map_err(|_| TokenError::Invalid)?;
        let claims = data.claims;
        if claims.exp <= now_secs() {
            return Err(TokenError::Expired(claims.kind));
        }
        let principal = match claims.kind {
            TokenKind::User => Principal::User(claims.sub),
            TokenKind::App => Principal::App(claims.sub),
        };
        Ok(Verified {
            principal,
            jti: claims.jti,
            family: claims.fam,
            client_id: claims.cid,
            exp: claims.exp,
        })
    }

    /// A token for `subject`, valid for `ttl_secs` seconds from now, with a fresh ID (so
    /// that it can be revoked).
    pub fn issue(
        &self,
        kind: TokenKind,
        subject: &str,
        ttl_secs: u64,
    ) -> Result<String, jsonwebtoken::errors::Error> {
        self.issue_with(kind, subject, ttl_secs, &Issue::default()).map(|(token, _)| token)
    }

    pub fn verify(&self, token: &str) -> Result<Principal, TokenError> {
        self.verify_full(token).map(|v| v.principal)
    }
}

fn derive_form_key(key: &[u8]) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(b"groove-server sign-in form");
    mac.finalize().into_bytes().into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    fn authority() -> TokenAuthority {
        TokenAuthority::new(&[42; 32], DEFAULT_ISSUER)
    }

    #[test]
    fn issued_tokens_verify() {
        let a = authority();
        let t = a.issue(TokenKind::User, "alice", 60).unwrap();
        assert_eq!(a.verify(&t), Ok(Principal::User("alice".into())));
        let t = a.issue(TokenKind::App, "client", 60).unwrap();
        assert_eq!(a.verify(&t), Ok(Principal::App("client".into())));
    }

    #[test]
    fn expired_tokens_are_told_apart() {
        let a = authority();
        let t = a.issue(TokenKind::User, "alice", 0).unwrap();
        assert_eq!(a.verify(&t), Err(TokenError::Expired(TokenKind::User)));
        let t = a.issue(TokenKind::App, "client", 0).unwrap();
        assert_eq!(a.verify(&t), Err(TokenError::Expired(TokenKind::App)));
    }

    #[test]
    fn foreign_tokens_are_refused() {
        let a = authority();
        let t = a.issue(TokenKind::User, "alice", 60).unwrap();
        // Another key.
        assert_eq!(TokenAuthority::new(&[1; 32], DEFAULT_ISSUER).verify(&t), Err(TokenError::Invalid));
        // Another issuer.
        let other = TokenAuthority::new(&[42; 32], "someone-else");
        assert_eq!(a.verify(&other.issue(TokenKind::User, "alice", 60).unwrap()), Err(TokenError::Invalid));
        // alg=none with the same claims.
        let payload = t.split('.').nth(1).unwrap();
        let none = format!("{}.{payload}.", URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#));
        assert_eq!(a.verify(&none), Err(TokenError::Invalid));
        // A tampered payload.
        let claims = URL_SAFE_NO_PAD.decode(payload).unwrap();
        let forged = String::from_utf8(claims).unwrap().replace("alice", "mallory");
        let mut parts: Vec<String> = t.split('.').map(str::to_owned).collect();
        parts[1] = URL_SAFE_NO_PAD.encode(forged);
        assert_eq!(a.verify(&parts.join(".")), Err(TokenError::Invalid));
        assert_eq!(a.verify("garbage"), Err(TokenError::Invalid));
        assert_eq!(a.verify(""), Err(TokenError::Invalid));
    }
}
