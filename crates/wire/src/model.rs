//! Request and response objects of the Groove REST reference.
//!
//! The serde derives give the JSON form. Member order is the order of the documentation's
//! JSON examples, which is the order Json.NET uses for the service's classes: a class's own
//! members first, then its base class's (so `Id`, `Name`, ... come after `Track`'s own
//! members, and `Error` comes last). Absent members are omitted, never `null`.
//! The XML form, with DataContract ordering, lives in [`crate::xml`].

use crate::duration::Duration;
use crate::error::Error;
use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// Where a piece of content comes from (`Source`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ContentSource {
    Catalog,
    Collection,
}

impl ContentSource {
    pub fn as_str(self) -> &'static str {
        match self {
            ContentSource::Catalog => "Catalog",
            ContentSource::Collection => "Collection",
        }
    }
}

/// `OtherIds`: secondary IDs by namespace, in the order they were given.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OtherIds(pub Vec<(String, String)>);

impl Serialize for OtherIds {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for OtherIds {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = OtherIds;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map of namespace to ID")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<OtherIds, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, String>()? {
                    out.push((k, v));
                }
                Ok(OtherIds(out))
            }
        }
        deserializer.deserialize_map(V)
    }
}

/// The members every piece of content has (`Content` in the SDK). Flattened at the end of
/// each content object, where the documentation's JSON puts them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Content {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// A path of this server (`/content/{id}/image`) is written as a URL on the answer's
    /// origin ([`crate::image_url`]).
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "crate::image_url::serialize")]
    pub image_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub other_ids: Option<OtherIds>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<ContentSource>,
    /// `"Catalog, Collection"`, `"Collection"`, ...
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compatible_sources: Option<String>,
}

/// `json-contributor.md`: an artist and the artist's role.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Contributor {
    pub role: String,
    pub artist: Artist,
}

/// `json-artist.md`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Artist {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub biography: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub genres: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subgenres: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub albums: Option<PaginatedList<Album>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top_tracks: Option<PaginatedList<Track>>,
    #[serde(flatten)]
    pub content: Content,
}

/// `json-album.md`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Album {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub release_date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration: Option<Duration>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub track_count: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_explicit: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub genres: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subgenres: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub album_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subtitle: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub artists: Option<Vec<Contributor>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tracks: Option<PaginatedList<Track>>,
    #[serde(flatten)]
    pub content: Content,
}

/// `json-track.md`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Track {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub release_date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration: Option<Duration>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub track_number: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_explicit: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub genres: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subgenres: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rights: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subtitle: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub album: Option<Box<Album>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub artists: Option<Vec<Contributor>>,
    #[serde(flatten)]
    pub content: Content,
}

/// Values of the `orderBy` parameter (`orderby.md`, the SDK's `OrderBy`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OrderBy {
    AllTimePlayCount,
    ReleaseDate,
    ArtistName,
    AlbumTitle,
    TrackTitle,
    GenreName,
    CollectionDate,
    TrackNumber,
    MostPopular,
}

impl OrderBy {
    pub const ALL: [OrderBy; 9] = [
        OrderBy::AllTimePlayCount,
        OrderBy::ReleaseDate,
        OrderBy::ArtistName,
        OrderBy::AlbumTitle,
        OrderBy::TrackTitle,
        OrderBy::GenreName,
        OrderBy::CollectionDate,
        OrderBy::TrackNumber,
        OrderBy::MostPopular,
    ];

    pub fn name(self) -> &'static str {
        match self {
            OrderBy::AllTimePlayCount => "AllTimePlayCount",
            OrderBy::ReleaseDate => "ReleaseDate",
            OrderBy::ArtistName => "ArtistName",
            OrderBy::AlbumTitle => "AlbumTitle",
            OrderBy::TrackTitle => "TrackTitle",
            OrderBy::GenreName => "GenreName",
            OrderBy::CollectionDate => "CollectionDate",
            OrderBy::TrackNumber => "TrackNumber",
            OrderBy::MostPopular => "MostPopular",
        }
    }

    /// Parses a value without regard to case.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.name().eq_ignore_ascii_case(s))
    }
}

