-- The change feed (SPEC §6): one row per write that changed a collection, naming what it
-- touched (`crate::feed::Touched`, encoded); the collection IDs of albums and artists that
-- left a collection, recorded by triggers with the version of the write that removed them;
-- the version below which a user's log was trimmed; and the catalog's revision, moved by
-- every import that rewrote rows that existed. Each object `IF NOT EXISTS` (or replaced), so
-- that the migration can run again over a database that has them.
CREATE TABLE IF NOT EXISTS collection_changes (
    user_id BIGINT NOT NULL,
    version BIGINT NOT NULL,
    at      BIGINT NOT NULL,
    items   BYTEA NOT NULL,
    PRIMARY KEY (user_id, version)
);
CREATE INDEX IF NOT EXISTS collection_changes_by_time ON collection_changes (at);

CREATE TABLE IF NOT EXISTS collection_gone (
    user_id BIGINT NOT NULL,
    version BIGINT NOT NULL,
    cid     BYTEA NOT NULL,
    -- 1: an album, 2: an artist.
    kind    SMALLINT NOT NULL,
    PRIMARY KEY (user_id, version, cid)
);

CREATE TABLE IF NOT EXISTS collection_feed_floor (
    user_id BIGINT PRIMARY KEY,
    version BIGINT NOT NULL
);

CREATE TABLE IF NOT EXISTS catalog_revision (
    one      INTEGER PRIMARY KEY CHECK (one = 1),
    revision BIGINT NOT NULL
);
INSERT INTO catalog_revision (one, revision) VALUES (1, 0) ON CONFLICT DO NOTHING;

-- A row leaves with the write that moves the user's version next (every write removes rows
-- before it saves the user's row). Artists credited only as guests are not listed by browse,
-- and their leaving is not recorded.
CREATE OR REPLACE FUNCTION collection_row_gone() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO collection_gone (user_id, version, cid, kind)
    SELECT OLD.user_id, u.state_version + 1, OLD.cid, TG_ARGV[0]::smallint FROM users u WHERE u.id = OLD.user_id
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$;
DROP TRIGGER IF EXISTS collection_albums_gone ON collection_albums;
CREATE TRIGGER collection_albums_gone AFTER DELETE ON collection_albums
    FOR EACH ROW EXECUTE FUNCTION collection_row_gone('1');
DROP TRIGGER IF EXISTS collection_artists_gone ON collection_artists;
CREATE TRIGGER collection_artists_gone AFTER DELETE ON collection_artists
    FOR EACH ROW WHEN (OLD.main_count > 0) EXECUTE FUNCTION collection_row_gone('2');
