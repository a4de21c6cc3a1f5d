-- Sign-in: users' passwords, applications' redirect URIs, OAuth grants (authorization codes
-- and refresh tokens) and revoked token IDs. New tables only (and `IF NOT EXISTS`), so that
-- the migration can run again over a database that has them.

-- An Argon2id PHC string; a user without a row cannot sign in with a password.
CREATE TABLE IF NOT EXISTS user_passwords (
    user_id       INTEGER PRIMARY KEY REFERENCES users (id),
    password_hash TEXT NOT NULL
);

-- Registered redirect URIs of an application, one a line (matched exactly).
CREATE TABLE IF NOT EXISTS app_redirect_uris (
    client_id TEXT PRIMARY KEY REFERENCES apps (client_id),
    uris      TEXT NOT NULL
);

-- An authorization code or a refresh token, by the SHA-256 of its secret (the secret itself
-- is never stored). `family` groups the code and every refresh token and access token that
-- descend from one sign-in.
CREATE TABLE IF NOT EXISTS oauth_grants (
    key_sha256     BLOB PRIMARY KEY,
    kind           TEXT NOT NULL,
    family         TEXT NOT NULL,
    client_id      TEXT NOT NULL,
    user_id        INTEGER NOT NULL REFERENCES users (id),
    redirect_uri   TEXT NOT NULL,
    code_challenge TEXT NOT NULL,
    expires_at     INTEGER NOT NULL,
    used_at        INTEGER
);
CREATE INDEX IF NOT EXISTS oauth_grants_by_user ON oauth_grants (user_id);
CREATE INDEX IF NOT EXISTS oauth_grants_by_expiry ON oauth_grants (expires_at);

-- Revoked access-token IDs (`jti`) and grant families, kept until the last token they name
-- has expired.
CREATE TABLE IF NOT EXISTS token_revocations (
    id         TEXT PRIMARY KEY,
    expires_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS token_revocations_by_expiry ON token_revocations (expires_at);
