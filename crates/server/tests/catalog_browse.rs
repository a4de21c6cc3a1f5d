//! Catalog browse (`uri-browse-catalog.md`): the `genre`, `mood` and `activity` filters, and
//! "catalog browse will not return more than 1000 total items".
#![allow(clippy::unwrap_used, reason = "test code: a failed unwrap is a failed test")]

mod common;

use common::*;
use serde_json::{Value, json};

/// A catalog line: track `n` of album `album` by artist `artist`, with these genres.
fn track_line(n: u32, album: u32, artist: u32, genres: &[&str]) -> String {
    let credit = json!({"Role": "Main", "Artist": {
        "Id": format!("music.{artist:08X}-0000-4000-8000-0000000000A2"), "Name": format!("Artist {artist}")}});
    json!({
        "Id": format!("music.{n:08X}-0000-4000-8000-0000000000C2"),
        "Name": format!("Track {n:04}"),
        "TrackNumber": n,
        "Genres": genres,
        "Album": {
            "Id": format!("music.{album:08X}-0000-4000-8000-0000000000B2"),
            "Name": format!("Album {album}"),
            "Genres": genres,
            "Artists": [credit],
        },
        "Artists": [credit],
    })
    .to_string()
}

/// Imports catalog lines with `catalog import`.
fn import(s: &Server, lines: &[String]) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("catalog.jsonl");
    std::fs::write(&file, lines.join("\n")).unwrap();
    s.admin(&["catalog", "import", file.to_str().unwrap()]);
}

fn names(v: &Value, list: &str) -> Vec<String> {
    v[list]["Items"].as_array().unwrap().iter().map(|i| i["Name"].as_str().unwrap().to_owned()).collect()
}

async fn browse(s: &Server, token: &str, query: &str) -> Reply {
    s.client().get_auth(&format!("/1/content/music/catalog/{query}"), token).await
}

/// `genre` keeps the items filed under that genre (case and accents aside), for tracks,
/// albums and artists; its continuation tokens stay in the genre; `mood` and `activity`
/// find nothing; the filters cannot be combined.
async fn genre_mood_and_activity_filter_the_catalog(b: Backend) {
    let s = Server::start_with(b, &["--no-demo-catalog"]);
    let token = s.create_user("alice");
    import(
        &s,
        &[
            track_line(1, 1, 1, &["Rock"]),
            track_line(2, 1, 1, &["Rock"]),
            track_line(3, 2, 2, &["Rock"]),
            track_line(4, 3, 3, &["Électro"]),
            track_line(5, 3, 3, &["Électro"]),
            track_line(6, 4, 4, &["Pop", "Rock"]),
        ],
    );

    let r = browse(&s, &token, "tracks/browse?genre=rock&orderBy=TrackTitle").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(names(&r.json(), "Tracks"), ["Track 0001", "Track 0002", "Track 0003"]);
    assert_eq!(r.json()["Tracks"]["TotalItemCount"], 3);
    let r = browse(&s, &token, "tracks/browse?genre=ELECTRO&orderBy=TrackTitle").await;
    assert_eq!(names(&r.json(), "Tracks"), ["Track 0004", "Track 0005"], "{}", r.body);
    // Filed under its first genre.
    let r = browse(&s, &token, "tracks/browse?genre=Pop").await;
    assert_eq!(names(&r.json(), "Tracks"), ["Track 0006"], "{}", r.body);
    let r = browse(&s, &token, "albums/browse?genre=Rock&orderBy=AlbumTitle").await;
    assert_eq!(names(&r.json(), "Albums"), ["Album 1", "Album 2"], "{}", r.body);
    let r = browse(&s, &token, "artists/browse?genre=%C3%A9lectro").await;
    assert_eq!(names(&r.json(), "Artists"), ["Artist 3"], "{}", r.body);
    let r = browse(&s, &token, "artists/browse?genre=Jazz").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!((names(&r.json(), "Artists").len(), &r.json()["Artists"]["TotalItemCount"]), (0, &json!(0)));

    // Pages of a genre: the token continues in it, alone or with the same genre.
    let r = browse(&s, &token, "tracks/browse?genre=Rock&orderBy=TrackTitle&maxItems=2").await;
    let first = r.json();
    assert_eq!(names(&first, "Tracks"), ["Track 0001", "Track 0002"]);
    let next = first["Tracks"]["ContinuationToken"].as_str().unwrap().to_owned();
    let r = browse(&s, &token, &format!("tracks/browse?continuationToken={next}")).await;
    assert_eq!(names(&r.json(), "Tracks"), ["Track 0003"], "{}", r.body);
    assert!(r.json()["Tracks"].get("ContinuationToken").is_none());
    let r = browse(&s, &token, &format!("tracks/browse?continuationToken={next}&genre=rock")).await;
    assert_eq!(names(&r.json(), "Tracks"), ["Track 0003"], "{}", r.body);
    let r = browse(&s, &token, &format!("tracks/browse?continuationToken={next}&genre=Pop")).await;
    assert_eq!((r.status, r.error_code().as_str()), (400, "INCOMPATIBLE-INPUT-PARAMETERS"), "{}", r.body);
    let r = browse(&s, &token, "tracks/browse?orderBy=TrackTitle&maxItems=2").await;
    let unfiltered = r.json()["Tracks"]["ContinuationToken"].as_str().unwrap().to_owned();
    let r = browse(&s, &token, &format!("tracks/browse?continuationToken={unfiltered}&genre=Rock")).await;
    assert_eq!((r.status, r.error_code().as_str()), (400, "INCOMPATIBLE-INPUT-PARAMETERS"), "{}", r.body);

    // No item has a mood or an activity.
    for query in ["tracks/browse?mood=Sleepy", "albums/browse?activity=Party", "artists/browse?mood=x"] {
        let r = browse(&s, &token, query).await;
        assert_eq!(r.status, 200, "{query}: {}", r.body);
        let list = r.json().as_object().unwrap().values().next().unwrap().clone();
        assert_eq!(list["Items"], json!([]), "{query}");
        assert_eq!(list["TotalItemCount"], 0, "{query}");
        assert!(list.get("ContinuationToken").is_none(), "{query}");
    }
    // One filter at a time, and not an empty one.
    let r = browse(&s, &token, "tracks/browse?genre=Rock&mood=Sleepy").await;
    assert_eq!((r.status, r.error_code().as_str()), (400, "INCOMPATIBLE-INPUT-PARAMETERS"), "{}", r.body);
    let r = browse(&s, &token, "tracks/browse?activity=Party&genre=Rock").await;
    assert_eq!((r.status, r.error_code().as_str()), (400, "INCOMPATIBLE-INPUT-PARAMETERS"), "{}", r.body);
    let r = browse(&s, &token, "tracks/browse?genre=").await;
    assert_eq!((r.status, r.error_code().as_str()), (400, "INVALID-INPUT-PARAMETER"), "{}", r.body);
}

