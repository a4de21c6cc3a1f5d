-- Playlists. An entry's `position` is a fractional index: moving entries rewrites only the
-- moved entries' positions, never the whole playlist.

CREATE TABLE playlists (
    user_id      INTEGER NOT NULL REFERENCES users (id),
    id           BLOB NOT NULL,
    name         TEXT NOT NULL,
    is_published INTEGER NOT NULL DEFAULT 0,
    is_read_only INTEGER NOT NULL DEFAULT 0,
    -- Creation order (browse: most recently created first).
    created_seq  INTEGER NOT NULL,
    track_count  INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, id)
) WITHOUT ROWID;
CREATE INDEX playlists_by_created ON playlists (user_id, created_seq);

CREATE TABLE playlist_entries (
    user_id     INTEGER NOT NULL,
    playlist_id BLOB NOT NULL,
    entry_id    BLOB NOT NULL,
    position    BLOB NOT NULL,
    track_id    INTEGER NOT NULL REFERENCES catalog_tracks (id),
    PRIMARY KEY (user_id, playlist_id, entry_id),
    FOREIGN KEY (user_id, playlist_id) REFERENCES playlists (user_id, id) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX playlist_entries_by_position ON playlist_entries (user_id, playlist_id, position, entry_id);
