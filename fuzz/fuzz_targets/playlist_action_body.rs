//! The body of playlist create, update and delete (PlaylistAction), in JSON and in XML, read
//! as the handlers read it after the server's characters check. No input panics; a body
//! that passes the check and decodes holds only text XML can carry.
#![no_main]

use groove_service::handlers::playlists::decode;
use groove_service::text::check_body;
use groove_wire::model::PlaylistAction;
use groove_wire::text::forbidden_char;
use http::HeaderMap;
use http::header::{CONTENT_TYPE, HeaderValue};
use libfuzzer_sys::fuzz_target;

fn texts(a: &PlaylistAction) -> Vec<&str> {
    let mut out: Vec<&str> = [&a.id, &a.collection_state_token, &a.name, &a.insert_before_track_id]
        .into_iter()
        .flatten()
        .map(String::as_str)
        .collect();
    for t in a.track_actions.iter().flatten() {
        out.extend(t.id.as_deref());
        out.extend(t.action.as_deref());
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let checked = check_body(data).is_ok();
    for content_type in [None, Some("application/json"), Some("text/xml")] {
        let mut headers = HeaderMap::new();
        if let Some(t) = content_type {
            headers.insert(CONTENT_TYPE, HeaderValue::from_static(t));
        }
        if let Ok(action) = decode(&headers, data) {
            if checked {
                for t in texts(&action) {
                    assert_eq!(forbidden_char(t), None, "{t:?} passed the check");
                }
            }
        }
    }
    let _ = PlaylistAction::from_xml(data);
    let _ = serde_json::from_slice::<PlaylistAction>(data);
});
