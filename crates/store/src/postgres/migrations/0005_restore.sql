-- Written to run again harmlessly (IF NOT EXISTS): a store whose record of applied
-- migrations was rolled back below this one applies it anew.
-- Deleted tracks and playlists, kept restorable for the retention period (`--retention-days`),
-- then purged in small batches. A deleted track keeps its collection ID, catalog track and
-- place in the collection's order; a deleted playlist keeps its ID, name, flags, place and
-- entries.
CREATE TABLE IF NOT EXISTS deleted_tracks (
    user_id    BIGINT NOT NULL REFERENCES users (id),
    cid        BYTEA NOT NULL,
    track_id   BIGINT NOT NULL,
    added_seq  BIGINT NOT NULL,
    added_at   BIGINT NOT NULL,
    deleted_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, cid)
);
-- Deleted browse: newest deletion first.
CREATE INDEX IF NOT EXISTS deleted_tracks_by_date ON deleted_tracks (user_id, deleted_at, cid);
-- Purge: the oldest deletions of every user.
CREATE INDEX IF NOT EXISTS deleted_tracks_expiry ON deleted_tracks (deleted_at);
-- Restore of a playlist: whether the user deleted one of its tracks since.
CREATE INDEX IF NOT EXISTS deleted_tracks_by_track ON deleted_tracks (user_id, track_id);

CREATE TABLE IF NOT EXISTS deleted_playlists (
    user_id      BIGINT NOT NULL REFERENCES users (id),
    id           BYTEA NOT NULL,
    name         TEXT NOT NULL,
    is_published BOOLEAN NOT NULL,
    is_read_only BOOLEAN NOT NULL,
    created_seq  BIGINT NOT NULL,
    track_count  BIGINT NOT NULL,
    deleted_at   BIGINT NOT NULL,
    PRIMARY KEY (user_id, id)
);
CREATE INDEX IF NOT EXISTS deleted_playlists_by_date ON deleted_playlists (user_id, deleted_at, id);
CREATE INDEX IF NOT EXISTS deleted_playlists_expiry ON deleted_playlists (deleted_at);

CREATE TABLE IF NOT EXISTS deleted_playlist_entries (
    user_id     BIGINT NOT NULL,
    playlist_id BYTEA NOT NULL,
    entry_id    BYTEA NOT NULL,
    position    BYTEA NOT NULL,
    track_id    BIGINT NOT NULL,
    PRIMARY KEY (user_id, playlist_id, entry_id)
);
