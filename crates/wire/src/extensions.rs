//! Wire objects of the project's own extensions (SPEC §6), in the conventions of the Groove
//! surface: PascalCase JSON, and XML where the collection API has it (members of a derived
//! type after its base type's, as `DataContractSerializer` writes them).

use crate::error::Error;
use crate::model::{Album, Artist, PaginatedList, Playlist, Track};
use crate::xml::{XmlWrite, XmlWriter};
use serde::{Deserialize, Serialize};

/// A time in milliseconds since the epoch as the API writes it: RFC 3339 in UTC, to the
/// millisecond (`2026-11-29T15:04:05.123Z`).
pub fn timestamp(millis: i64) -> String {
    let nanos = i128::from(millis) * 1_000_000;
    time::OffsetDateTime::from_unix_timestamp_nanos(nanos)
        .ok()
        .and_then(|t| {
            t.format(time::macros::format_description!(
                "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
            ))
            .ok()
        })
        .unwrap_or_default()
}

/// A deleted track: the track as browse showed it, and when it was deleted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeletedTrack {
    #[serde(flatten)]
    pub track: Track,
    pub deleted_date: String,
}

/// A deleted playlist: the playlist as browse showed it, and when it was deleted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeletedPlaylist {
    #[serde(flatten)]
    pub playlist: Playlist,
    pub deleted_date: String,
}

/// `collection/deleted/{tracks|playlists}/browse`: one list, as `ContentResponse` has it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeletedResponse {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub playlists: Option<PaginatedList<DeletedPlaylist>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tracks: Option<PaginatedList<DeletedTrack>>,
}

/// The body of `collection/restore`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct RestoreRequest {
    #[serde(default)]
    pub track_ids: Option<Vec<String>>,
    #[serde(default)]
    pub playlist_ids: Option<Vec<String>>,
    #[serde(default)]
    pub collection_state_token: Option<String>,
}

/// One item of a restore: a `TrackActionResult`, with, for a playlist, how many of its
/// entries were left out because their track was deleted since.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RestoreActionResult {
    pub input_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<Error>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped_track_count: Option<u32>,
}

/// The answer of `collection/restore`, in the shape of `TrackActionResponse`: the tracks'
/// results, then the playlists', each in input order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RestoreResponse {
    pub track_action_results: Vec<RestoreActionResult>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<Error>,
}

/// An entry of a playlist in the change feed: its ID (what playlist updates take) and the
/// catalog ID of its track.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct FeedEntry {
    pub id: String,
    pub track_id: String,
}

/// A playlist in the change feed: as playlist browse shows it, with its entries in order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct FeedPlaylist {
    #[serde(flatten)]
    pub playlist: Playlist,
    pub entries: Vec<FeedEntry>,
}

/// An item that left the collection: its ID and kind (`Track`, `Album`, `Artist`,
/// `Playlist`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Removed {
    pub id: String,
    pub kind: String,
}

/// One change of the feed: exactly one member, the item as browse shows it now, or its
/// removal.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct FeedChange {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub track: Option<Track>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub album: Option<Album>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub artist: Option<Artist>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub playlist: Option<FeedPlaylist>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub removed: Option<Removed>,
}

/// `GET /1/user/{namespace}/collection/changes`: the changes after the position the
/// request's token names, oldest first, the token to ask from next, and whether more are
/// waiting now.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ChangesResponse {
    pub changes: Vec<FeedChange>,
    pub token: String,
    pub has_more: bool,
}

impl XmlWrite for FeedEntry {
    const TYPE_NAME: &'static str = "Entry";
    fn write_members(&self, w: &mut XmlWriter) {
        w.text("Id", &self.id);
        w.text("TrackId", &self.track_id);
    }
}

impl XmlWrite for FeedPlaylist {
    const TYPE_NAME: &'static str = "Playlist";
    fn write_members(&self, w: &mut XmlWriter) {
        self.playlist.write_members(w);
        w.list("Entries", &self.entries);
    }
}

impl XmlWrite for Removed {
    const TYPE_NAME: &'static str = "Removed";
    fn write_members(&self, w: &mut XmlWriter) {
        w.text("Id", &self.id);
        w.text("Kind", &self.kind);
    }
}

impl XmlWrite for FeedChange {
    const TYPE_NAME: &'static str = "Change";
    fn write_members(&self, w: &mut XmlWriter) {
        w.opt_element("Album", self.album.as_ref());
        w.opt_element("Artist", self.artist.as_ref());
        w.opt_element("Playlist", self.playlist.as_ref());
        w.opt_element("Removed", self.removed.as_ref());
        w.opt_element("Track", self.track.as_ref());
    }
}

impl XmlWrite for ChangesResponse {
    const TYPE_NAME: &'static str = "ChangesResponse";
    fn write_members(&self, w: &mut XmlWriter) {
        w.list("Changes", &self.changes);
        w.text("HasMore", if self.has_more { "true" } else { "false" });
        w.text("Token", &self.token);
    }
}

impl XmlWrite for DeletedTrack {
    const TYPE_NAME: &'static str = "Track";
    fn write_members(&self, w: &mut XmlWriter) {
        self.track.write_members(w);
        w.text("DeletedDate", &self.deleted_date);
    }
}

impl XmlWrite for DeletedPlaylist {
    const TYPE_NAME: &'static str = "Playlist";
    fn write_members(&self, w: &mut XmlWriter) {
        self.playlist.write_members(w);
        w.text("DeletedDate", &self.deleted_date);
    }
}

impl XmlWrite for DeletedResponse {
    const TYPE_NAME: &'static str = "ContentResponse";
    fn write_members(&self, w: &mut XmlWriter) {
        w.opt_element("Playlists", self.playlists.as_ref());
        w.opt_element("Tracks", self.tracks.as_ref());
    }
}

impl XmlWrite for RestoreActionResult {
    const TYPE_NAME: &'static str = "TrackActionResult";
    fn write_members(&self, w: &mut XmlWriter) {
        w.opt_element("Error", self.error.as_ref());
        w.opt_text("Id", self.id.as_deref());
        w.text("InputId", &self.input_id);
        w.opt_display("SkippedTrackCount", self.skipped_track_count);
    }
}

impl XmlWrite for RestoreResponse {
    const TYPE_NAME: &'static str = "TrackActionResponse";
    fn write_members(&self, w: &mut XmlWriter) {
        w.opt_element("Error", self.error.as_ref());
        w.list("TrackActionResults", &self.track_action_results);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_rfc_3339_in_utc_to_the_millisecond() {
        assert_eq!(timestamp(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(timestamp(1_795_964_645_123), "2026-11-29T15:04:05.123Z");
    }

    #[test]
    fn a_deleted_track_is_a_track_with_its_deletion_date_last() {
        let item = DeletedTrack { track: Track::default(), deleted_date: timestamp(0) };
        let json = serde_json::to_string(&item).unwrap();
        assert!(json.contains("\"DeletedDate\":\"1970-01-01T00:00:00.000Z\""), "{json}");
        let xml = crate::xml::to_document("Track", &item);
        assert!(xml.ends_with("<DeletedDate>1970-01-01T00:00:00.000Z</DeletedDate></Track>"), "{xml}");
    }
}