/// No more than 1,000 items in all: `TotalItemCount` says 1,000, pages and continuation
/// tokens stop after the 1,000th item.
async fn catalog_browse_stops_at_1000_items(b: Backend) {
    let s = Server::start_with(b, &["--no-demo-catalog"]);
    let token = s.create_user("alice");
    let lines: Vec<String> = (1..=1010).map(|n| track_line(n, n / 10 + 1, n % 7 + 1, &["Rock"])).collect();
    import(&s, &lines);

    let r = browse(&s, &token, "tracks/browse?orderBy=TrackTitle").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["Tracks"]["TotalItemCount"], 1000);
    let r = browse(&s, &token, "tracks/browse?genre=rock").await;
    assert_eq!(r.json()["Tracks"]["TotalItemCount"], 1000, "filtered lists too");
    let r = browse(&s, &token, "albums/browse").await;
    assert_eq!(r.json()["Albums"]["TotalItemCount"], 102, "{}", r.body);

    // The last page within the cap has no continuation; the pages after it are empty.
    let r = browse(&s, &token, "tracks/browse?orderBy=TrackTitle&page=39").await;
    let last = r.json();
    assert_eq!(names(&last, "Tracks").len(), 25);
    assert_eq!(names(&last, "Tracks").last().unwrap(), "Track 1000");
    assert!(last["Tracks"].get("ContinuationToken").is_none(), "{}", r.body);
    let r = browse(&s, &token, "tracks/browse?orderBy=TrackTitle&page=40").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["Tracks"]["Items"], json!([]));
    assert_eq!(r.json()["Tracks"]["TotalItemCount"], 1000);
    let r = browse(&s, &token, "tracks/browse?orderBy=TrackTitle&page=4000000").await;
    assert_eq!((r.status, r.json()["Tracks"]["Items"].clone()), (200, json!([])), "{}", r.body);
    // A page across the cap is cut at it.
    let r = browse(&s, &token, "tracks/browse?orderBy=TrackTitle&maxItems=7&page=142").await;
    assert_eq!(names(&r.json(), "Tracks"), (995..=1000).map(|n| format!("Track {n:04}")).collect::<Vec<_>>());
    assert!(r.json()["Tracks"].get("ContinuationToken").is_none());

    // Continuation tokens give 1,000 items, each once, and then stop.
    let mut seen = Vec::new();
    let mut query = "tracks/browse?orderBy=TrackTitle&maxItems=24".to_owned();
    loop {
        let r = browse(&s, &token, &query).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let page = r.json();
        seen.extend(names(&page, "Tracks"));
        match page["Tracks"]["ContinuationToken"].as_str() {
            Some(t) => query = format!("tracks/browse?continuationToken={t}"),
            None => break,
        }
        assert!(seen.len() <= 1000, "past the cap");
    }
    assert_eq!(seen, (1..=1000).map(|n| format!("Track {n:04}")).collect::<Vec<_>>());
}

backend_tests!(genre_mood_and_activity_filter_the_catalog, catalog_browse_stops_at_1000_items);
