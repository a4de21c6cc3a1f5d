//! How catalog records look in responses.
//!
//! A collection item (`uri-browse-user-collection-playlist.md`) carries collection IDs and
//! `"Source": "Collection"`; its album shows `ReleaseDate`, `Genres` and the content
//! members; its artists are credited as `PrimaryArtist` or `ContributingArtist` (the
//! track's) and `AlbumArtist` (the album's); a subtitle is part of the name, as in
//! `"Get Lucky (feat. Pharrell Williams)"`. The tracks of a playlist carry `Subtitle` too, and
//! in a sub-browse the catalog's roles ([`EntryForm`]).

use groove_store::{
    CatalogAlbum, CatalogArtist, CatalogTrack, CollectionAlbum, CollectionArtist, CollectionTrack, Credit,
    PlaylistEntry, PlaylistInfo, is_main_role,
};
use groove_wire::date::calendar_date;
use groove_wire::ids::{CatalogId, CollectionId, PlaylistId};
use groove_wire::model::{Album, Artist, Content, ContentSource, Contributor, Playlist, Track};

/// A date of a collection item: its calendar day without a zone (see [`calendar_date`]).
fn collection_date(date: Option<&String>) -> Option<String> {
    date.map(String::as_str).map(calendar_date)
}

/// Content members of a catalog record, re-labelled as a collection item.
fn collection_content(content: &Content, id: Option<CollectionId>) -> Content {
    Content {
        id: id.map(|i| i.to_string()),
        name: content.name.clone(),
        image_url: content.image_url.clone(),
        link: content.link.clone(),
        other_ids: None,
        source: Some(ContentSource::Collection),
        compatible_sources: None,
    }
}

/// Content of a record nested in a collection item: the user's collection ID where there is
/// one, the catalog's ID otherwise (a playlist may hold tracks of albums the user has not
/// collected).
fn nested_content(content: &Content, id: Option<CollectionId>) -> Content {
    match id {
        Some(id) => collection_content(content, Some(id)),
        None => Content {
            id: content.id.clone(),
            name: content.name.clone(),
            image_url: content.image_url.clone(),
            link: content.link.clone(),
            other_ids: None,
            source: Some(ContentSource::Catalog),
            compatible_sources: None,
        },
    }
}

/// How a collection item shows its track's credits and subtitles.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct TrackForm {
    /// The track's artists as `PrimaryArtist` / `ContributingArtist` (collection browse and
    /// lookup), or with the catalog's roles, `Main`, ... (sub-browse of a playlist).
    collection_roles: bool,
    /// `Subtitle` of the track and of its album, `""` when there is none.
    subtitles: bool,
}

/// The form of the tracks of a playlist, which the documentation shows two ways.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntryForm {
    /// `uri-content-lookup.md`, "Collection playlist lookup": `PrimaryArtist`,
    /// `ContributingArtist`, `AlbumArtist`, and subtitles.
    Lookup,
    /// `uri-browse-sub-items.md`, "Browse the tracks of one of my playlists": the catalog's
    /// roles (`Main`, ...), `AlbumArtist`, and subtitles.
    SubBrowse,
}

