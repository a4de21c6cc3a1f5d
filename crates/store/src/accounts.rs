//! Types of sign-in: users as the operator lists them, and OAuth grants.

use crate::{StoreResult, User};

/// A user as `user list` shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserSummary {
    pub user: User,
    /// Milliseconds since the Unix epoch.
    pub created_at_ms: i64,
    pub has_password: bool,
    pub track_count: u64,
    pub playlist_count: u64,
}

/// What a grant is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GrantKind {
    /// An authorization code, exchanged once for tokens.
    Code,
    /// A refresh token, exchanged once for new tokens (it rotates).
    Refresh,
}

impl GrantKind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            GrantKind::Code => "code",
            GrantKind::Refresh => "refresh",
        }
    }

    pub(crate) fn parse(s: &str) -> crate::StoreResult<GrantKind> {
        match s {
            "code" => Ok(GrantKind::Code),
            "refresh" => Ok(GrantKind::Refresh),
            other => Err(crate::StoreError::Internal(format!("unknown grant kind {other:?}"))),
        }
    }
}

/// An authorization code or a refresh token, stored by the SHA-256 of its secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grant {
    pub key_sha256: [u8; 32],
    pub kind: GrantKind,
    /// Groups everything that descends from one sign-in; revoking it revokes them all.
    pub family: String,
    pub client_id: String,
    pub user: User,
    /// The redirect URI of the authorization request (codes; empty for refresh tokens).
    pub redirect_uri: String,
    /// The PKCE `code_challenge` (S256) of the authorization request (codes).
    pub code_challenge: String,
    /// Milliseconds since the Unix epoch.
    pub expires_at_ms: i64,
    /// When the grant was first used, if it was.
    pub used_at_ms: Option<i64>,
}

/// Sign-in's part of the store (a part of [`crate::Store`]): passwords, redirect URIs, OAuth
/// grants and revoked tokens. Each backend implements it in its `accounts.rs`.
#[async_trait::async_trait]
pub trait Accounts: Send + Sync {
    /// Sets a user's password hash (a PHC string); [`crate::StoreError::NotFound`] if there
    /// is no such user.
    async fn set_password_hash(&self, name: &str, hash: String) -> StoreResult<()>;
    /// The user of that name and its password hash (`None` inside: no password).
    async fn password_hash(&self, name: &str) -> StoreResult<Option<(User, Option<String>)>>;
    /// Every user, by name.
    async fn list_users(&self) -> StoreResult<Vec<UserSummary>>;
    /// Deletes a user with everything of theirs (collection, playlists, grants), in one
    /// transaction; [`crate::StoreError::NotFound`] if there is no such user.
    async fn delete_user(&self, name: &str) -> StoreResult<()>;
    /// Replaces an application's redirect URIs; [`crate::StoreError::NotFound`] if there is no such
    /// application.
    async fn set_redirect_uris(&self, client_id: &str, uris: Vec<String>) -> StoreResult<()>;
    /// An application's redirect URIs; `None` if there is no such application.
    async fn redirect_uris(&self, client_id: &str) -> StoreResult<Option<Vec<String>>>;
    /// Stores a new grant (its `used_at_ms` is ignored), dropping expired ones.
    async fn put_grant(&self, grant: Grant) -> StoreResult<()>;
    /// The grant of that key, without using it.
    async fn grant(&self, key_sha256: [u8; 32]) -> StoreResult<Option<Grant>>;
    /// Marks the grant used at `now_ms` and returns it as it was before: a `used_at_ms`
    /// that is `Some` means it had been used already (and stays marked with its first use).
    /// Of two concurrent calls, exactly one sees it unused.
    async fn use_grant(&self, key_sha256: [u8; 32], now_ms: i64) -> StoreResult<Option<Grant>>;
    /// Records token IDs or grant families as revoked until `expires_at_ms` (when every
    /// token they name has expired anyway), dropping revocations past their time.
    async fn revoke_ids(&self, ids: Vec<String>, expires_at_ms: i64) -> StoreResult<()>;
    /// Whether any of these token IDs or grant families is revoked.
    async fn any_revoked(&self, ids: Vec<String>) -> StoreResult<bool>;
    /// The user linked to an identity of an external OpenID Connect provider (its issuer
    /// and its subject, `sub`).
    async fn identity_user(&self, issuer: &str, subject: &str) -> StoreResult<Option<User>>;
    /// Links an identity to the user named `name` and returns that user;
    /// [`crate::StoreError::NotFound`] if there is no such user,
    /// [`crate::StoreError::AlreadyExists`] if the identity is linked to another user
    /// (linking it again to the same user changes nothing).
    async fn link_identity(&self, issuer: &str, subject: &str, name: &str) -> StoreResult<User>;
    /// The user linked to an identity; if there is none, a new user linked to it, named
    /// `name` or, when that name is taken, `name-2`, `name-3`, ... (never an existing user).
    async fn create_identity_user(&self, issuer: &str, subject: &str, name: &str) -> StoreResult<User>;
}
