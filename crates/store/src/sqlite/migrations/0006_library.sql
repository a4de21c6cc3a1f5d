-- The files of the operator's music folders (`library scan`, `serve --library`): what each
-- file was when last read (size, modification time), the catalog track it describes, and
-- whether it is still there. A rescan reads again only files whose size or time changed.
CREATE TABLE IF NOT EXISTS library_files (
    path         TEXT PRIMARY KEY,
    size         INTEGER NOT NULL,
    mtime_ns     INTEGER NOT NULL,
    track_gid    BLOB NOT NULL,
    content_type TEXT NOT NULL,
    present      INTEGER NOT NULL,
    art          TEXT
);
CREATE INDEX IF NOT EXISTS library_files_by_track ON library_files (track_gid, present);
