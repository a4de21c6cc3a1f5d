//! The body of `collection/add` and `collection/delete` (TrackActionRequest), in JSON and in
//! XML, read as the handlers read it after the server's characters check. No input panics;
//! a body that passes the check and decodes holds only text XML can carry, and no more IDs
//! than a call may carry.
#![no_main]

use groove_service::handlers::collection::track_ids;
use groove_service::text::check_body;
use groove_service::writes::MAX_IDS_PER_CALL;
use groove_wire::model::TrackActionRequest;
use groove_wire::text::forbidden_char;
use http::HeaderMap;
use http::header::{CONTENT_TYPE, HeaderValue};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let checked = check_body(data).is_ok();
    for content_type in [None, Some("application/json"), Some("application/xml")] {
        let mut headers = HeaderMap::new();
        if let Some(t) = content_type {
            headers.insert(CONTENT_TYPE, HeaderValue::from_static(t));
        }
        if let Ok((ids, _version)) = track_ids(&headers, data) {
            assert!(!ids.is_empty() && ids.len() <= MAX_IDS_PER_CALL);
            if checked {
                for id in &ids {
                    assert_eq!(forbidden_char(id), None, "{id:?} passed the check");
                }
            }
        }
    }
    // The decoders alone, without the limits.
    if let Ok(req) = TrackActionRequest::from_xml(data) {
        if checked {
            let texts = req.track_ids.iter().flatten().chain(&req.collection_state_token);
            for t in texts {
                assert_eq!(forbidden_char(t), None, "{t:?} passed the check");
            }
        }
    }
    let _ = serde_json::from_slice::<TrackActionRequest>(data);
});
