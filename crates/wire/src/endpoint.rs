//! Every operation of the Groove REST surface (`overview.md`), served or not.
//!
//! Literal path segments (`content`, `collection`, `Delete`, `browse`, ...) and the
//! namespace are matched without regard to case, as real clients send them either way (the
//! .NET SDK writes `collection/Add`). Segments that carry IDs are kept exactly as sent,
//! percent-decoded: collection IDs are case-sensitive.

use std::borrow::Cow;

use crate::error::ErrorCode;
use crate::ids::NAMESPACE;

/// HTTP methods the surface uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
}

/// Who must be authenticated for an operation (`user-authentication.md`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthClass {
    /// A user token in `Authorization: Bearer`.
    User,
    /// A user token, or an application (developer) token in `Authorization: Bearer` or in
    /// the `accessToken` query parameter.
    UserOrApp,
}

/// Operations of the original service that a self-hosted collection server cannot offer
/// (they need audio rights or editorial data). Each answers its documented error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotServed {
    Stream,
    Preview,
    Spotlight,
    NewReleases,
    Genres,
    Moods,
    Activities,
    RadioCreate,
    RadioNext,
    RadioRecentlyPlayed,
}

impl NotServed {
    pub fn error(self) -> ErrorCode {
        match self {
            NotServed::Stream | NotServed::Preview => ErrorCode::DeliveryUnavailableContent,
            NotServed::Spotlight | NotServed::NewReleases => ErrorCode::DiscoveryNoResult,
            NotServed::Genres | NotServed::Moods | NotServed::Activities => ErrorCode::CatalogNoResult,
            NotServed::RadioCreate | NotServed::RadioNext | NotServed::RadioRecentlyPlayed => {
                ErrorCode::UnauthorizedApiMethod
            }
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            NotServed::Stream | NotServed::Preview => "This server does not stream audio",
            NotServed::Spotlight | NotServed::NewReleases => "This server has no editorial content",
            NotServed::Genres | NotServed::Moods | NotServed::Activities => {
                "This server has no genre, mood or activity lists"
            }
            NotServed::RadioCreate | NotServed::RadioNext | NotServed::RadioRecentlyPlayed => {
                "This server does not offer radio"
            }
        }
    }
}

/// One operation of the surface, with the parts of its path that vary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Endpoint {
    /// `POST /1/content/{namespace}/collection/add` (`uri-add-track-collection.md`).
    CollectionAdd,
    /// `POST /1/content/{namespace}/collection/delete` (`uri-delete-track-collection.md`).
    CollectionDelete,
    /// `GET /1/content/{namespace}/collection/{type}/browse`
    /// (`uri-browse-user-collection-playlist.md`).
    CollectionBrowse { item_type: String },
    /// `POST /1/content/{namespace}/collection/playlists/create` (`uri-create-playlist.md`).
    PlaylistCreate,
    /// `POST /1/content/{namespace}/collection/playlists/update` (`uri-update-playlist.md`).
    PlaylistUpdate,
    /// `POST /1/content/{namespace}/collection/playlists/delete` (`uri-delete-playlist.md`).
    PlaylistDelete,
    /// `GET /1/content/{ids}/lookup` (`uri-content-lookup.md`).
    Lookup { ids: String },
    /// `GET /1/content/{id}/{source}/{browseType}/{extra}/browse` (`uri-browse-sub-items.md`).
    SubBrowse { id: String, source: String, browse_type: String, extra: String },
    /// `GET /1/content/{namespace}/search` (`uri-search-content.md`).
    Search,
    /// `GET /1/content/{namespace}/catalog/{type}/browse` (`uri-browse-catalog.md`).
    CatalogBrowse { item_type: String },
    /// `GET /1/user/{namespace}/profile` (`uri-access-user-profile.md`). With an application
    /// token only, it tells the culture (the documentation's "Check if your region is
    /// supported" example).
    UserProfile,
    /// An operation of the original service that this server does not offer.
    NotServed(NotServed),
    // --- the project's own extensions (SPEC §6) ---
    /// `GET /1/content/{namespace}/collection/deleted/{type}/browse`: deleted tracks or
    /// playlists still restorable.
    DeletedBrowse { item_type: String },
    /// `POST /1/content/{namespace}/collection/restore`.
    CollectionRestore,
    /// `GET /1/user/{namespace}/collection/changes`: the change feed.
    CollectionChanges,
    /// `GET /1/content/{id}/stream` (`uri-get-stream.md`) and, with `preview`,
    /// `GET /1/content/{id}/preview` (`uri-get-preview.md`): a library track's file.
    Stream { id: String, preview: bool },
}

