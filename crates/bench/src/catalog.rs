//! A generated catalog of any size, the same for the same size.
//!
//! Track `i` is on album `i / 12` as track number `i % 12 + 1`; each album has one main
//! artist, and one track in five also credits a featured artist. Names, genres, dates and
//! durations are drawn from a hash of the index, so that the sort orders of a collection
//! are unrelated to the order of the IDs. IDs have the catalog's form:
//! `music.XXXXXXXX-0100-11DB-89CA-0019B92A3933` for tracks and albums (tracks from
//! `40000000`, albums from `60000000`) and `music.XXXXXXXX-0200-...` for artists (from
//! `70000000`).

use groove_wire::duration::Duration;
use groove_wire::model::{Album, Artist, Content, Contributor, Track};

pub const TRACKS_PER_ALBUM: u64 = 12;
const TRACK_BASE: u64 = 0x4000_0000;
const ALBUM_BASE: u64 = 0x6000_0000;
const ARTIST_BASE: u64 = 0x7000_0000;

const WORDS: &[&str] = &[
    "love",
    "night",
    "heart",
    "dream",
    "fire",
    "rain",
    "summer",
    "blue",
    "golden",
    "wild",
    "city",
    "river",
    "dance",
    "light",
    "shadow",
    "electric",
    "midnight",
    "silver",
    "ocean",
    "road",
    "star",
    "echo",
    "velvet",
    "paper",
    "neon",
    "winter",
    "morning",
    "broken",
    "sweet",
    "lonely",
    "crystal",
    "thunder",
    "mirror",
    "garden",
    "desert",
    "highway",
    "paradise",
    "storm",
    "honey",
    "ghost",
    "satellite",
    "kingdom",
    "signal",
    "fever",
    "harbor",
    "lantern",
    "marble",
    "orchid",
    "prism",
    "quiet",
    "radio",
    "saturn",
    "tiger",
    "union",
    "vapor",
    "wonder",
    "yellow",
    "zero",
    "amber",
    "bloom",
    "canyon",
    "delta",
    "ember",
    "forest",
    "gravity",
    "horizon",
    "island",
    "jungle",
    "karma",
    "lullaby",
    "meadow",
    "north",
    "orbit",
    "pulse",
    "quartz",
    "rebel",
    "siren",
    "tide",
    "utopia",
    "voyage",
    "whisper",
    "xenon",
    "youth",
    "zenith",
    "après",
    "café",
    "señor",
    "über",
];

const GENRES: &[(&str, &str)] = &[
    ("Pop", "Contemporary Pop"),
    ("Rock", "Alternative Rock"),
    ("Electronic / Dance", "House"),
    ("Hip Hop", "Rap"),
    ("R&B / Soul", "Contemporary R&B"),
    ("Jazz", "Bebop"),
    ("Classical", "Symphony"),
    ("Country", "Americana"),
    ("Folk", "Singer-Songwriter"),
    ("Reggae", "Dub"),
    ("Blues", "Chicago Blues"),
    ("Metal", "Heavy Metal"),
    ("Latin", "Salsa"),
    ("World", "Afrobeat"),
    ("Soundtracks", "Film Score"),
];

const LABELS: &[&str] = &[
    "Northern Lights Records",
    "Blue Harbor Music",
    "Velvet Echo",
    "Satellite Sound",
    "Paper Moon Recordings",
];

/// A stateless 64-bit mix (splitmix64's finaliser): the same input gives the same output.
pub fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

fn pick<T: Copy>(list: &[T], h: u64) -> T {
    // The index is below the list's length, which fits in usize.
    #[allow(clippy::cast_possible_truncation)]
    list[(h % list.len() as u64) as usize]
}

fn words(seed: u64, min: u64, max: u64) -> String {
    let h = mix(seed);
    let n = min + h % (max - min + 1);
    let mut out = String::new();
    for k in 0..n {
        let w = pick(WORDS, mix(seed ^ (k + 1).wrapping_mul(0x1000_0000_01B3)));
        if !out.is_empty() {
            out.push(' ');
        }
        let mut chars = w.chars();
        if let Some(first) = chars.next() {
            out.extend(first.to_uppercase());
            out.push_str(chars.as_str());
        }
    }
    out
}

fn guid(base: u64, n: u64, kind: &str) -> String {
    format!("music.{:08X}-{kind}-11DB-89CA-0019B92A3933", base + n)
}

/// The ID of catalog track `i`.
pub fn track_id(i: u64) -> String {
    guid(TRACK_BASE, i, "0100")
}

pub fn album_id(a: u64) -> String {
    guid(ALBUM_BASE, a, "0100")
}

pub fn artist_id(r: u64) -> String {
    guid(ARTIST_BASE, r, "0200")
}

/// A generated catalog of `tracks` tracks.
#[derive(Clone, Copy, Debug)]
pub struct Catalog {
    pub tracks: u64,
}

