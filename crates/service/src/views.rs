//! How catalog records look in responses.
//!
//! A collection item (`uri-browse-user-collection-playlist.md`) carries collection IDs and
//! `"Source": "Collection"`; its album shows `ReleaseDate`, `Genres` and the content
//! members; its artists are credited as `PrimaryArtist` or `ContributingArtist` (the
//! track's) and `AlbumArtist` (the album's); a subtitle is part of the name, as in
//! `"Get Lucky (feat. Pharrell Williams)"`.

use groove_store::{CatalogArtist, CollectionTrack, is_main_role};
use groove_wire::ids::CollectionId;
use groove_wire::model::{Album, Artist, Content, ContentSource, Contributor, Track};

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

fn collection_artist(t: &CollectionTrack, artist: &CatalogArtist) -> Artist {
    Artist {
        content: collection_content(&artist.artist.content, t.artist_id(artist.id)),
        ..Artist::default()
    }
}

/// A track of the user's collection.
pub fn collection_track(t: &CollectionTrack) -> Track {
    let catalog = &t.track;
    let own = &catalog.track;
    let album = &catalog.album;
    let mut artists: Vec<Contributor> = catalog
        .artists
        .iter()
        .map(|c| Contributor {
            role: if is_main_role(&c.role) { "PrimaryArtist" } else { "ContributingArtist" }.to_owned(),
            artist: collection_artist(t, &c.artist),
        })
        .collect();
    artists.extend(
        album
            .artists
            .iter()
            .map(|c| Contributor { role: "AlbumArtist".to_owned(), artist: collection_artist(t, &c.artist) }),
    );
    let mut content = collection_content(&own.content, Some(t.id));
    if let (Some(name), Some(subtitle)) = (&own.content.name, &own.subtitle) {
        content.name = Some(format!("{name} ({subtitle})"));
    }
    Track {
        release_date: own.release_date.clone().or_else(|| album.album.release_date.clone()),
        duration: own.duration,
        track_number: own.track_number,
        is_explicit: own.is_explicit,
        genres: own.genres.clone(),
        subgenres: own.subgenres.clone(),
        rights: own.rights.clone(),
        subtitle: None,
        album: Some(Box::new(Album {
            release_date: album.album.release_date.clone(),
            genres: album.album.genres.clone(),
            content: collection_content(&album.album.content, Some(t.album_id)),
            ..Album::default()
        })),
        artists: Some(artists),
        content,
    }
}
