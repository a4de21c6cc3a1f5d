-- Sign-in at an external OpenID Connect provider: the local user of each identity
-- (issuer and subject of the provider's ID tokens). A new table only (and `IF NOT EXISTS`),
-- so that the migration can run again over a database that has it.
CREATE TABLE IF NOT EXISTS user_identities (
    issuer     TEXT NOT NULL,
    subject    TEXT NOT NULL,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    created_at INTEGER NOT NULL,
    PRIMARY KEY (issuer, subject)
);
CREATE INDEX IF NOT EXISTS user_identities_by_user ON user_identities (user_id);
