//! Reading the collection and the catalog against the real binary: browse, lookup,
//! sub-browse, search and the profile, replaying the documentation's examples.
#![allow(clippy::unwrap_used, reason = "test code: a failed unwrap is a failed test")]

mod common;

use common::*;
use serde_json::{Value, json};

const PURSUIT: &str = "music.27EBEA07-0100-11DB-89CA-0019B92A3933";
const TRUST_YOU_AGAIN: &str = "music.3770F306-0100-11DB-89CA-0019B92A3933";
const RAM: &str = "music.B13EB907-0100-11DB-89CA-0019B92A3933";
const DISCOVERY: &str = "music.3E362806-0100-11DB-89CA-0019B92A3933";
const DAFT_PUNK: &str = "music.C61C0000-0200-11DB-89CA-0019B92A3933";
const WHITE_ALBUM: &str = "music.352558EB-0100-11DB-89CA-0019B92A3933";
const BJORK: &str = "music.05641BC2-0200-11DB-89CA-0019B92A3933";

fn keys(v: &Value) -> Vec<&str> {
    v.as_object().unwrap().keys().map(String::as_str).collect()
}

fn names(list: &Value) -> Vec<String> {
    list["Items"].as_array().unwrap().iter().map(|i| i["Name"].as_str().unwrap().to_owned()).collect()
}

/// The three tracks of the collection examples of uri-browse-user-collection-playlist.md.
async fn documented_collection(server: &Server, user: &str) -> (String, Client) {
    let token = server.create_user(user);
    let c = server.client();
    let r = c.add(&token, &[DER_ALCHEMYST, GET_LUCKY, PURSUIT]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    (token, c)
}

/// uri-browse-user-collection-playlist.md, "Browse artists" and "Browse artists with invalid
/// orderBy".
async fn browse_artists_as_documented(backend: Backend) {
    let server = Server::start(backend);
    let (token, c) = documented_collection(&server, "alice").await;
    let r = c.get_auth("/1/content/music/collection/artists/browse?orderBy=ArtistName", &token).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    assert_eq!(keys(&v), ["Artists"]);
    // Main artists only: Pharrell Williams, featured on Get Lucky, is not listed.
    assert_eq!(names(&v["Artists"]), ["Boris Brejcha", "Daft Punk", "Gesaffelstein"]);
    for a in v["Artists"]["Items"].as_array().unwrap() {
        assert!(a["Id"].as_str().unwrap().starts_with("music.AQIP"));
        assert_eq!(a["Source"], "Collection");
        assert!(keys(a).iter().all(|k| ["Id", "Name", "ImageUrl", "Link", "Source"].contains(k)), "{a}");
    }
    let r = c.get_auth("/1/content/music/collection/artists/browse?orderBy=AlbumTitle", &token).await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.body,
        r#"{"Error":{"ErrorCode":"INCOMPATIBLE-INPUT-PARAMETERS","Description":"Incompatible parameters","Message":"Invalid ordering for this content"}}"#
    );
}

/// uri-browse-user-collection-playlist.md, "Browse albums".
async fn browse_albums_as_documented(backend: Backend) {
    let server = Server::start(backend);
    let (token, c) = documented_collection(&server, "alice").await;
    let r = c.get_auth("/1/content/music/collection/albums/browse?orderBy=AlbumTitle", &token).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    assert_eq!(names(&v["Albums"]), ["Aleph", "Der Alchemyst", "Random Access Memories"]);
    let aleph = &v["Albums"]["Items"][0];
    assert_eq!(
        keys(aleph),
        [
            "ReleaseDate",
            "TrackCount",
            "IsExplicit",
            "Genres",
            "Artists",
            "Id",
            "Name",
            "ImageUrl",
            "Link",
            "Source"
        ]
    );
    assert_eq!(aleph["TrackCount"], 1);
    assert_eq!(aleph["Artists"][0]["Role"], "AlbumArtist");
    assert_eq!(aleph["Artists"][0]["Artist"]["Name"], "Gesaffelstein");
    assert!(aleph["Id"].as_str().unwrap().starts_with("music.AQEP"));
    for order in ["ArtistName", "GenreName", "ReleaseDate", "CollectionDate"] {
        let r =
            c.get_auth(&format!("/1/content/music/collection/albums/browse?orderBy={order}"), &token).await;
        assert_eq!(r.status, 200, "{order}");
        assert_eq!(r.json()["Albums"]["Items"].as_array().unwrap().len(), 3);
    }
    for order in ["TrackTitle", "TrackNumber", "MostPopular"] {
        let r =
            c.get_auth(&format!("/1/content/music/collection/albums/browse?orderBy={order}"), &token).await;
        assert_eq!(r.error_code(), "INCOMPATIBLE-INPUT-PARAMETERS", "{order}");
    }
    // An album leaves the album browse with its last track.
    let tracks =
        c.get_auth("/1/content/music/collection/tracks/browse?orderBy=TrackTitle", &token).await.json();
    let pursuit = tracks["Tracks"]["Items"][2]["Id"].as_str().unwrap().to_owned();
    c.delete(&token, &[&pursuit]).await;
    let v = c.get_auth("/1/content/music/collection/albums/browse", &token).await.json();
    assert_eq!(names(&v["Albums"]), ["Der Alchemyst", "Random Access Memories"]);
}

