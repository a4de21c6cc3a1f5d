-- Sign-in: users' passwords, applications' redirect URIs, OAuth grants (authorization codes
-- and refresh tokens) and revoked token IDs.

-- An Argon2id PHC string; NULL: the user cannot sign in with a password.
ALTER TABLE users ADD COLUMN password_hash TEXT;
-- Registered redirect URIs, one a line (exact match).
ALTER TABLE apps ADD COLUMN redirect_uris TEXT NOT NULL DEFAULT '';

-- An authorization code or a refresh token, by the SHA-256 of its secret (the secret itself
-- is never stored). `family` groups the code and every refresh token and access token that
-- descend from one sign-in.
CREATE TABLE oauth_grants (
    key_sha256     BYTEA PRIMARY KEY,
    kind           TEXT NOT NULL,
    family         TEXT NOT NULL,
    client_id      TEXT NOT NULL,
    user_id        BIGINT NOT NULL REFERENCES users (id),
    redirect_uri   TEXT NOT NULL,
    code_challenge TEXT NOT NULL,
    expires_at     BIGINT NOT NULL,
    used_at        BIGINT
);
CREATE INDEX oauth_grants_by_user ON oauth_grants (user_id);
CREATE INDEX oauth_grants_by_expiry ON oauth_grants (expires_at);

-- Revoked access-token IDs (`jti`) and grant families, kept until the last token they name
-- has expired.
CREATE TABLE token_revocations (
    id         TEXT PRIMARY KEY,
    expires_at BIGINT NOT NULL
);
CREATE INDEX token_revocations_by_expiry ON token_revocations (expires_at);
