-- Written to run again harmlessly (IF NOT EXISTS): a store whose record of applied
-- migrations was rolled back below this one applies it anew.
-- Deleted tracks and playlists, kept restorable for the retention period (`--retention-days`),
-- then purged in small batches. A deleted track keeps its collection ID, catalog track and
-- place in the collection's order; a deleted playlist keeps its ID, name, flags, place and
-- entries.
CREATE TABLE IF NOT EXISTS deleted_tracks (
    user_id    INTEGER NOT NULL REFERENCES users (id),
    cid        BLOB NOT NULL,
    track_id   INTEGER NOT NULL,
    added_seq  INTEGER NOT NULL,
    added_at   INTEGER NOT NULL,
    deleted_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, cid)
) WITHOUT ROWID;
-- Deleted browse: newest deletion first.
CREATE INDEX IF NOT EXISTS deleted_tracks_by_date ON deleted_tracks (user_id, deleted_at, cid);
-- Purge: the oldest deletions of every user.
CREATE INDEX IF NOT EXISTS deleted_tracks_expiry ON deleted_tracks (deleted_at);
-- Restore of a playlist: whether the user deleted one of its tracks since.
CREATE INDEX IF NOT EXISTS deleted_tracks_by_track ON deleted_tracks (user_id, track_id);

CREATE TABLE IF NOT EXISTS deleted_playlists (
    user_id      INTEGER NOT NULL REFERENCES users (id),
    id           BLOB NOT NULL,
    name         TEXT NOT NULL,
    is_published INTEGER NOT NULL,
    is_read_only INTEGER NOT NULL,
    created_seq  INTEGER NOT NULL,
    track_count  INTEGER NOT NULL,
    deleted_at   INTEGER NOT NULL,
    PRIMARY KEY (user_id, id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS deleted_playlists_by_date ON deleted_playlists (user_id, deleted_at, id);
CREATE INDEX IF NOT EXISTS deleted_playlists_expiry ON deleted_playlists (deleted_at);

CREATE TABLE IF NOT EXISTS deleted_playlist_entries (
    user_id     INTEGER NOT NULL,
    playlist_id BLOB NOT NULL,
    entry_id    BLOB NOT NULL,
    position    BLOB NOT NULL,
    track_id    INTEGER NOT NULL,
    PRIMARY KEY (user_id, playlist_id, entry_id)
) WITHOUT ROWID;