/// `json-paginatedlist.md`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PaginatedList<T> {
    pub items: Vec<T>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub continuation_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_item_count: Option<i64>,
}

impl<T> PaginatedList<T> {
    pub fn new(items: Vec<T>) -> Self {
        PaginatedList { items, continuation_token: None, total_item_count: None }
    }

    /// A page of a longer list: its items, the token of the next page, the list's length if
    /// the call gives it.
    pub fn page(items: Vec<T>, continuation_token: Option<String>, total_item_count: Option<i64>) -> Self {
        PaginatedList { items, continuation_token, total_item_count }
    }
}

/// `json-playlist.md`. Member order as the documentation's JSON shows it (`Description`,
/// `IsReadOnly`, `IsPublished`, `Duration`, `TrackCount`, `UserIsOwner`, ... before the
/// content members). `IsPublished` follows `IsReadOnly`, as in the catalog playlists of
/// `uri-content-lookup.md` and `uri-search-content.md`; no example shows it beside
/// `Duration`, `TrackCount` or `UserIsOwner`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Playlist {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_read_only: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_published: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration: Option<Duration>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub track_count: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_is_owner: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub collection_state_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tracks: Option<PaginatedList<Track>>,
    #[serde(flatten)]
    pub content: Content,
}

/// `json-contentresponse.md`: the answer of browse, lookup and search.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ContentResponse {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub artists: Option<PaginatedList<Artist>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub albums: Option<PaginatedList<Album>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tracks: Option<PaginatedList<Track>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub playlists: Option<PaginatedList<Playlist>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub culture: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<Error>,
}

/// `json-trackactionrequest.md`: the body of `collection/add` and `collection/delete`.
///
/// `CollectionStateToken` is not in the original object; it is accepted here as on
/// `PlaylistAction`, so that a client can make a track write conditional on the state it
/// last saw (`409 COLLECTION-CONCURRENT-UPDATE` otherwise).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct TrackActionRequest {
    #[serde(rename = "TrackIds", alias = "trackIds", alias = "trackids", default)]
    pub track_ids: Option<Vec<String>>,
    #[serde(
        rename = "CollectionStateToken",
        alias = "collectionStateToken",
        alias = "collectionstatetoken",
        default
    )]
    pub collection_state_token: Option<String>,
}

/// `json-trackaction.md`: an action on one track of a playlist.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct TrackAction {
    #[serde(rename = "Id", alias = "id", default)]
    pub id: Option<String>,
    #[serde(rename = "Action", alias = "action", default)]
    pub action: Option<String>,
}

/// `json-playlistaction.md`: the body of playlist create, update and delete.
/// `IsReadOnly` is accepted too (`uri-update-playlist.md` speaks of making a playlist
/// read-only).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct PlaylistAction {
    #[serde(rename = "Id", alias = "id", default)]
    pub id: Option<String>,
    #[serde(
        rename = "CollectionStateToken",
        alias = "collectionStateToken",
        alias = "collectionstatetoken",
        default
    )]
    pub collection_state_token: Option<String>,
    #[serde(rename = "Name", alias = "name", default)]
    pub name: Option<String>,
    #[serde(rename = "IsPublished", alias = "isPublished", alias = "ispublished", default)]
    pub is_published: Option<bool>,
    #[serde(rename = "IsReadOnly", alias = "isReadOnly", alias = "isreadonly", default)]
    pub is_read_only: Option<bool>,
    #[serde(
        rename = "InsertBeforeTrackId",
        alias = "insertBeforeTrackId",
        alias = "insertbeforetrackid",
        default
    )]
    pub insert_before_track_id: Option<String>,
    #[serde(rename = "TrackActions", alias = "trackActions", alias = "trackactions", default)]
    pub track_actions: Option<Vec<TrackAction>>,
}