impl Catalog {
    pub fn new(tracks: u64) -> Self {
        Catalog { tracks }
    }

    pub fn albums(self) -> u64 {
        self.tracks.div_ceil(TRACKS_PER_ALBUM)
    }

    /// Number of distinct artists (one for fifty tracks, at least one).
    pub fn artists(self) -> u64 {
        (self.tracks / 50).max(1)
    }

    fn artist(r: u64) -> Artist {
        Artist {
            content: Content {
                id: Some(artist_id(r)),
                name: Some(words(r ^ 0xA57, 1, 3)),
                ..Content::default()
            },
            ..Artist::default()
        }
    }

    fn album_artist(self, a: u64) -> u64 {
        mix(a ^ 0xA1B) % self.artists()
    }

    fn release_date(a: u64) -> String {
        let h = mix(a ^ 0xDA7E);
        format!("{}-{:02}-{:02}T00:00:00Z", 1960 + h % 57, 1 + (h >> 8) % 12, 1 + (h >> 16) % 28)
    }

    fn album(self, a: u64) -> Album {
        let h = mix(a ^ 0xA1B0);
        let (genre, subgenre) = pick(GENRES, h);
        let first = a * TRACKS_PER_ALBUM;
        let count = (self.tracks - first).min(TRACKS_PER_ALBUM);
        Album {
            release_date: Some(Self::release_date(a)),
            track_count: i32::try_from(count).ok(),
            is_explicit: Some(h.is_multiple_of(7)),
            label_name: Some(pick(LABELS, h >> 7).to_owned()),
            genres: Some(vec![genre.to_owned()]),
            subgenres: Some(vec![subgenre.to_owned()]),
            album_type: Some(if count < 4 { "Single" } else { "Album" }.to_owned()),
            artists: Some(vec![Contributor {
                role: "Main".to_owned(),
                artist: Self::artist(self.album_artist(a)),
            }]),
            content: Content {
                id: Some(album_id(a)),
                name: Some(words(a ^ 0xA1, 1, 3)),
                ..Content::default()
            },
            ..Album::default()
        }
    }

    /// Catalog track `i` in the shape of `catalog/README.md`, with its album and artists.
    pub fn track(self, i: u64) -> Track {
        self.track_on(i, &self.album(i / TRACKS_PER_ALBUM))
    }

    fn track_on(self, i: u64, album: &Album) -> Track {
        let a = i / TRACKS_PER_ALBUM;
        let h = mix(i ^ 0x7AC);
        let mut artists = album.artists.clone().unwrap_or_default();
        if h.is_multiple_of(5) {
            let featured = mix(i ^ 0xFEA7) % self.artists();
            if featured != self.album_artist(a) {
                artists.push(Contributor { role: "Featured".to_owned(), artist: Self::artist(featured) });
            }
        }
        Track {
            release_date: album.release_date.clone(),
            duration: Some(Duration::from_secs(120 + (h >> 8) % 300)),
            track_number: i32::try_from(i % TRACKS_PER_ALBUM + 1).ok(),
            is_explicit: album.is_explicit,
            genres: album.genres.clone(),
            subgenres: album.subgenres.clone(),
            rights: Some(vec!["Purchase".to_owned(), "Stream".to_owned()]),
            album: Some(Box::new(album.clone())),
            artists: Some(artists),
            content: Content {
                id: Some(track_id(i)),
                name: Some(words(i ^ 0x7, 1, 4)),
                ..Content::default()
            },
            ..Track::default()
        }
    }

    /// Tracks `range` of the catalog, building each album once.
    pub fn tracks(self, range: std::ops::Range<u64>) -> Vec<Track> {
        let mut out = Vec::with_capacity(usize::try_from(range.end - range.start).unwrap_or(0));
        let mut album: Option<(u64, Album)> = None;
        for i in range.start..range.end.min(self.tracks) {
            let a = i / TRACKS_PER_ALBUM;
            if album.as_ref().is_none_or(|(n, _)| *n != a) {
                album = Some((a, self.album(a)));
            }
            if let Some((_, al)) = &album {
                out.push(self.track_on(i, al));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracks_are_valid_catalog_tracks_and_stable() {
        let catalog = Catalog::new(100);
        let tracks = catalog.tracks(0..100);
        assert_eq!(tracks.len(), 100);
        for t in &tracks {
            groove_store::validate_track(t).expect("a generated track is valid");
        }
        assert_eq!(catalog.track(37), tracks[37]);
        assert_eq!(tracks[0].content.id.as_deref(), Some("music.40000000-0100-11DB-89CA-0019B92A3933"));
        assert_eq!(tracks[99].album.as_ref().and_then(|a| a.track_count), Some(4));
    }

    #[test]
    fn ids_parse_as_catalog_ids() {
        for id in [track_id(0), album_id(5), artist_id(9)] {
            assert!(groove_wire::ids::CatalogId::parse(&id).is_some(), "{id}");
        }
    }
}
