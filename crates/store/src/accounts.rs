//! Types of sign-in: users as the operator lists them, and OAuth grants.

use crate::User;

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
