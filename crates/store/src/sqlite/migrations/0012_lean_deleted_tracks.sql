-- Written to run again harmlessly (IF EXISTS).
-- A delete that keeps its tracks for restore writes each into `deleted_tracks`; every index of
-- that table is one more B-tree the delete changes. Two of them served rare operations and
-- cost every delete: the purge now walks each user's deletions by date
-- (`deleted_tracks_by_date`), and a playlist's restore reads the tracks deleted since the
-- playlist once, by date, instead of looking each entry up by track.
DROP INDEX IF EXISTS deleted_tracks_expiry;
DROP INDEX IF EXISTS deleted_tracks_by_track;