/// `json-playlistactionresult.md`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PlaylistActionResult {
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_read_only: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_published: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub track_action_results: Option<Vec<TrackActionResult>>,
}

/// `json-playlistactionresponse.md`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PlaylistActionResponse {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub playlist_action_result: Option<PlaylistActionResult>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<Error>,
}

/// `json-trackactionresult.md`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TrackActionResult {
    pub input_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<Error>,
}

/// `json-trackactionresponse.md`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TrackActionResponse {
    pub track_action_results: Vec<TrackActionResult>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<Error>,
}

#[expect(clippy::trivially_copy_pass_by_ref, reason = "serde's skip_serializing_if passes a reference")]
fn is_zero(n: &i32) -> bool {
    *n == 0
}

/// `json-collectionstate.md`. Counts of zero are omitted, as the service's
/// `EmitDefaultValue = false` members are (`json-userprofileresponse.md` sample).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CollectionState {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    #[serde(skip_serializing_if = "is_zero")]
    pub playlist_count: i32,
    #[serde(skip_serializing_if = "is_zero")]
    pub remaining_playlist_count: i32,
    #[serde(skip_serializing_if = "is_zero")]
    pub track_count: i32,
    #[serde(skip_serializing_if = "is_zero")]
    pub remaining_track_count: i32,
}

/// `json-userprofileresponse.md`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct UserProfileResponse {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub has_subscription: Option<bool>,
    /// Always present (`EmitDefaultValue = true` in the SDK).
    pub is_subscription_available_for_purchase: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub culture: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub collection: Option<CollectionState>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<Error>,
}

/// The body of the OAuth 2.0 token endpoint (`obtaining-a-developer-access-token.md`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TokenResponse {
    pub token_type: &'static str,
    pub access_token: String,
    pub expires_in: u64,
}

