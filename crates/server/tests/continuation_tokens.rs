//! Continuation tokens are opaque (encrypted, not only signed), and parameters sent with a
//! token must not contradict it: `400 INCOMPATIBLE-INPUT-PARAMETERS` rather than the token
//! silently winning.
#![allow(clippy::unwrap_used, reason = "test code: a failed unwrap is a failed test")]

mod common;

use base64::Engine as _;
use common::*;

const BROWSE: &str = "/1/content/music/collection/tracks/browse";

fn token_of(r: &Reply, list: &str) -> String {
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()[list]["ContinuationToken"].as_str().unwrap_or_else(|| panic!("no token: {}", r.body)).to_owned()
}

async fn tokens_show_nothing_of_what_they_hold(b: Backend) {
    let server = Server::start(b);
    let token = server.create_user("alice");
    let c = server.client();
    assert_eq!(c.add(&token, &[GET_LUCKY, JE_REFUSE, ALEPH]).await.status, 200);
    let first = c.get_auth(&format!("{BROWSE}?maxItems=1"), &token).await;
    let next = token_of(&first, "Tracks");
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(&next).unwrap();
    let text = String::from_utf8_lossy(&raw).to_lowercase();
    for shown in ["\"u\"", "tracktitle", "collection", "aleph", "get lucky", "je refuse"] {
        assert!(!text.contains(shown), "{shown} readable in the token: {text}");
    }
    let r = c.get_auth(&format!("{BROWSE}?continuationToken={next}"), &token).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["Tracks"]["Items"].as_array().unwrap().len(), 1);
}

async fn browse_parameters_must_agree_with_the_token(b: Backend) {
    let server = Server::start(b);
    let token = server.create_user("alice");
    let c = server.client();
    assert_eq!(c.add(&token, &[GET_LUCKY, JE_REFUSE, ALEPH]).await.status, 200);
    let first = c.get_auth(&format!("{BROWSE}?maxItems=1&orderBy=TrackTitle"), &token).await;
    let next = token_of(&first, "Tracks");
    for contradicting in ["orderBy=ArtistName", "maxItems=2", "maxItems=25", "orderBy=TrackTitle&maxItems=5"]
    {
        let r = c.get_auth(&format!("{BROWSE}?continuationToken={next}&{contradicting}"), &token).await;
        assert_eq!(r.status, 400, "{contradicting}: {}", r.body);
        assert_eq!(r.error_code(), "INCOMPATIBLE-INPUT-PARAMETERS", "{contradicting}: {}", r.body);
    }
    for agreeing in ["", "&orderBy=TrackTitle", "&orderby=tracktitle&maxItems=1", "&maxItems=1"] {
        let r = c.get_auth(&format!("{BROWSE}?continuationToken={next}{agreeing}"), &token).await;
        assert_eq!(r.status, 200, "{agreeing}: {}", r.body);
        assert_eq!(r.json()["Tracks"]["Items"].as_array().unwrap().len(), 1, "{agreeing}");
    }
}

async fn search_parameters_must_agree_with_the_token(b: Backend) {
    let server = Server::start(b);
    let token = server.create_user("alice");
    let c = server.client();
    let search = "/1/content/music/search";
    let first =
        c.get_auth(&format!("{search}?q=daft+punk&source=catalog&filters=tracks&maxItems=1"), &token).await;
    let next = token_of(&first, "Tracks");
    for contradicting in ["q=aleph", "maxItems=3"] {
        let r = c.get_auth(&format!("{search}?continuationToken={next}&{contradicting}"), &token).await;
        assert_eq!(r.status, 400, "{contradicting}: {}", r.body);
        assert_eq!(r.error_code(), "INCOMPATIBLE-INPUT-PARAMETERS", "{contradicting}: {}", r.body);
    }
    for agreeing in ["", "&q=daft+punk", "&q=daft+punk&maxItems=1"] {
        let r = c.get_auth(&format!("{search}?continuationToken={next}{agreeing}"), &token).await;
        assert_eq!(r.status, 200, "{agreeing}: {}", r.body);
    }
}

backend_tests!(
    tokens_show_nothing_of_what_they_hold,
    browse_parameters_must_agree_with_the_token,
    search_parameters_must_agree_with_the_token,
);
