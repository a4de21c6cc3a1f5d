//! The statements of sign-in, written once: both backends read `$N` parameters alike (as
//! long as they appear in the order of their numbers: SQLite numbers `$N` by first
//! appearance, whatever `N` says), and every column here has the same type on both (`BIGINT`/`INTEGER` as `i64`, `BYTEA`/`BLOB`
//! as bytes, `TEXT`).

/// Every row of a user, children first (PostgreSQL enforces the references), the user's row
/// last. `$1` is the user's id.
pub(crate) const DELETE_USER: &[&str] = &[
    "DELETE FROM playlist_entries WHERE user_id = $1",
    "DELETE FROM playlists WHERE user_id = $1",
    "DELETE FROM collection_tracks WHERE user_id = $1",
    "DELETE FROM collection_albums WHERE user_id = $1",
    "DELETE FROM collection_artists WHERE user_id = $1",
    "DELETE FROM collection_changes WHERE user_id = $1",
    "DELETE FROM collection_gone WHERE user_id = $1",
    "DELETE FROM collection_feed_floor WHERE user_id = $1",
    "DELETE FROM deleted_playlist_entries WHERE user_id = $1",
    "DELETE FROM deleted_playlists WHERE user_id = $1",
    "DELETE FROM deleted_tracks WHERE user_id = $1",
    "DELETE FROM idempotency_keys WHERE user_id = $1",
    "DELETE FROM oauth_grants WHERE user_id = $1",
    "DELETE FROM user_passwords WHERE user_id = $1",
    "DELETE FROM user_identities WHERE user_id = $1",
    "DELETE FROM users WHERE id = $1",
];

/// Sets the password of the user named `$2` (no row: no such user). The `WHERE` keeps
/// SQLite from reading `ON CONFLICT` as part of the `SELECT`.
pub(crate) const SET_PASSWORD: &str = "INSERT INTO user_passwords (user_id, password_hash)
     SELECT id, $1 FROM users WHERE name = $2
     ON CONFLICT (user_id) DO UPDATE SET password_hash = excluded.password_hash";

pub(crate) const PASSWORD: &str = "SELECT u.id, p.password_hash
     FROM users u LEFT JOIN user_passwords p ON p.user_id = u.id WHERE u.name = $1";

pub(crate) const LIST_USERS: &str = "SELECT u.id, u.name, u.created_at, p.password_hash IS NOT NULL,
            u.track_count, u.playlist_count
     FROM users u LEFT JOIN user_passwords p ON p.user_id = u.id ORDER BY u.name";

/// The user linked to identity (`$1` issuer, `$2` subject) of an external provider.
pub(crate) const IDENTITY_USER: &str = "SELECT u.id, u.name
     FROM user_identities i JOIN users u ON u.id = i.user_id WHERE i.issuer = $1 AND i.subject = $2";

/// Links an identity to user `$3`; nothing if the identity is linked already.
pub(crate) const INSERT_IDENTITY: &str = "INSERT INTO user_identities (issuer, subject, user_id, created_at)
     VALUES ($1, $2, $3, $4) ON CONFLICT (issuer, subject) DO NOTHING";

/// Most names [`user_name_candidates`] tries with a number before a random suffix.
const NUMBERED_NAMES: u32 = 100;

/// The names a user created for an identity may take, in order of preference: `name`,
/// then `name-2`, `name-3`, ..., then `name-` and a random suffix. A name another user has
/// is never shared: the new user is a new person of this server.
pub(crate) fn user_name_candidates(name: &str) -> impl Iterator<Item = String> + '_ {
    std::iter::once(name.to_owned())
        .chain((2..=NUMBERED_NAMES).map(move |n| format!("{name}-{n}")))
        .chain(std::iter::repeat_with(move || format!("{name}-{:08x}", rand::random::<u32>())).take(16))
}