/// uri-browse-user-collection-playlist.md, "Browse tracks".
async fn browse_tracks_as_documented(backend: Backend) {
    let server = Server::start(backend);
    let (token, c) = documented_collection(&server, "alice").await;
    let r = c.get_auth("/1/content/music/collection/tracks/browse?orderBy=TrackTitle", &token).await;
    let v = r.json();
    assert_eq!(names(&v["Tracks"]), ["Der Alchemyst", "Get Lucky (feat. Pharrell Williams)", "Pursuit"]);
    let lucky = &v["Tracks"]["Items"][1];
    assert_eq!(
        keys(lucky),
        [
            "ReleaseDate",
            "Duration",
            "TrackNumber",
            "IsExplicit",
            "Genres",
            "Subgenres",
            "Rights",
            "Album",
            "Artists",
            "Id",
            "Name",
            "ImageUrl",
            "Link",
            "Source"
        ]
    );
    assert_eq!(keys(&lucky["Album"]), ["ReleaseDate", "Genres", "Id", "Name", "ImageUrl", "Link", "Source"]);
    let roles: Vec<_> =
        lucky["Artists"].as_array().unwrap().iter().map(|a| a["Role"].as_str().unwrap()).collect();
    assert_eq!(roles, ["PrimaryArtist", "ContributingArtist", "AlbumArtist"]);
    assert_eq!(lucky["Artists"][0]["Artist"]["Id"], lucky["Artists"][2]["Artist"]["Id"], "one ID per artist");
    assert_eq!(lucky["Duration"], "00:06:09");
    assert_eq!(lucky["Source"], "Collection");
}

async fn continuation_tokens_are_bound_and_keyset_paged(backend: Backend) {
    let server = Server::start(backend);
    let alice = server.create_user("alice");
    let bob = server.create_user("bob");
    let c = server.client();
    let ids: Vec<String> =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../catalog/demo.jsonl"))
            .unwrap()
            .lines()
            .take(60)
            .map(|l| serde_json::from_str::<Value>(l).unwrap()["Id"].as_str().unwrap().to_owned())
            .collect();
    let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    for chunk in refs.chunks(30) {
        assert_eq!(c.add(&alice, chunk).await.status, 200);
    }
    let browse = "/1/content/music/collection/tracks/browse";
    let first = c.get_auth(&format!("{browse}?maxItems=10&orderBy=ArtistName"), &alice).await.json();
    let token = first["Tracks"]["ContinuationToken"].as_str().unwrap().to_owned();
    // Another user, another list, an altered token: refused.
    let r = c.get_auth(&format!("{browse}?continuationToken={token}"), &bob).await;
    assert_eq!((r.status, r.error_code().as_str()), (400, "CONTINUATION-TOKEN-INVALID-ERROR"));
    let r = c
        .get_auth(&format!("/1/content/music/collection/albums/browse?continuationToken={token}"), &alice)
        .await;
    assert_eq!(r.error_code(), "CONTINUATION-TOKEN-INVALID-ERROR");
    let mut altered = token.clone().into_bytes();
    altered[10] = if altered[10] == b'A' { b'B' } else { b'A' };
    let r = c
        .get_auth(&format!("{browse}?continuationToken={}", String::from_utf8(altered).unwrap()), &alice)
        .await;
    assert_eq!(r.error_code(), "CONTINUATION-TOKEN-INVALID-ERROR");

    // Walk the whole list with the token alone (order and page size come from it; other
    // values sent with it are refused, see continuation_tokens.rs), deleting an item already
    // seen and adding one on the way: nothing skipped, nothing repeated.
    let mut seen: Vec<String> = first["Tracks"]["Items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["Id"].as_str().unwrap().to_owned())
        .collect();
    c.delete(&alice, &[&seen[0]]).await;
    let extra = c.add(&alice, &[ids[59].as_str()]).await;
    assert_eq!(extra.status, 200);
    let mut next = Some(token);
    while let Some(t) = next {
        let page = c.get_auth(&format!("{browse}?continuationToken={t}"), &alice).await;
        let v = page.json();
        let items = v["Tracks"]["Items"].as_array().unwrap();
        assert!(items.len() <= 10);
        seen.extend(items.iter().map(|t| t["Id"].as_str().unwrap().to_owned()));
        next = v["Tracks"]["ContinuationToken"].as_str().map(str::to_owned);
    }
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), seen.len(), "an item repeated");
    assert_eq!(seen.len(), 60, "60 tracks were there when the walk began");
    // `page` skips pages.
    let p1 = c.get_auth(&format!("{browse}?maxItems=5&page=1"), &alice).await.json();
    let p0 = c.get_auth(&format!("{browse}?maxItems=10"), &alice).await.json();
    assert_eq!(p1["Tracks"]["Items"][0]["Id"], p0["Tracks"]["Items"][5]["Id"]);
}

