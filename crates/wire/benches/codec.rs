//! Codec micro-benchmarks: the request and response bodies of the collection calls.
//!
//! - decoding a `TrackActionRequest` of 10 and 100 IDs, from JSON and from XML;
//! - encoding a `TrackActionResponse` of 10 results, to JSON and to XML;
//! - encoding a `ContentResponse` of 25 collection tracks (a browse page), to JSON and XML.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use groove_wire::ids::{CollectionId, CollectionKind};
use groove_wire::model::{
    Album, Artist, Content, ContentResponse, ContentSource, Contributor, PaginatedList, Track,
    TrackActionRequest, TrackActionResponse, TrackActionResult,
};
use groove_wire::xml::{ARRAYS_NS, PLATFORM_NS, XSI_NS, to_document};
use std::hint::black_box;
use std::time::Duration;

fn catalog_id(i: usize) -> String {
    format!("music.{:08X}-0100-11DB-89CA-0019B92A3933", 0x4000_0000 + i)
}

fn json_request(n: usize) -> String {
    let ids: Vec<String> = (0..n).map(catalog_id).collect();
    serde_json::json!({ "TrackIds": ids }).to_string()
}

fn xml_request(n: usize) -> String {
    let mut s = format!(
        r#"<TrackActionRequest xmlns:i="{XSI_NS}" xmlns="{PLATFORM_NS}"><TrackIds xmlns:d2p1="{ARRAYS_NS}">"#
    );
    for i in 0..n {
        s.push_str("<d2p1:string>");
        s.push_str(&catalog_id(i));
        s.push_str("</d2p1:string>");
    }
    s.push_str("</TrackIds></TrackActionRequest>");
    s
}

fn action_response(n: usize) -> TrackActionResponse {
    TrackActionResponse {
        track_action_results: (0..n)
            .map(|i| TrackActionResult {
                input_id: catalog_id(i),
                id: Some(CollectionId::new(CollectionKind::Track).to_string()),
                error: None,
            })
            .collect(),
        error: None,
    }
}

fn collection_content(name: String, kind: CollectionKind) -> Content {
    Content {
        id: Some(CollectionId::new(kind).to_string()),
        name: Some(name),
        source: Some(ContentSource::Collection),
        ..Content::default()
    }
}

/// A track as collection browse shows it: collection IDs, its album and its artists.
fn collection_track(i: usize) -> Track {
    let artist = |name: &str, role: &str| Contributor {
        role: role.to_owned(),
        artist: Artist {
            content: collection_content(name.to_owned(), CollectionKind::Artist),
            ..Artist::default()
        },
    };
    Track {
        release_date: Some("2013-05-09T00:00:00Z".to_owned()),
        duration: Some(groove_wire::duration::Duration::from_secs(180 + i as u64)),
        track_number: i32::try_from(i % 12 + 1).ok(),
        is_explicit: Some(false),
        genres: Some(vec!["Electronic / Dance".to_owned()]),
        subgenres: Some(vec!["House".to_owned()]),
        rights: Some(vec!["Purchase".to_owned(), "Stream".to_owned()]),
        album: Some(Box::new(Album {
            release_date: Some("2013-05-09T00:00:00Z".to_owned()),
            genres: Some(vec!["Electronic / Dance".to_owned()]),
            content: collection_content(format!("Random Access Memories {}", i / 12), CollectionKind::Album),
            ..Album::default()
        })),
        artists: Some(vec![
            artist("Daft Punk", "PrimaryArtist"),
            artist("Pharrell Williams", "ContributingArtist"),
            artist("Daft Punk", "AlbumArtist"),
        ]),
        content: collection_content(
            format!("Get Lucky {i} (feat. Pharrell Williams)"),
            CollectionKind::Track,
        ),
        ..Track::default()
    }
}

fn browse_page() -> ContentResponse {
    ContentResponse {
        tracks: Some(PaginatedList {
            items: (0..25).map(collection_track).collect(),
            continuation_token: Some("AXsidSI6NywibCI6ImNvbGxlY3Rpb24vdHJhY2tzIn0_continued".to_owned()),
            total_item_count: None,
        }),
        ..ContentResponse::default()
    }
}

fn decode_request(c: &mut Criterion) {
    let mut group = c.benchmark_group("decode TrackActionRequest");
    for n in [10, 100] {
        let json = json_request(n);
        let xml = xml_request(n);
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::new("json", n), &json, |b, body| {
            b.iter(|| {
                let req: TrackActionRequest =
                    serde_json::from_slice(black_box(body.as_bytes())).expect("the body is valid");
                black_box(req)
            });
        });
        group.bench_with_input(BenchmarkId::new("xml", n), &xml, |b, body| {
            b.iter(|| {
                black_box(TrackActionRequest::from_xml(black_box(body.as_bytes())).expect("valid XML"))
            });
        });
    }
    group.finish();
}

fn encode_action_response(c: &mut Criterion) {
    let mut group = c.benchmark_group("encode TrackActionResponse");
    let response = action_response(10);
    group.throughput(Throughput::Elements(10));
    group.bench_function("json/10", |b| {
        b.iter(|| black_box(serde_json::to_vec(black_box(&response)).expect("encodes")));
    });
    group.bench_function("xml/10", |b| {
        b.iter(|| black_box(to_document("TrackActionResponse", black_box(&response))));
    });
    group.finish();
}

fn encode_browse_page(c: &mut Criterion) {
    let mut group = c.benchmark_group("encode ContentResponse");
    let page = browse_page();
    group.throughput(Throughput::Elements(25));
    group.bench_function("json/25 tracks", |b| {
        b.iter(|| black_box(serde_json::to_vec(black_box(&page)).expect("encodes")));
    });
    group.bench_function("xml/25 tracks", |b| {
        b.iter(|| black_box(to_document("ContentResponse", black_box(&page))));
    });
    group.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
}

criterion_group! {
    name = benches;
    config = config();
    targets = decode_request, encode_action_response, encode_browse_page
}
criterion_main!(benches);