/// A catalog track shown as an item of the user's, under `id`.
fn collection_track_view(
    id: CollectionId,
    catalog: &CatalogTrack,
    album_id: Option<CollectionId>,
    artist_id: impl Fn(CatalogId) -> Option<CollectionId>,
    form: TrackForm,
) -> Track {
    let own = &catalog.track;
    let album = &catalog.album;
    let credited = |a: &CatalogArtist| Artist {
        content: nested_content(&a.artist.content, artist_id(a.id)),
        ..Artist::default()
    };
    let role = |r: &str| match (form.collection_roles, is_main_role(r)) {
        (true, true) => "PrimaryArtist".to_owned(),
        (true, false) => "ContributingArtist".to_owned(),
        (false, _) => r.to_owned(),
    };
    let mut artists: Vec<Contributor> = catalog
        .artists
        .iter()
        .map(|c| Contributor { role: role(&c.role), artist: credited(&c.artist) })
        .collect();
    let subtitle = |s: &Option<String>| form.subtitles.then(|| s.clone().unwrap_or_default());
    artists.extend(
        album
            .artists
            .iter()
            .map(|c| Contributor { role: "AlbumArtist".to_owned(), artist: credited(&c.artist) }),
    );
    let mut content = collection_content(&own.content, Some(id));
    if let (Some(name), Some(subtitle)) = (&own.content.name, &own.subtitle) {
        content.name = Some(format!("{name} ({subtitle})"));
    }
    Track {
        release_date: collection_date(own.release_date.as_ref().or(album.album.release_date.as_ref())),
        duration: own.duration,
        track_number: own.track_number,
        is_explicit: own.is_explicit,
        genres: own.genres.clone(),
        subgenres: own.subgenres.clone(),
        rights: own.rights.clone(),
        subtitle: subtitle(&own.subtitle),
        album: Some(Box::new(Album {
            release_date: collection_date(album.album.release_date.as_ref()),
            genres: album.album.genres.clone(),
            subtitle: subtitle(&album.album.subtitle),
            content: nested_content(&album.album.content, album_id),
            ..Album::default()
        })),
        artists: Some(artists),
        content,
    }
}

/// A track of the user's collection.
pub fn collection_track(t: &CollectionTrack) -> Track {
    let form = TrackForm { collection_roles: true, subtitles: false };
    collection_track_view(t.id, &t.track, Some(t.album_id), |a| t.artist_id(a), form)
}

/// A track of one of the user's playlists, under its entry ID, in the form of the call.
pub fn playlist_entry(e: &PlaylistEntry, form: EntryForm) -> Track {
    let form = TrackForm { collection_roles: form == EntryForm::Lookup, subtitles: true };
    collection_track_view(e.id, &e.track, e.album_id, |a| e.artist_id(a), form)
}

/// The deep link of a playlist, in the form of every collection playlist of the documentation
/// (`https://music.microsoft.com/Playlist/{guid}`), the form the catalog's links take too.
pub fn playlist_link(id: PlaylistId) -> String {
    format!("https://music.microsoft.com/Playlist/{}", id.uuid().hyphenated())
}

/// A playlist of the user (`uri-browse-user-collection-playlist.md`, "Browse playlists";
/// `uri-content-lookup.md`, "Collection playlist lookup"; `uri-browse-sub-items.md`): its
/// count, `UserIsOwner` and content members with `Link`. `IsReadOnly` and `IsPublished` are
/// shown when true only, as the service's `EmitDefaultValue = false` members are: no
/// collection playlist of the documentation shows `false`.
pub fn playlist(p: &PlaylistInfo) -> Playlist {
    Playlist {
        is_read_only: p.is_read_only.then_some(true),
        is_published: p.is_published.then_some(true),
        track_count: Some(i32::try_from(p.track_count).unwrap_or(i32::MAX)),
        user_is_owner: Some(true),
        content: Content {
            id: Some(p.id.to_string()),
            name: Some(p.name.clone()),
            link: Some(playlist_link(p.id)),
            source: Some(ContentSource::Collection),
            ..Content::default()
        },
        ..Playlist::default()
    }
}

/// An album of the user's collection (`uri-browse-user-collection-playlist.md`, "Browse
/// albums"): its dates, count, genres and album artists, with collection IDs.
pub fn collection_album(a: &CollectionAlbum) -> Album {
    let own = &a.album.album;
    let artists = a
        .album
        .artists
        .iter()
        .map(|c| Contributor {
            role: "AlbumArtist".to_owned(),
            artist: Artist {
                content: collection_content(&c.artist.artist.content, a.artist_id(c.artist.id)),
                ..Artist::default()
            },
        })
        .collect();
    Album {
        release_date: collection_date(own.release_date.as_ref()),
        track_count: Some(i32::try_from(a.track_count).unwrap_or(i32::MAX)),
        is_explicit: own.is_explicit,
        genres: own.genres.clone(),
        artists: Some(artists),
        content: collection_content(&own.content, Some(a.id)),
        ..Album::default()
    }
}

