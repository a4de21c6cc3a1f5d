-- The public identifiers of catalog content that lookup accepts (namespace.md):
-- `music.isrc` and `music.icpn` values of the items' OtherIds, canonical
-- (ExternalNamespace::canonical: ISRC upper case without hyphens, ICPN as 14 digits).
-- `gid` is a catalog track's or album's GUID.
CREATE TABLE catalog_external_ids (
    namespace TEXT NOT NULL,
    value     TEXT NOT NULL,
    gid       BLOB NOT NULL,
    PRIMARY KEY (namespace, value, gid)
) WITHOUT ROWID;
CREATE INDEX catalog_external_ids_by_gid ON catalog_external_ids (gid);

-- The catalog imported before this table existed.
CREATE TEMP TABLE external_ids_found AS
    SELECT lower(j.key) AS namespace, j.value AS raw, c.gid AS gid
    FROM (SELECT gid, doc FROM catalog_tracks UNION ALL SELECT gid, doc FROM catalog_albums) AS c,
         json_each(c.doc, '$.OtherIds') AS j
    WHERE lower(j.key) IN ('music.isrc', 'music.icpn') AND j.type = 'text';
INSERT OR IGNORE INTO catalog_external_ids (namespace, value, gid)
    SELECT namespace, upper(replace(raw, '-', '')), gid FROM external_ids_found
    WHERE namespace = 'music.isrc'
      AND upper(replace(raw, '-', '')) GLOB '[A-Z][A-Z][A-Z0-9][A-Z0-9][A-Z0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]';
INSERT OR IGNORE INTO catalog_external_ids (namespace, value, gid)
    SELECT namespace, substr('00000000000000' || raw, -14), gid FROM external_ids_found
    WHERE namespace = 'music.icpn' AND length(raw) BETWEEN 8 AND 14 AND raw NOT GLOB '*[^0-9]*';
DROP TABLE external_ids_found;
