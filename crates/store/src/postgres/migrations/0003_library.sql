-- The files of the operator's music folders (`library scan`, `serve --library`): what each
-- file was when last read (size, modification time), the catalog track it describes, and
-- whether it is still there. A rescan reads again only files whose size or time changed.
CREATE TABLE IF NOT EXISTS library_files (
    path         TEXT COLLATE "C" PRIMARY KEY,
    size         BIGINT NOT NULL,
    mtime_ns     BIGINT NOT NULL,
    track_gid    BYTEA NOT NULL,
    content_type TEXT NOT NULL,
    present      BOOLEAN NOT NULL,
    art          TEXT
);
CREATE INDEX IF NOT EXISTS library_files_by_track ON library_files (track_gid, present);