/// uri-content-lookup.md, catalog lookups and "Lookup of a nonexistent ID".
async fn catalog_lookups_as_documented(backend: Backend) {
    let server = Server::start(backend);
    let c = server.client();
    let token = server.create_user("alice");
    let app = server.app_token("app").await;
    // Developer token in the Authorization header, as the SDK sends it.
    let r = c.get_auth(&format!("/1/content/{DAFT_PUNK}/lookup"), &app).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let artist = &r.json()["Artists"]["Items"][0];
    assert_eq!(artist["Name"], "Daft Punk");
    assert_eq!(artist["Source"], "Catalog");
    assert_eq!(artist["Genres"], json!(["Electronic / Dance"]));
    assert_eq!(artist["Subgenres"], json!(["Dance"]));
    assert_eq!(artist["OtherIds"]["music.amg"], "P   168791");

    let r = c.send(c.get(&format!("/1/content/{RAM}/lookup")).query(&[("accessToken", app.as_str())])).await;
    let album = &r.json()["Albums"]["Items"][0];
    assert_eq!(
        keys(album),
        [
            "ReleaseDate",
            "Duration",
            "TrackCount",
            "IsExplicit",
            "LabelName",
            "Genres",
            "Subgenres",
            "AlbumType",
            "Artists",
            "Id",
            "Name",
            "ImageUrl",
            "Link",
            "OtherIds",
            "Source"
        ]
    );
    assert_eq!(album["TrackCount"], 13);

    let r = c.get_auth(&format!("/1/content/{GET_LUCKY}/lookup?source=catalog"), &token).await;
    let track = &r.json()["Tracks"]["Items"][0];
    assert_eq!(track["Name"], "Get Lucky");
    assert_eq!(track["Subtitle"], "feat. Pharrell Williams");
    assert_eq!(keys(&track["Album"]), ["Id", "Name", "ImageUrl", "Link", "Source"]);
    assert_eq!(track["Artists"][0]["Role"], "Main");
    assert_eq!(track["OtherIds"]["music.amg"], "T 29381286");

    let r = c.get_auth("/1/content/music.00000000-0000-0000-0000-000000000000/lookup", &app).await;
    assert_eq!(r.status, 404);
    assert_eq!(r.body, r#"{"Error":{"ErrorCode":"CATALOG-NO-RESULT","Description":"Item does not exist"}}"#);
    let r = c.get_auth(&format!("/1/content/{}/lookup", [GET_LUCKY; 6].join("+")), &app).await;
    assert_eq!((r.status, r.error_code().as_str()), (400, "INVALID-INPUT-PARAMETER"), "over 250 characters");
    let r = c.send(c.get(&format!("/1/content/{GET_LUCKY}/lookup"))).await;
    assert_eq!((r.status, r.error_code().as_str()), (401, "ACCESS-TOKEN-MISSING"));
    let r = c.get_auth(&format!("/1/content/{GET_LUCKY}/lookup?source=collection"), &app).await;
    assert_eq!((r.status, r.error_code().as_str()), (401, "INVALID-AUTHORIZATION-HEADER"));
}

/// uri-content-lookup.md, "Lookup by ISRC" and "Lookup by ICPN": the documented responses,
/// whole; namespace.md: on the catalog source only.
async fn lookup_by_isrc_and_icpn_as_documented(backend: Backend) {
    let server = Server::start(backend);
    let token = server.create_user("alice");
    let c = server.client();
    let r = c.get_auth("/1/content/music.isrc.GBDJQ8800006/lookup", &token).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let documented = json!({"Tracks": {"Items": [{
        "ReleaseDate": "1988-11-21T00:00:00Z",
        "Duration": "00:11:54",
        "TrackNumber": 1,
        "IsExplicit": false,
        "Genres": ["Rock"],
        "Subgenres": ["Classic Rock"],
        "Rights": ["Purchase", "Stream"],
        "Album": {
            "Id": "music.51025806-0100-11DB-89CA-0019B92A3933",
            "Name": "Delicate Sound Of Thunder",
            "ImageUrl": "https://musicimage.xboxlive.com/content/music.51025806-0100-11DB-89CA-0019B92A3933/image?locale=en-US",
            "Link": "https://music.microsoft.com/Album/51025806-0100-11DB-89CA-0019B92A3933?partnerID=AwesomePartner",
            "Source": "Catalog"
        },
        "Artists": [{"Role": "Main", "Artist": {
            "Id": "music.D6670000-0200-11DB-89CA-0019B92A3933",
            "Name": "Pink Floyd",
            "ImageUrl": "https://musicimage.xboxlive.com/content/music.D6670000-0200-11DB-89CA-0019B92A3933/image?locale=en-US",
            "Link": "https://music.microsoft.com/Artist/D6670000-0200-11DB-89CA-0019B92A3933?partnerID=AwesomePartner",
            "Source": "Catalog"
        }}],
        "Id": "music.0EE73B06-0100-11DB-89CA-0019B92A3933",
        "Name": "Shine On You Crazy Diamond (Parts 1-5)",
        "ImageUrl": "https://musicimage.xboxlive.com/content/music.0EE73B06-0100-11DB-89CA-0019B92A3933/image?locale=en-US",
        "Link": "https://music.microsoft.com/Track/0EE73B06-0100-11DB-89CA-0019B92A3933?partnerID=AwesomePartner",
        "OtherIds": {"music.amg": "T  1530616", "music.isrc": "GBDJQ8800006"},
        "Source": "Catalog"
    }]}});
    assert_eq!(r.json(), documented);

    let r = c.get_auth("/1/content/music.icpn.886443927087/lookup", &token).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let album = &r.json()["Albums"]["Items"][0];
    assert_eq!(album["Id"], RAM);
    assert_eq!(album["Name"], "Random Access Memories");
    assert_eq!(album["LabelName"], "Columbia");
    assert_eq!(album["AlbumType"], "Album");
    assert_eq!(album["TrackCount"], 13);
    assert_eq!(album["OtherIds"], json!({"music.amg": "R  2749955", "music.icpn": "886443927087"}));
    assert_eq!(album["Artists"][0]["Artist"]["Id"], DAFT_PUNK);
    // The EAN-13 spelling of the same UPC, a hyphenated lower-case ISRC, and a batch that
    // mixes them with a catalog ID: one item each, in the usual lists.
    let path = format!("/1/content/music.icpn.0886443927087+music.isrc.gb-djq-88-00006+{DAFT_PUNK}/lookup");
    let r = c.get_auth(&path, &token).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    assert_eq!(v["Albums"]["Items"][0]["Id"], RAM);
    assert_eq!(v["Tracks"]["Items"][0]["Id"], "music.0EE73B06-0100-11DB-89CA-0019B92A3933");
    assert_eq!(v["Artists"]["Items"][0]["Id"], DAFT_PUNK);
    // An application (no user) looks up the catalog too.
    let app = server.app_token("app").await;
    let r = c.get_auth("/1/content/music.isrc.GBDJQ8800006/lookup", &app).await;
    assert_eq!(r.json(), documented);

    // Not in the catalog, not an ISRC at all, or not on the catalog source.
    let r = c.get_auth("/1/content/music.isrc.USABC0000001/lookup", &token).await;
    assert_eq!((r.status, r.error_code().as_str()), (404, "CATALOG-NO-RESULT"));
    let r = c.get_auth("/1/content/music.isrc.GBDJQ880000/lookup?source=catalog", &token).await;
    assert_eq!((r.status, r.error_code().as_str()), (404, "CATALOG-NO-RESULT"));
    // Saved in the collection, the track is still not found there by ISRC.
    assert_eq!(c.add(&token, &["music.0EE73B06-0100-11DB-89CA-0019B92A3933"]).await.status, 200);
    let r = c.get_auth("/1/content/music.isrc.GBDJQ8800006/lookup?source=collection", &token).await;
    assert_eq!((r.status, r.error_code().as_str()), (404, "COLLECTION-NO-RESULT"));
}

/// uri-content-lookup.md, "More complex example": a batch, in XML.
async fn batch_lookup_in_xml(backend: Backend) {
    let server = Server::start(backend);
    let token = server.create_user("alice");
    let c = server.client();
    let path = format!("/1/content/{GET_LUCKY}+{RAM}+{DAFT_PUNK}/lookup?source=catalog");
    let r = c.send(c.get(&path).bearer_auth(&token).header("Accept", "application/xml")).await;
    assert_eq!(r.status, 200);
    let b = &r.body;
    assert!(b.starts_with("<ContentResponse xmlns:i=\"http://www.w3.org/2001/XMLSchema-instance\" xmlns=\"http://schemas.microsoft.com/xboxmusic/2013/10/platform\"><Albums><Items><Album><Id>music.B13EB907-0100-11DB-89CA-0019B92A3933</Id>"), "{b}");
    let (albums, artists, tracks) =
        (b.find("<Albums>").unwrap(), b.find("<Artists><Items>").unwrap(), b.find("<Tracks>").unwrap());
    assert!(albums < artists && artists < tracks, "DataContract order: Albums, Artists, Tracks");
    assert!(b.contains("<Duration>PT6M9S</Duration>"), "xs:duration");
    assert!(b.contains("<Genres><Genre>Pop</Genre></Genres>"));
    assert!(b.contains(
        "<OtherIds><OtherId><Namespace>music.amg</Namespace><Id>T 29381286</Id></OtherId></OtherIds>"
    ));
    assert!(b.contains("<Artist><Id>music.C61C0000-0200-11DB-89CA-0019B92A3933</Id>"));
}

/// json-paginatedlist.md: an album of more than 25 tracks, and its continuation.
async fn lookup_extras_and_their_continuation(backend: Backend) {
    let server = Server::start(backend);
    let token = server.create_user("alice");
    let c = server.client();
    let r =
        c.get_auth(&format!("/1/content/{WHITE_ALBUM}/lookup?extras=Tracks&source=catalog"), &token).await;
    let v = r.json();
    let tracks = &v["Albums"]["Items"][0]["Tracks"];
    assert_eq!(tracks["Items"].as_array().unwrap().len(), 25);
    assert_eq!(tracks["TotalItemCount"], 30);
    assert!(tracks["Items"][0].get("Album").is_none(), "tracks of an album do not repeat it");
    assert_eq!(tracks["Items"][0]["TrackNumber"], 1);
    let token2 = tracks["ContinuationToken"].as_str().unwrap();
    let r = c
        .get_auth(
            &format!("/1/content/{WHITE_ALBUM}/lookup?source=catalog&continuationToken={token2}"),
            &token,
        )
        .await;
    let rest = &r.json()["Albums"]["Items"][0]["Tracks"];
    assert_eq!(rest["Items"].as_array().unwrap().len(), 5);
    assert_eq!(rest["Items"][0]["TrackNumber"], 26);
    assert!(rest.get("ContinuationToken").is_none());
    // The token belongs to that ID.
    let r = c
        .get_auth(&format!("/1/content/{RAM}/lookup?source=catalog&continuationToken={token2}"), &token)
        .await;
    assert_eq!(r.error_code(), "CONTINUATION-TOKEN-INVALID-ERROR");

    // Artist extras, and details of credited artists and albums.
    let r = c.get_auth(&format!("/1/content/{DAFT_PUNK}+{GET_LUCKY}/lookup?source=catalog&extras=Albums+TopTracks+AlbumDetails+ArtistDetails"), &token).await;
    let v = r.json();
    let artist = &v["Artists"]["Items"][0];
    assert!(artist["Albums"]["TotalItemCount"].as_i64().unwrap() >= 3);
    assert!(names(&artist["Albums"]).contains(&"Random Access Memories".to_owned()));
    assert!(!artist["TopTracks"]["Items"].as_array().unwrap().is_empty());
    let track = &v["Tracks"]["Items"][0];
    assert_eq!(track["Album"]["TrackCount"], 13, "AlbumDetails");
    let r = c.get_auth(&format!("/1/content/{GET_LUCKY}/lookup?extras=Nonsense"), &token).await;
    assert_eq!(r.error_code(), "INVALID-INPUT-PARAMETER");
}

/// uri-content-lookup.md, "Collection album lookup" and "Collection+Catalog batch lookup".
async fn collection_lookups_as_documented(backend: Backend) {
    let server = Server::start(backend);
    let (token, c) = documented_collection(&server, "alice").await;
    let r = c.get_auth(&format!("/1/content/{RAM}/lookup?source=collection"), &token).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let album = &r.json()["Albums"]["Items"][0];
    assert_eq!(album["Source"], "Collection");
    assert!(album["Id"].as_str().unwrap().starts_with("music.AQEP"));
    assert_eq!(album["Name"], "Random Access Memories");

    let artists = c.get_auth("/1/content/music/collection/artists/browse", &token).await.json();
    let daft = artists["Artists"]["Items"][1]["Id"].as_str().unwrap().to_owned();
    let r = c
        .get_auth(&format!("/1/content/{TRUST_YOU_AGAIN}+{daft}/lookup?source=collection+catalog"), &token)
        .await;
    let v = r.json();
    assert_eq!(keys(&v), ["Artists", "Tracks"]);
    assert_eq!(v["Artists"]["Items"][0]["Id"], daft.as_str());
    assert_eq!(v["Artists"]["Items"][0]["Source"], "Collection");
    assert_eq!(v["Tracks"]["Items"][0]["Source"], "Catalog");
    // The default for a user is collection+catalog.
    let r = c.get_auth(&format!("/1/content/{TRUST_YOU_AGAIN}+{daft}/lookup"), &token).await;
    assert_eq!(r.json(), v);

    let r = c.get_auth(&format!("/1/content/{TRUST_YOU_AGAIN}/lookup?source=collection"), &token).await;
    assert_eq!((r.status, r.error_code().as_str()), (404, "COLLECTION-NO-RESULT"));
    // Another user's collection ID is not found in mine.
    let bob = server.create_user("bob");
    let r = c.get_auth(&format!("/1/content/{daft}/lookup"), &bob).await;
    assert_eq!(r.status, 404);
    // A collection album with its tracks (extras=Tracks on the collection).
    let albums = c.get_auth("/1/content/music/collection/albums/browse", &token).await.json();
    let ram = albums["Albums"]["Items"][2]["Id"].as_str().unwrap().to_owned();
    let r = c.get_auth(&format!("/1/content/{ram}/lookup?extras=Tracks"), &token).await;
    assert_eq!(names(&r.json()["Albums"]["Items"][0]["Tracks"]), ["Get Lucky (feat. Pharrell Williams)"]);
}

/// uri-browse-sub-items.md.
async fn sub_browse_as_documented(backend: Backend) {
    let server = Server::start(backend);
    let (token, c) = documented_collection(&server, "alice").await;
    // "Get the first 3 tracks of the album Discovery".
    let r =
        c.get_auth(&format!("/1/content/{DISCOVERY}/catalog/album/tracks/browse?maxItems=3"), &token).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    let tracks = &v["Albums"]["Items"][0]["Tracks"];
    assert_eq!(tracks["Items"].as_array().unwrap().len(), 3);
    assert_eq!(tracks["TotalItemCount"], 14);
    let page1 = c
        .get_auth(&format!("/1/content/{DISCOVERY}/catalog/album/tracks/browse?maxItems=3&page=1"), &token)
        .await;
    assert_eq!(page1.json()["Albums"]["Items"][0]["Tracks"]["Items"][0]["TrackNumber"], 4);
    let next = tracks["ContinuationToken"].as_str().unwrap();
    let cont = c
        .get_auth(
            &format!("/1/content/{DISCOVERY}/catalog/album/tracks/browse?continuationToken={next}"),
            &token,
        )
        .await;
    assert_eq!(cont.json()["Albums"]["Items"][0]["Tracks"]["Items"][0]["TrackNumber"], 4);

    // An artist's albums and top tracks, 5 by 5.
    let r = c.get_auth(&format!("/1/content/{DAFT_PUNK}/catalog/artist/albums/browse"), &token).await;
    assert!(names(&r.json()["Artists"]["Items"][0]["Albums"]).contains(&"Discovery".to_owned()));
    let r = c
        .get_auth(&format!("/1/content/{DAFT_PUNK}/catalog/artist/toptracks/browse?maxItems=5"), &token)
        .await;
    let top = &r.json()["Artists"]["Items"][0]["TopTracks"];
    assert_eq!(top["Items"].as_array().unwrap().len(), 5);
    assert!(top["ContinuationToken"].is_string());

    // The collection: an artist's albums.
    let artists = c.get_auth("/1/content/music/collection/artists/browse", &token).await.json();
    let daft = artists["Artists"]["Items"][1]["Id"].as_str().unwrap().to_owned();
    let r = c.get_auth(&format!("/1/content/{daft}/collection/artist/albums/browse"), &token).await;
    assert_eq!(names(&r.json()["Artists"]["Items"][0]["Albums"]), ["Random Access Memories"]);

    let r = c.get_auth(&format!("/1/content/{DAFT_PUNK}/catalog/album/tracks/browse"), &token).await;
    assert_eq!((r.status, r.error_code().as_str()), (404, "CATALOG-NO-RESULT"), "an artist is not an album");
    let r = c.get_auth(&format!("/1/content/{DISCOVERY}/catalog/album/albums/browse"), &token).await;
    assert_eq!(r.error_code(), "INVALID-INPUT-PARAMETER");
    let r = c
        .get_auth(&format!("/1/content/{DISCOVERY}/catalog/album/tracks/browse?orderBy=ArtistName"), &token)
        .await;
    assert_eq!(r.error_code(), "INCOMPATIBLE-INPUT-PARAMETERS");
}

fn item_ids(list: &Value) -> Vec<String> {
    list["Items"].as_array().unwrap().iter().map(|i| i["Id"].as_str().unwrap().to_owned()).collect()
}

/// uri-search-content.md.
async fn search_as_documented(backend: Backend) {
    let server = Server::start(backend);
    let (token, c) = documented_collection(&server, "alice").await;
    let r = c.get_auth("/1/content/music/search?q=daft+punk&source=catalog", &token).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    assert_eq!(keys(&v), ["Artists", "Albums", "Tracks", "Culture"]);
    assert_eq!(v["Artists"]["Items"][0]["Name"], "Daft Punk", "an exact match first");
    assert_eq!(v["Artists"]["Items"][0]["CompatibleSources"], "Catalog, Collection");
    assert!(v["Tracks"]["TotalItemCount"].as_i64().unwrap() > 25);
    assert_eq!(v["Tracks"]["Items"].as_array().unwrap().len(), 25);

    // Case and accents do not matter.
    for q in ["bjork", "BJÖRK", "Björk", "bjö"] {
        let r = c
            .get_auth(&format!("/1/content/music/search?q={q}&filters=artists&source=catalog"), &token)
            .await;
        assert_eq!(item_ids(&r.json()["Artists"])[0], BJORK, "{q}");
    }
    let r =
        c.get_auth("/1/content/music/search?q=daft+punk&filters=albums+tracks&source=catalog", &token).await;
    assert_eq!(keys(&r.json()), ["Albums", "Tracks", "Culture"]);

    // Both sources: the collection's matches first, then the catalog's, one continuation.
    let r =
        c.get_auth("/1/content/music/search?q=daft+punk&source=collection+catalog&maxItems=10", &token).await;
    let v = r.json();
    assert_eq!(v["Artists"]["Items"][0]["Source"], "Collection");
    assert_eq!(v["Artists"]["Items"][1]["Source"], "Catalog");
    let tracks = &v["Tracks"];
    assert_eq!(tracks["Items"][0]["Source"], "Collection");
    let mut all = item_ids(tracks);
    let mut next = tracks["ContinuationToken"].as_str().map(str::to_owned);
    while let Some(t) = next {
        let page = c.get_auth(&format!("/1/content/music/search?continuationToken={t}"), &token).await.json();
        assert_eq!(keys(&page), ["Tracks", "Culture"]);
        all.extend(item_ids(&page["Tracks"]));
        next = page["Tracks"]["ContinuationToken"].as_str().map(str::to_owned);
    }
    assert_eq!(i64::try_from(all.len()).unwrap(), tracks["TotalItemCount"].as_i64().unwrap());

    let r = c.get_auth("/1/content/music/search", &token).await;
    assert_eq!((r.status, r.error_code().as_str()), (400, "MISSING-INPUT-PARAMETER"));
    let r = c.get_auth(&format!("/1/content/music/search?q={}", "a".repeat(300)), &token).await;
    assert_eq!(r.error_code(), "INVALID-INPUT-PARAMETER");
    let r = c.get_auth("/1/content/music/search?q=x&filters=videos", &token).await;
    assert_eq!(r.error_code(), "INVALID-INPUT-PARAMETER");
    let r = c.get_auth("/1/content/music/search?q=x&maxItems=26", &token).await;
    assert_eq!(r.error_code(), "INVALID-INPUT-PARAMETER");
}

/// uri-access-user-profile.md and json-collectionstate.md: the state token moves with the
/// collection and is the one checked on writes.
async fn profile_and_collection_state(backend: Backend) {
    let server = Server::start_with(backend, &["--max-tracks", "10"]);
    let token = server.create_user("alice");
    let c = server.client();
    let r = c.get_auth("/1/user/music/profile", &token).await;
    assert_eq!(r.status, 200);
    let v = r.json();
    assert_eq!(keys(&v), ["HasSubscription", "IsSubscriptionAvailableForPurchase", "Culture", "Collection"]);
    // Counts of zero are omitted, as in the json-userprofileresponse.md sample.
    assert_eq!(keys(&v["Collection"]), ["Token", "RemainingPlaylistCount", "RemainingTrackCount"]);
    assert_eq!(v["Collection"]["RemainingTrackCount"], 10);
    let token0 = v["Collection"]["Token"].as_str().unwrap().to_owned();

    c.add(&token, &[GET_LUCKY, ALEPH]).await;
    let v = c.get_auth("/1/user/music/profile", &token).await.json();
    assert_eq!(v["Collection"]["TrackCount"], 2);
    assert_eq!(v["Collection"]["RemainingTrackCount"], 8);
    let token1 = v["Collection"]["Token"].as_str().unwrap().to_owned();
    assert_ne!(token0, token1);
    // Re-adding changes nothing, so neither does the token.
    c.add(&token, &[GET_LUCKY]).await;
    assert_eq!(
        c.get_auth("/1/user/music/profile", &token).await.json()["Collection"]["Token"],
        token1.as_str()
    );

    let add = "/1/content/music/collection/add";
    let r = c.post_json(add, &token, &json!({"TrackIds": [PURSUIT], "CollectionStateToken": token0})).await;
    assert_eq!(r.status, 409);
    let r = c.post_json(add, &token, &json!({"TrackIds": [PURSUIT], "CollectionStateToken": token1})).await;
    assert_eq!(r.status, 200);

    let r = c.get_auth("/1/user/music/profile?country=fr", &token).await;
    assert_eq!(r.json()["Culture"], "fr-FR");
    let r = c.get_auth("/1/user/music/profile?country=france", &token).await;
    assert_eq!(r.error_code(), "INVALID-INPUT-PARAMETER");
    let r =
        c.send(c.get("/1/user/music/profile").header("Accept", "application/xml").bearer_auth(&token)).await;
    assert!(r.body.contains("<Collection><RemainingPlaylistCount>100</RemainingPlaylistCount><RemainingTrackCount>7</RemainingTrackCount><Token>"), "{}", r.body);
}

backend_tests!(
    browse_artists_as_documented,
    browse_albums_as_documented,
    browse_tracks_as_documented,
    continuation_tokens_are_bound_and_keyset_paged,
    catalog_lookups_as_documented,
    lookup_by_isrc_and_icpn_as_documented,
    batch_lookup_in_xml,
    lookup_extras_and_their_continuation,
    collection_lookups_as_documented,
    sub_browse_as_documented,
    search_as_documented,
    profile_and_collection_state
);