/// Why a request does not name an operation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RouteError {
    /// No operation has this path.
    UnknownPath,
    /// The path names an operation, but with another method.
    WrongMethod { expected: Method },
    /// The path names an operation in a namespace other than `music`.
    UnknownNamespace(String),
}

impl Endpoint {
    /// A stable name for logs and metrics.
    pub fn name(&self) -> &'static str {
        match self {
            Endpoint::CollectionAdd => "collection_add",
            Endpoint::CollectionDelete => "collection_delete",
            Endpoint::CollectionBrowse { .. } => "collection_browse",
            Endpoint::PlaylistCreate => "playlist_create",
            Endpoint::PlaylistUpdate => "playlist_update",
            Endpoint::PlaylistDelete => "playlist_delete",
            Endpoint::Lookup { .. } => "lookup",
            Endpoint::SubBrowse { .. } => "sub_browse",
            Endpoint::Search => "search",
            Endpoint::CatalogBrowse { .. } => "catalog_browse",
            Endpoint::UserProfile => "user_profile",
            Endpoint::DeletedBrowse { .. } => "deleted_browse",
            Endpoint::CollectionRestore => "collection_restore",
            Endpoint::CollectionChanges => "collection_changes",
            Endpoint::Stream { preview: false, .. } => "stream",
            Endpoint::Stream { preview: true, .. } => "preview",
            Endpoint::NotServed(n) => match n {
                NotServed::Stream => "stream",
                NotServed::Preview => "preview",
                NotServed::Spotlight => "spotlight",
                NotServed::NewReleases => "new_releases",
                NotServed::Genres => "genres",
                NotServed::Moods => "moods",
                NotServed::Activities => "activities",
                NotServed::RadioCreate => "radio_create",
                NotServed::RadioNext => "radio_next",
                NotServed::RadioRecentlyPlayed => "radio_recently_played",
            },
        }
    }

    pub fn method(&self) -> Method {
        match self {
            Endpoint::CollectionAdd
            | Endpoint::CollectionDelete
            | Endpoint::PlaylistCreate
            | Endpoint::PlaylistUpdate
            | Endpoint::PlaylistDelete
            | Endpoint::CollectionRestore
            | Endpoint::NotServed(NotServed::RadioCreate) => Method::Post,
            _ => Method::Get,
        }
    }

    pub fn auth(&self) -> AuthClass {
        match self {
            Endpoint::CollectionAdd
            | Endpoint::CollectionDelete
            | Endpoint::CollectionBrowse { .. }
            | Endpoint::PlaylistCreate
            | Endpoint::PlaylistUpdate
            | Endpoint::PlaylistDelete
            | Endpoint::DeletedBrowse { .. }
            | Endpoint::CollectionRestore
            | Endpoint::CollectionChanges
            | Endpoint::Stream { preview: false, .. }
            | Endpoint::NotServed(
                NotServed::Stream
                | NotServed::RadioCreate
                | NotServed::RadioNext
                | NotServed::RadioRecentlyPlayed,
            ) => AuthClass::User,
            _ => AuthClass::UserOrApp,
        }
    }

    /// The root element of this operation's XML response, errors included.
    pub fn response_root(&self) -> &'static str {
        match self {
            Endpoint::CollectionAdd | Endpoint::CollectionDelete | Endpoint::CollectionRestore => {
                "TrackActionResponse"
            }
            Endpoint::PlaylistCreate | Endpoint::PlaylistUpdate | Endpoint::PlaylistDelete => {
                "PlaylistActionResponse"
            }
            Endpoint::UserProfile => "UserProfileResponse",
            Endpoint::CollectionChanges => "ChangesResponse",
            Endpoint::NotServed(NotServed::Stream | NotServed::Preview) | Endpoint::Stream { .. } => {
                "StreamResponse"
            }
            Endpoint::NotServed(NotServed::RadioCreate | NotServed::RadioNext) => "RadioResponse",
            _ => "ContentResponse",
        }
    }

    /// Names the operation of `method` and `path` (the path without its query string).
    pub fn parse(method: Method, path: &str) -> Result<Endpoint, RouteError> {
        let raw: Vec<&str> = path.trim_start_matches('/').trim_end_matches('/').split('/').collect();
        let segs: Vec<Cow<'_, str>> =
            raw.iter().map(|s| percent_encoding::percent_decode_str(s).decode_utf8_lossy()).collect();
        let is = |i: usize, lit: &str| segs.get(i).is_some_and(|s| s.eq_ignore_ascii_case(lit));
        let endpoint = if segs.len() >= 3 && is(1, "content") && (is(0, "1") || is(0, "3")) {
            Self::parse_content(&segs, is(0, "3"))?
        } else if segs.len() == 4 && is(0, "1") && is(1, "user") && is(3, "profile") {
            check_namespace(&segs[2])?;
            Endpoint::UserProfile
        } else if segs.len() == 5 && is(0, "1") && is(1, "user") && is(3, "collection") && is(4, "changes") {
            check_namespace(&segs[2])?;
            Endpoint::CollectionChanges
        } else {
            return Err(RouteError::UnknownPath);
        };
        if endpoint.method() == method {
            Ok(endpoint)
        } else {
            Err(RouteError::WrongMethod { expected: endpoint.method() })
        }
    }

    fn parse_content(segs: &[Cow<'_, str>], version3: bool) -> Result<Endpoint, RouteError> {
        let lower: Vec<String> = segs.iter().map(|s| s.to_ascii_lowercase()).collect();
        let l: Vec<&str> = lower.iter().map(String::as_str).collect();
        let owned = |i: usize| segs[i].clone().into_owned();
        if version3 {
            // The SDK asks for genres at version 3; nothing else exists there.
            return match l[..] {
                [_, _, ns, "catalog", "genres"] => with_namespace(ns, Endpoint::NotServed(NotServed::Genres)),
                _ => Err(RouteError::UnknownPath),
            };
        }
        match l[..] {
            [_, _, _, "lookup"] => Ok(Endpoint::Lookup { ids: owned(2) }),
            [_, _, _, "stream"] => Ok(Endpoint::Stream { id: owned(2), preview: false }),
            [_, _, _, "preview"] => Ok(Endpoint::Stream { id: owned(2), preview: true }),
            [_, _, ns, "search"] => with_namespace(ns, Endpoint::Search),
            [_, _, ns, "spotlight"] => with_namespace(ns, Endpoint::NotServed(NotServed::Spotlight)),
            [_, _, ns, "newreleases"] => with_namespace(ns, Endpoint::NotServed(NotServed::NewReleases)),
            [_, _, ns, "collection", "add"] => with_namespace(ns, Endpoint::CollectionAdd),
            [_, _, ns, "collection", "delete"] => with_namespace(ns, Endpoint::CollectionDelete),
            [_, _, ns, "collection", "playlists", "create"] => with_namespace(ns, Endpoint::PlaylistCreate),
            [_, _, ns, "collection", "playlists", "update"] => with_namespace(ns, Endpoint::PlaylistUpdate),
            [_, _, ns, "collection", "playlists", "delete"] => with_namespace(ns, Endpoint::PlaylistDelete),
            [_, _, ns, "collection", "restore"] => with_namespace(ns, Endpoint::CollectionRestore),
            [_, _, ns, "collection", "deleted", item_type, "browse"] => {
                with_namespace(ns, Endpoint::DeletedBrowse { item_type: item_type.to_owned() })
            }
            [_, _, ns, "collection", item_type, "browse"] => {
                with_namespace(ns, Endpoint::CollectionBrowse { item_type: item_type.to_owned() })
            }
            [_, _, ns, "catalog", "genres"] => with_namespace(ns, Endpoint::NotServed(NotServed::Genres)),
            [_, _, ns, "catalog", "moods"] => with_namespace(ns, Endpoint::NotServed(NotServed::Moods)),
            [_, _, ns, "catalog", "activities"] => {
                with_namespace(ns, Endpoint::NotServed(NotServed::Activities))
            }
            [_, _, ns, "catalog", item_type, "browse"] => {
                with_namespace(ns, Endpoint::CatalogBrowse { item_type: item_type.to_owned() })
            }
            [_, _, ns, "radio", "create"] => with_namespace(ns, Endpoint::NotServed(NotServed::RadioCreate)),
            [_, _, ns, "radio", "recentlyplayed"] => {
                with_namespace(ns, Endpoint::NotServed(NotServed::RadioRecentlyPlayed))
            }
            [_, _, ns, "radio", _, "next"] => with_namespace(ns, Endpoint::NotServed(NotServed::RadioNext)),
            [_, _, _, _, _, _, "browse"] => Ok(Endpoint::SubBrowse {
                id: owned(2),
                source: owned(3),
                browse_type: owned(4),
                extra: owned(5),
            }),
            _ => Err(RouteError::UnknownPath),
        }
    }
}