/// An artist of the user's collection (`uri-browse-user-collection-playlist.md`, "Browse
/// artists").
pub fn collection_artist(a: &CollectionArtist) -> Artist {
    Artist { content: collection_content(&a.artist.artist.content, Some(a.id)), ..Artist::default() }
}

/// How catalog records are shown. The lookup examples (`uri-content-lookup.md`) show no
/// `CompatibleSources`; the search examples (`uri-search-content.md`) show
/// `"Catalog, Collection"` on every record.
#[derive(Clone, Copy, Debug, Default)]
pub struct CatalogStyle {
    pub compatible_sources: bool,
    /// `extras=ArtistDetails`: credited artists in full.
    pub artist_details: bool,
    /// `extras=AlbumDetails`: a track's album in full.
    pub album_details: bool,
}

const BOTH_SOURCES: &str = "Catalog, Collection";

fn catalog_content(content: &Content, style: CatalogStyle, full: bool) -> Content {
    Content {
        id: content.id.clone(),
        name: content.name.clone(),
        image_url: content.image_url.clone(),
        link: content.link.clone(),
        other_ids: if full { content.other_ids.clone() } else { None },
        source: Some(ContentSource::Catalog),
        compatible_sources: style.compatible_sources.then(|| BOTH_SOURCES.to_owned()),
    }
}

/// A catalog artist with everything the catalog knows of it.
pub fn catalog_artist(a: &CatalogArtist, style: CatalogStyle) -> Artist {
    Artist {
        biography: a.artist.biography.clone(),
        genres: a.artist.genres.clone(),
        subgenres: a.artist.subgenres.clone(),
        albums: None,
        top_tracks: None,
        content: catalog_content(&a.artist.content, style, true),
    }
}

/// A credited artist: in brief, or in full with `ArtistDetails`.
fn catalog_credit(c: &Credit, style: CatalogStyle) -> Contributor {
    let artist = if style.artist_details {
        catalog_artist(&c.artist, style)
    } else {
        Artist { content: catalog_content(&c.artist.artist.content, style, false), ..Artist::default() }
    };
    Contributor { role: c.role.clone(), artist }
}

/// A catalog album with its own members and its credited artists.
pub fn catalog_album(a: &CatalogAlbum, style: CatalogStyle) -> Album {
    Album {
        artists: Some(a.artists.iter().map(|c| catalog_credit(c, style)).collect()),
        tracks: None,
        content: catalog_content(&a.album.content, style, true),
        ..a.album.clone()
    }
}

/// A catalog track. `with_album` is false inside an album's own track list.
pub fn catalog_track(t: &CatalogTrack, style: CatalogStyle, with_album: bool) -> Track {
    let album = with_album.then(|| {
        Box::new(if style.album_details {
            catalog_album(&t.album, CatalogStyle { artist_details: false, ..style })
        } else {
            Album { content: catalog_content(&t.album.album.content, style, false), ..Album::default() }
        })
    });
    Track {
        album,
        artists: Some(t.artists.iter().map(|c| catalog_credit(c, style)).collect()),
        content: catalog_content(&t.track.content, style, true),
        ..t.track.clone()
    }
}

/// A deleted track of the user's (deleted browse): under its collection ID, with the
/// catalog's IDs for its album and artists, which may have left the collection with it.
pub fn deleted_track(id: CollectionId, catalog: &CatalogTrack) -> Track {
    let form = TrackForm { collection_roles: true, subtitles: false };
    collection_track_view(id, catalog, None, |_| None, form)
}
