-- Append-only: never edit a migration that has been released; add the next file instead.

-- Server-wide values, such as the key that signs continuation tokens.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value BLOB NOT NULL
);

CREATE TABLE users (
    id             INTEGER PRIMARY KEY,
    name           TEXT NOT NULL UNIQUE,
    created_at     INTEGER NOT NULL,
    -- CollectionState.Token: incremented by every write that changes the collection.
    state_version  INTEGER NOT NULL DEFAULT 0,
    -- Source of added_seq (collection date order).
    next_seq       INTEGER NOT NULL DEFAULT 0,
    track_count    INTEGER NOT NULL DEFAULT 0,
    playlist_count INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE apps (
    client_id     TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    secret_sha256 BLOB NOT NULL,
    created_at    INTEGER NOT NULL
);

-- The catalog. `doc` holds the Groove object as imported; *_key columns are folded
-- (lower case, no accents) sort keys.
CREATE TABLE catalog_artists (
    id       INTEGER PRIMARY KEY,
    gid      BLOB NOT NULL UNIQUE,
    name     TEXT NOT NULL,
    name_key TEXT NOT NULL,
    doc      TEXT NOT NULL
);

CREATE TABLE catalog_albums (
    id           INTEGER PRIMARY KEY,
    gid          BLOB NOT NULL UNIQUE,
    name         TEXT NOT NULL,
    name_key     TEXT NOT NULL,
    artist_key   TEXT NOT NULL,
    genre_key    TEXT NOT NULL,
    release_date TEXT NOT NULL,
    doc          TEXT NOT NULL
);

CREATE TABLE catalog_album_artists (
    album_id  INTEGER NOT NULL REFERENCES catalog_albums (id),
    position  INTEGER NOT NULL,
    role      TEXT NOT NULL,
    artist_id INTEGER NOT NULL REFERENCES catalog_artists (id),
    PRIMARY KEY (album_id, position)
);
CREATE INDEX catalog_album_artists_by_artist ON catalog_album_artists (artist_id);

CREATE TABLE catalog_tracks (
    id           INTEGER PRIMARY KEY,
    gid          BLOB NOT NULL UNIQUE,
    album_id     INTEGER NOT NULL REFERENCES catalog_albums (id),
    name         TEXT NOT NULL,
    name_key     TEXT NOT NULL,
    album_key    TEXT NOT NULL,
    artist_key   TEXT NOT NULL,
    genre_key    TEXT NOT NULL,
    release_date TEXT NOT NULL,
    track_number INTEGER NOT NULL,
    doc          TEXT NOT NULL
);
CREATE INDEX catalog_tracks_by_album ON catalog_tracks (album_id, track_number);

CREATE TABLE catalog_track_artists (
    track_id  INTEGER NOT NULL REFERENCES catalog_tracks (id),
    position  INTEGER NOT NULL,
    role      TEXT NOT NULL,
    artist_id INTEGER NOT NULL REFERENCES catalog_artists (id),
    PRIMARY KEY (track_id, position)
);
CREATE INDEX catalog_track_artists_by_artist ON catalog_track_artists (artist_id);

-- A user's tracks. `cid` is the random part of the collection ID. Sort keys are copied
-- from the catalog so that each order of orderby.md is an index range scan.
CREATE TABLE collection_tracks (
    user_id      INTEGER NOT NULL REFERENCES users (id),
    cid          BLOB NOT NULL,
    track_id     INTEGER NOT NULL REFERENCES catalog_tracks (id),
    album_id     INTEGER NOT NULL,
    added_seq    INTEGER NOT NULL,
    added_at     INTEGER NOT NULL,
    title_key    TEXT NOT NULL,
    album_key    TEXT NOT NULL,
    artist_key   TEXT NOT NULL,
    genre_key    TEXT NOT NULL,
    release_date TEXT NOT NULL,
    track_number INTEGER NOT NULL,
    PRIMARY KEY (user_id, cid)
) WITHOUT ROWID;
CREATE UNIQUE INDEX collection_tracks_by_track ON collection_tracks (user_id, track_id);
CREATE INDEX collection_tracks_by_title ON collection_tracks (user_id, title_key, cid);
CREATE INDEX collection_tracks_by_album ON collection_tracks (user_id, album_key, track_number, cid);
CREATE INDEX collection_tracks_by_artist ON collection_tracks (user_id, artist_key, title_key, cid);
CREATE INDEX collection_tracks_by_genre ON collection_tracks (user_id, genre_key, title_key, cid);
CREATE INDEX collection_tracks_by_release ON collection_tracks (user_id, release_date, cid);
CREATE INDEX collection_tracks_by_added ON collection_tracks (user_id, added_seq);
CREATE INDEX collection_tracks_by_number ON collection_tracks (user_id, track_number, title_key, cid);

-- Albums and artists of a collection, derived from its tracks and kept in step with them
-- by every add and delete: a row lives while at least one of the user's tracks refers to it.
CREATE TABLE collection_albums (
    user_id      INTEGER NOT NULL REFERENCES users (id),
    album_id     INTEGER NOT NULL REFERENCES catalog_albums (id),
    cid          BLOB NOT NULL,
    track_count  INTEGER NOT NULL,
    added_seq    INTEGER NOT NULL,
    PRIMARY KEY (user_id, album_id)
) WITHOUT ROWID;
CREATE UNIQUE INDEX collection_albums_by_cid ON collection_albums (user_id, cid);

CREATE TABLE collection_artists (
    user_id     INTEGER NOT NULL REFERENCES users (id),
    artist_id   INTEGER NOT NULL REFERENCES catalog_artists (id),
    cid         BLOB NOT NULL,
    -- Tracks of the collection that credit this artist, on the track or on its album.
    track_count INTEGER NOT NULL,
    -- Of those, the tracks where the artist is a main artist of the track or the album:
    -- only such artists are listed by artist browse.
    main_count  INTEGER NOT NULL,
    added_seq   INTEGER NOT NULL,
    PRIMARY KEY (user_id, artist_id)
) WITHOUT ROWID;
CREATE UNIQUE INDEX collection_artists_by_cid ON collection_artists (user_id, cid);