/// An OAuth 2.0 error body (RFC 6749 section 5.2), for the token endpoint only.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OAuthError {
    pub error: &'static str,
    pub error_description: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{ErrorCode, ErrorStyle};

    #[test]
    fn track_action_response_json_is_the_seed_example() {
        // 000_b9e4e952c1eb4134.txt, compacted.
        let resp = TrackActionResponse {
            track_action_results: vec![
                TrackActionResult {
                    input_id: "music.9BB2C5C5-455C-4C15-827C-F9BFD759A458".into(),
                    id: None,
                    error: Some(ErrorCode::CollectionInvalidId.to_wire(ErrorStyle::Hyphen)),
                },
                TrackActionResult {
                    input_id: "music.AQQfjl2zcVUd602kG1MvCy4e-Ae-QZkAAQ".into(),
                    id: None,
                    error: None,
                },
            ],
            error: Some(ErrorCode::CollectionSomeOperationsFailed.to_wire(ErrorStyle::Hyphen)),
        };
        let expected = r#"{"TrackActionResults":[{"InputId":"music.9BB2C5C5-455C-4C15-827C-F9BFD759A458","Error":{"ErrorCode":"COLLECTION-INVALID-ID","Description":"Invalid collection id for this operation"}},{"InputId":"music.AQQfjl2zcVUd602kG1MvCy4e-Ae-QZkAAQ"}],"Error":{"ErrorCode":"COLLECTION-SOME-OPERATIONS-FAILED","Description":"Some of the operations failed"}}"#;
        assert_eq!(serde_json::to_string(&resp).unwrap(), expected);
    }

    #[test]
    fn track_json_round_trips_the_json_track_md_sample_in_order() {
        // json-track.md's sample, compacted: derived members first, then Content's.
        let sample = r#"{"ReleaseDate":"2013-05-09T00:00:00Z","Duration":"00:06:09","TrackNumber":8,"IsExplicit":false,"Genres":["Pop"],"Subgenres":["Contemporary Pop"],"Rights":["Purchase","Stream","FreeStream"],"Subtitle":"feat. Pharrell Williams","Album":{"Id":"music.B13EB907-0100-11DB-89CA-0019B92A3933","Name":"Random Access Memories","ImageUrl":"https://musicimage.xboxlive.com/content/music.B13EB907-0100-11DB-89CA-0019B92A3933/image?locale=en-US","Link":"https://music.microsoft.com/Album/B13EB907-0100-11DB-89CA-0019B92A3933?partnerID=AwesomePartner","Source":"Catalog","CompatibleSources":"Catalog, Collection"},"Artists":[{"Role":"Main","Artist":{"Id":"music.C61C0000-0200-11DB-89CA-0019B92A3933","Name":"Daft Punk","ImageUrl":"https://musicimage.xboxlive.com/content/music.C61C0000-0200-11DB-89CA-0019B92A3933/image?locale=en-US","Link":"https://music.microsoft.com/Artist/C61C0000-0200-11DB-89CA-0019B92A3933?partnerID=AwesomePartner","Source":"Catalog","CompatibleSources":"Catalog, Collection"}}],"Id":"music.A83EB907-0100-11DB-89CA-0019B92A3933","Name":"Get Lucky","ImageUrl":"https://musicimage.xboxlive.com/content/music.A83EB907-0100-11DB-89CA-0019B92A3933/image?locale=en-US","Link":"https://music.microsoft.com/Track/A83EB907-0100-11DB-89CA-0019B92A3933?partnerID=AwesomePartner","OtherIds":{"music.amg":"T 29381286"},"Source":"Catalog","CompatibleSources":"Catalog, Collection"}"#;
        let track: Track = serde_json::from_str(sample).unwrap();
        assert_eq!(track.duration, Some(Duration::from_secs(369)));
        assert_eq!(serde_json::to_string(&track).unwrap(), sample);
    }

    #[test]
    fn playlist_members_in_the_documented_order() {
        // uri-browse-user-collection-playlist.md, "Browse playlists", compacted.
        let browsed = Playlist {
            track_count: Some(2),
            user_is_owner: Some(true),
            content: Content {
                id: Some("music.AQMhT-EZaoD-AHqGpBl9GuHQ".into()),
                name: Some("Playlist1".into()),
                link: Some("https://music.microsoft.com/Playlist/19e14f21-806a-00fe-7a86-a4197d1ae1d0?partnerID=AwesomePartner".into()),
                source: Some(ContentSource::Collection),
                ..Content::default()
            },
            ..Playlist::default()
        };
        assert_eq!(
            serde_json::to_string(&browsed).unwrap(),
            r#"{"TrackCount":2,"UserIsOwner":true,"Id":"music.AQMhT-EZaoD-AHqGpBl9GuHQ","Name":"Playlist1","Link":"https://music.microsoft.com/Playlist/19e14f21-806a-00fe-7a86-a4197d1ae1d0?partnerID=AwesomePartner","Source":"Collection"}"#
        );
        // uri-content-lookup.md, "Catalog Playlist lookup": IsPublished after IsReadOnly.
        let all = Playlist {
            description: Some("d".into()),
            is_read_only: Some(true),
            is_published: Some(true),
            track_count: Some(1),
            user_is_owner: Some(true),
            ..Playlist::default()
        };
        assert_eq!(
            serde_json::to_string(&all).unwrap(),
            r#"{"Description":"d","IsReadOnly":true,"IsPublished":true,"TrackCount":1,"UserIsOwner":true}"#
        );
    }

    #[test]
    fn track_action_request_accepts_missing_null_and_other_casing() {
        let r: TrackActionRequest = serde_json::from_str("{}").unwrap();
        assert_eq!(r.track_ids, None);
        let r: TrackActionRequest = serde_json::from_str(r#"{"TrackIds":null}"#).unwrap();
        assert_eq!(r.track_ids, None);
        let r: TrackActionRequest = serde_json::from_str(r#"{"trackIds":["a"],"Other":{"x":[1]}}"#).unwrap();
        assert_eq!(r.track_ids, Some(vec!["a".to_owned()]));
        assert!(serde_json::from_str::<TrackActionRequest>(r#"{"TrackIds":[1]}"#).is_err());
    }
}