/// Sets the redirect URIs of application `$2` (no row: no such application).
pub(crate) const SET_REDIRECT_URIS: &str = "INSERT INTO app_redirect_uris (client_id, uris)
     SELECT client_id, $1 FROM apps WHERE client_id = $2
     ON CONFLICT (client_id) DO UPDATE SET uris = excluded.uris";

pub(crate) const REDIRECT_URIS: &str = "SELECT coalesce(r.uris, '')
     FROM apps a LEFT JOIN app_redirect_uris r ON r.client_id = a.client_id WHERE a.client_id = $1";

/// Expired grants go when a new one comes.
pub(crate) const PURGE_GRANTS: &str = "DELETE FROM oauth_grants WHERE expires_at < $1";

pub(crate) const INSERT_GRANT: &str = "INSERT INTO oauth_grants
     (key_sha256, kind, family, client_id, user_id, redirect_uri, code_challenge, expires_at, used_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL)";

/// A grant with its user's name, columns in [`GrantColumns`] order.
pub(crate) const GRANT: &str = "SELECT g.kind, g.family, g.client_id, g.user_id, u.name, g.redirect_uri,
            g.code_challenge, g.expires_at, g.used_at
     FROM oauth_grants g JOIN users u ON u.id = g.user_id WHERE g.key_sha256 = $1";

/// Marks a grant used, once (the first use's time stays).
pub(crate) const USE_GRANT: &str =
    "UPDATE oauth_grants SET used_at = $1 WHERE key_sha256 = $2 AND used_at IS NULL";

pub(crate) const PURGE_REVOCATIONS: &str = "DELETE FROM token_revocations WHERE expires_at < $1";

pub(crate) const INSERT_REVOCATION: &str = "INSERT INTO token_revocations (id, expires_at) VALUES ($1, $2)
     ON CONFLICT (id) DO UPDATE SET expires_at = excluded.expires_at";

pub(crate) const REVOKED: &str = "SELECT 1 FROM token_revocations WHERE id = $1";

/// A grant's stored columns, as [`GRANT`] reads them.
pub(crate) struct GrantColumns {
    pub(crate) kind: String,
    pub(crate) family: String,
    pub(crate) client_id: String,
    pub(crate) user_id: i64,
    pub(crate) user_name: String,
    pub(crate) redirect_uri: String,
    pub(crate) code_challenge: String,
    pub(crate) expires_at: i64,
    pub(crate) used_at: Option<i64>,
}

impl GrantColumns {
    pub(crate) fn into_grant(self, key_sha256: [u8; 32]) -> crate::StoreResult<crate::Grant> {
        Ok(crate::Grant {
            key_sha256,
            kind: crate::GrantKind::parse(&self.kind)?,
            family: self.family,
            client_id: self.client_id,
            user: crate::User { id: self.user_id, name: self.user_name },
            redirect_uri: self.redirect_uri,
            code_challenge: self.code_challenge,
            expires_at_ms: self.expires_at,
            used_at_ms: self.used_at,
        })
    }
}

/// A grant read after [`USE_GRANT`] marked it, as it was before: unused if the mark was
/// this call's (`marked` rows: 1).
pub(crate) fn as_before_use(mut grant: crate::Grant, marked: u64) -> crate::Grant {
    if marked == 1 {
        grant.used_at_ms = None;
    }
    grant
}

/// Redirect URIs as stored: one a line.
pub(crate) fn join_uris(uris: &[String]) -> String {
    uris.join("\n")
}

pub(crate) fn split_uris(stored: &str) -> Vec<String> {
    stored.lines().filter(|l| !l.is_empty()).map(str::to_owned).collect()
}

/// A user summary from the columns of [`LIST_USERS`].
pub(crate) fn summary(
    id: i64,
    name: String,
    created: i64,
    has_password: bool,
    tracks: i64,
    playlists: i64,
) -> crate::UserSummary {
    crate::UserSummary {
        user: crate::User { id, name },
        created_at_ms: created,
        has_password,
        track_count: u64::try_from(tracks).unwrap_or(0),
        playlist_count: u64::try_from(playlists).unwrap_or(0),
    }
}
