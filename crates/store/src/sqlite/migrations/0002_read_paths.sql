-- Reading the collection: sort keys and indexes for album and artist browse, and full-text
-- search over the catalog.

ALTER TABLE collection_albums ADD COLUMN name_key TEXT NOT NULL DEFAULT '';
ALTER TABLE collection_albums ADD COLUMN artist_key TEXT NOT NULL DEFAULT '';
ALTER TABLE collection_albums ADD COLUMN genre_key TEXT NOT NULL DEFAULT '';
ALTER TABLE collection_albums ADD COLUMN release_date TEXT NOT NULL DEFAULT '';
UPDATE collection_albums SET
    name_key = (SELECT a.name_key FROM catalog_albums a WHERE a.id = collection_albums.album_id),
    artist_key = (SELECT a.artist_key FROM catalog_albums a WHERE a.id = collection_albums.album_id),
    genre_key = (SELECT a.genre_key FROM catalog_albums a WHERE a.id = collection_albums.album_id),
    release_date = (SELECT a.release_date FROM catalog_albums a WHERE a.id = collection_albums.album_id);
CREATE INDEX collection_albums_by_title ON collection_albums (user_id, name_key, cid);
CREATE INDEX collection_albums_by_artist ON collection_albums (user_id, artist_key, name_key, cid);
CREATE INDEX collection_albums_by_genre ON collection_albums (user_id, genre_key, name_key, cid);
CREATE INDEX collection_albums_by_release ON collection_albums (user_id, release_date, cid);
CREATE INDEX collection_albums_by_added ON collection_albums (user_id, added_seq);

ALTER TABLE collection_artists ADD COLUMN name_key TEXT NOT NULL DEFAULT '';
UPDATE collection_artists SET
    name_key = (SELECT a.name_key FROM catalog_artists a WHERE a.id = collection_artists.artist_id);
-- Artist browse lists main artists only.
CREATE INDEX collection_artists_by_name ON collection_artists (user_id, name_key, cid) WHERE main_count > 0;
CREATE INDEX collection_artists_by_added ON collection_artists (user_id, added_seq) WHERE main_count > 0;

-- Albums of a collection by album, for the albums of an artist and the tracks of an album.
CREATE INDEX collection_tracks_by_album_id ON collection_tracks (user_id, album_id, track_number, cid);

-- Full-text search, folding case and accents. `extra` holds the names a match may also come
-- from (a track's artists and album, an album's artists). Row IDs are the catalog rows'.
CREATE VIRTUAL TABLE catalog_tracks_fts USING fts5 (name, extra, tokenize = 'unicode61 remove_diacritics 2');
CREATE VIRTUAL TABLE catalog_albums_fts USING fts5 (name, extra, tokenize = 'unicode61 remove_diacritics 2');
CREATE VIRTUAL TABLE catalog_artists_fts USING fts5 (name, tokenize = 'unicode61 remove_diacritics 2');

INSERT INTO catalog_artists_fts (rowid, name) SELECT id, name FROM catalog_artists;
INSERT INTO catalog_albums_fts (rowid, name, extra)
SELECT al.id, al.name, coalesce((
    SELECT group_concat(ar.name, ' ') FROM catalog_album_artists aa
    JOIN catalog_artists ar ON ar.id = aa.artist_id WHERE aa.album_id = al.id), '')
FROM catalog_albums al;
INSERT INTO catalog_tracks_fts (rowid, name, extra)
SELECT t.id, t.name, (SELECT al.name FROM catalog_albums al WHERE al.id = t.album_id) || ' ' || coalesce((
    SELECT group_concat(ar.name, ' ') FROM catalog_track_artists ta
    JOIN catalog_artists ar ON ar.id = ta.artist_id WHERE ta.track_id = t.id), '')
FROM catalog_tracks t;
