-- The public identifiers of catalog content that lookup accepts (namespace.md):
-- `music.isrc` and `music.icpn` values of the items' OtherIds, canonical
-- (ExternalNamespace::canonical: ISRC upper case without hyphens, ICPN as 14 digits).
-- `gid` is a catalog track's or album's GUID.
CREATE TABLE catalog_external_ids (
    namespace TEXT COLLATE "C" NOT NULL,
    value     TEXT COLLATE "C" NOT NULL,
    gid       BYTEA NOT NULL,
    PRIMARY KEY (namespace, value, gid)
);
CREATE INDEX catalog_external_ids_by_gid ON catalog_external_ids (gid);

-- The catalog imported before this table existed.
INSERT INTO catalog_external_ids (namespace, value, gid)
SELECT DISTINCT namespace, value, gid FROM (
    SELECT lower(j.key) AS namespace,
           CASE lower(j.key)
               WHEN 'music.isrc' THEN upper(replace(j.value, '-', ''))
               ELSE lpad(j.value, 14, '0')
           END AS value,
           c.gid,
           j.value AS raw
    FROM (SELECT gid, doc FROM catalog_tracks UNION ALL SELECT gid, doc FROM catalog_albums) AS c,
         jsonb_each_text(CASE jsonb_typeof(c.doc::jsonb -> 'OtherIds')
                             WHEN 'object' THEN c.doc::jsonb -> 'OtherIds'
                             ELSE '{}'::jsonb
                         END) AS j
) AS found
WHERE (namespace = 'music.isrc' AND value ~ '^[A-Z]{2}[A-Z0-9]{3}[0-9]{7}$')
   OR (namespace = 'music.icpn' AND raw ~ '^[0-9]{8,14}$')
ON CONFLICT DO NOTHING;
