//! What an operator meets: the command line, its messages, and the data directory.
#![allow(clippy::unwrap_used, reason = "test code: a failed unwrap is a failed test")]

mod common;

use common::*;

/// Every log line of a request carries the operation's name, in the `request` span.
async fn log_lines_of_a_request_name_its_endpoint(b: Backend) {
    let s = Server::start_with_env(b, &[], &[("RUST_LOG", "info,groove_service=debug")]);
    let token = s.create_user("logged");
    let r = s.client().add(&token, &[GET_LUCKY]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let line = loop {
        let found = s.logs().into_iter().find_map(|l| {
            let v: serde_json::Value = serde_json::from_str(&l).ok()?;
            (v["fields"]["message"] == "answered").then_some(v)
        });
        match found {
            Some(v) => break v,
            None if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            None => panic!("no log line of the request: {:?}", s.logs()),
        }
    };
    assert_eq!(line["span"]["name"], "request", "{line}");
    assert_eq!(line["span"]["endpoint"], "collection_add", "{line}");
}

backend_tests!(log_lines_of_a_request_name_its_endpoint);