fn check_namespace(ns: &str) -> Result<(), RouteError> {
    if ns.eq_ignore_ascii_case(NAMESPACE) { Ok(()) } else { Err(RouteError::UnknownNamespace(ns.to_owned())) }
}

fn with_namespace(ns: &str, endpoint: Endpoint) -> Result<Endpoint, RouteError> {
    check_namespace(ns).map(|()| endpoint)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_segments_ignore_case() {
        for path in [
            "/1/content/music/collection/delete",
            "/1/Content/Music/Collection/Delete",
            "/1/CONTENT/music/collection/DELETE/",
        ] {
            assert_eq!(Endpoint::parse(Method::Post, path), Ok(Endpoint::CollectionDelete), "{path}");
        }
        assert_eq!(
            Endpoint::parse(Method::Post, "/1/content/music/collection/Add"),
            Ok(Endpoint::CollectionAdd)
        );
    }

    #[test]
    fn id_segments_keep_their_case_and_are_percent_decoded() {
        assert_eq!(
            Endpoint::parse(Method::Get, "/1/content/music.AQQfab%2Bmusic.XY/Lookup"),
            Ok(Endpoint::Lookup { ids: "music.AQQfab+music.XY".into() })
        );
        assert_eq!(
            Endpoint::parse(Method::Get, "/1/content/music.AQEPx/collection/Album/Tracks/browse"),
            Ok(Endpoint::SubBrowse {
                id: "music.AQEPx".into(),
                source: "collection".into(),
                browse_type: "Album".into(),
                extra: "Tracks".into()
            })
        );
    }

    #[test]
    fn deleted_browse_and_restore_are_named() {
        assert_eq!(
            Endpoint::parse(Method::Get, "/1/content/music/collection/deleted/tracks/browse"),
            Ok(Endpoint::DeletedBrowse { item_type: "tracks".into() })
        );
        assert_eq!(
            Endpoint::parse(Method::Post, "/1/content/music/collection/Restore"),
            Ok(Endpoint::CollectionRestore)
        );
        assert_eq!(
            Endpoint::parse(Method::Get, "/1/user/music/collection/changes"),
            Ok(Endpoint::CollectionChanges)
        );
        assert_eq!(
            Endpoint::parse(Method::Post, "/1/user/music/collection/changes"),
            Err(RouteError::WrongMethod { expected: Method::Get })
        );
        assert_eq!(
            Endpoint::parse(Method::Get, "/1/content/music/collection/restore"),
            Err(RouteError::WrongMethod { expected: Method::Post })
        );
    }

    #[test]
    fn namespaces_methods_and_unknown_paths() {
        assert_eq!(
            Endpoint::parse(Method::Post, "/1/content/video/collection/add"),
            Err(RouteError::UnknownNamespace("video".into()))
        );
        assert_eq!(
            Endpoint::parse(Method::Get, "/1/content/music/collection/add"),
            Err(RouteError::WrongMethod { expected: Method::Post })
        );
        assert_eq!(Endpoint::parse(Method::Get, "/2/content/music/search"), Err(RouteError::UnknownPath));
        assert_eq!(Endpoint::parse(Method::Get, "/1/content/music/nothing"), Err(RouteError::UnknownPath));
        assert_eq!(Endpoint::parse(Method::Get, "/"), Err(RouteError::UnknownPath));
        assert_eq!(Endpoint::parse(Method::Get, "/1/User/MUSIC/Profile"), Ok(Endpoint::UserProfile));
        assert_eq!(
            Endpoint::parse(Method::Get, "/3/content/music/catalog/genres"),
            Ok(Endpoint::NotServed(NotServed::Genres))
        );
    }
}
