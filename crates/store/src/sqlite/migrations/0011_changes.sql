-- The change feed (SPEC §6): one row per write that changed a collection, naming what it
-- touched (`crate::feed::Touched`, encoded); the collection IDs of albums and artists that
-- left a collection, recorded by triggers with the version of the write that removed them;
-- the version below which a user's log was trimmed; and the catalog's revision, moved by
-- every import that rewrote rows that existed. New objects only, each `IF NOT EXISTS`, so
-- that the migration can run again over a database that has them.
CREATE TABLE IF NOT EXISTS collection_changes (
    user_id INTEGER NOT NULL,
    version INTEGER NOT NULL,
    at      INTEGER NOT NULL,
    items   BLOB NOT NULL,
    PRIMARY KEY (user_id, version)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS collection_changes_by_time ON collection_changes (at);

CREATE TABLE IF NOT EXISTS collection_gone (
    user_id INTEGER NOT NULL,
    version INTEGER NOT NULL,
    cid     BLOB NOT NULL,
    -- 1: an album, 2: an artist.
    kind    INTEGER NOT NULL,
    PRIMARY KEY (user_id, version, cid)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS collection_feed_floor (
    user_id INTEGER PRIMARY KEY,
    version INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS catalog_revision (
    one      INTEGER PRIMARY KEY CHECK (one = 1),
    revision INTEGER NOT NULL
);
INSERT OR IGNORE INTO catalog_revision (one, revision) VALUES (1, 0);

-- A row leaves with the write that moves the user's version next (every write removes rows
-- before it saves the user's row). Artists credited only as guests are not listed by browse,
-- and their leaving is not recorded.
CREATE TRIGGER IF NOT EXISTS collection_albums_gone AFTER DELETE ON collection_albums
BEGIN
    INSERT OR IGNORE INTO collection_gone (user_id, version, cid, kind)
    SELECT old.user_id, state_version + 1, old.cid, 1 FROM users WHERE id = old.user_id;
END;
CREATE TRIGGER IF NOT EXISTS collection_artists_gone AFTER DELETE ON collection_artists
WHEN old.main_count > 0
BEGIN
    INSERT OR IGNORE INTO collection_gone (user_id, version, cid, kind)
    SELECT old.user_id, state_version + 1, old.cid, 2 FROM users WHERE id = old.user_id;
END;
