//! Connections that say nothing, or never finish what they say, are closed in time, their
//! number is bounded, and `/healthz` stays fast meanwhile. Loopback only; every test is
//! bounded in connections and in time. Connection handling does not depend on the storage
//! backend: these run on the embedded one.
#![allow(clippy::unwrap_used, reason = "test code: a failed unwrap is a failed test")]

mod common;

use common::*;
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

const HEADER_TIMEOUT: f64 = 1.0;
const IDLE_TIMEOUT: f64 = 1.5;
const BODY_TIMEOUT: f64 = 1.0;

fn limits(max_connections: usize) -> Vec<String> {
    vec![
        "--header-timeout".into(),
        HEADER_TIMEOUT.to_string(),
        "--idle-timeout".into(),
        IDLE_TIMEOUT.to_string(),
        "--body-timeout".into(),
        BODY_TIMEOUT.to_string(),
        "--max-connections".into(),
        max_connections.to_string(),
    ]
}

fn start(max_connections: usize) -> Server {
    let args = limits(max_connections);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    Server::start_with(Backend::Sqlite, &args)
}

fn connect(addr: SocketAddr) -> TcpStream {
    let s = TcpStream::connect(addr).unwrap();
    s.set_nodelay(true).unwrap();
    s
}

/// Reads until the server closes the connection, by `deadline`; returns what was read, or
/// `None` if the connection was still open then.
fn read_until_closed(s: &mut TcpStream, deadline: Instant) -> Option<String> {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return None;
        }
        s.set_read_timeout(Some(left)).unwrap();
        match s.read(&mut buf) {
            Ok(0) => return Some(String::from_utf8_lossy(&out).into_owned()),
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => return None,
            // Reset by the server: closed too.
            Err(_) => return Some(String::from_utf8_lossy(&out).into_owned()),
        }
    }
}

/// One `GET /healthz` on a fresh connection; its status and how long it took.
fn healthz(addr: SocketAddr, wait: Duration) -> (u16, Duration) {
    let started = Instant::now();
    let mut s = connect(addr);
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n").unwrap();
    let text = read_until_closed(&mut s, started + wait).unwrap_or_default();
    (text.get(9..12).and_then(|c| c.parse().ok()).unwrap_or(0), started.elapsed())
}

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[test]
fn silent_and_unfinished_connections_are_closed_in_time_and_healthz_stays_fast() {
    let server = start(512);
    let addr = server.addr;
    let pid = server.pid().unwrap();
    let rss_before = rss_kib(pid);

    // 60 that say nothing; 60 with half a head; 30 kept alive after one request; 30 with
    // half a body; 5 that trickle a head one byte at a time, never ending it.
    let mut silent: Vec<TcpStream> = (0..60).map(|_| connect(addr)).collect();
    let mut half_head: Vec<TcpStream> = (0..60)
        .map(|_| {
            let mut s = connect(addr);
            s.write_all(b"GET /healthz HTTP/1.1\r\nHost: test\r\nX-Filler: ").unwrap();
            s
        })
        .collect();
    let mut kept_alive: Vec<TcpStream> = (0..30)
        .map(|_| {
            let mut s = connect(addr);
            s.write_all(b"GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n").unwrap();
            let mut got = Vec::new();
            let mut buf = [0u8; 512];
            s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
            while !got.ends_with(b"ok\n") {
                let n = s.read(&mut buf).unwrap();
                assert!(n > 0, "closed before answering");
                got.extend_from_slice(&buf[..n]);
            }
            s
        })
        .collect();
    let opened = Instant::now();
    let mut half_body: Vec<TcpStream> = (0..30)
        .map(|_| {
            let mut s = connect(addr);
            s.write_all(
                b"POST /oauth/token HTTP/1.1\r\nHost: test\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\ngrant_type=client",
            )
            .unwrap();
            s
        })
        .collect();
    let trickle_stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let trickled: Vec<TcpStream> = (0..5).map(|_| connect(addr)).collect();
    let mut trickle_readers: Vec<TcpStream> = trickled.iter().map(|s| s.try_clone().unwrap()).collect();
    let stop = trickle_stop.clone();
    let trickling = std::thread::spawn(move || {
        let mut trickled = trickled;
        let head = b"GET /healthz HTTP/1.1\r\nHost: test\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
        for &b in head {
            if stop.load(std::sync::atomic::Ordering::Relaxed) {
                break;
            }
            for s in &mut trickled {
                let _ = s.write_all(&[b]);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    });

    // Meanwhile the server answers at once.
    for _ in 0..10 {
        let (status, took) = healthz(addr, Duration::from_secs(5));
        assert_eq!(status, 200);
        assert!(took < Duration::from_millis(500), "/healthz took {took:?}");
    }

    // Every one of them is closed within its timeout and a margin.
    let margin = Duration::from_millis(1500);
    let deadline =
        opened + Duration::from_secs_f64(HEADER_TIMEOUT.max(IDLE_TIMEOUT).max(BODY_TIMEOUT)) + margin;
    for (what, group) in [
        ("silent", &mut silent),
        ("half a head", &mut half_head),
        ("kept alive", &mut kept_alive),
        ("trickling a head", &mut trickle_readers),
    ] {
        for s in group.iter_mut() {
            let got = read_until_closed(s, deadline);
            assert!(got.is_some(), "a connection with {what} is still open after {:?}", opened.elapsed());
        }
    }
    for s in &mut half_body {
        let got = read_until_closed(s, deadline);
        let got = got.unwrap_or_else(|| panic!("a connection with half a body is still open"));
        assert!(got.starts_with("HTTP/1.1 408"), "{got}");
        assert!(got.contains("invalid_request"), "{got}");
    }
    trickle_stop.store(true, std::sync::atomic::Ordering::Relaxed);
    trickling.join().unwrap();

    let (status, took) = healthz(addr, Duration::from_secs(5));
    assert_eq!(status, 200);
    assert!(took < Duration::from_millis(500), "/healthz took {took:?}");
    // What those connections held is given back (a generous bound: no per-connection leak).
    let rss_after = rss_kib(pid);
    assert!(rss_after < rss_before + 32 * 1024, "RSS {rss_before} KiB before, {rss_after} KiB after");
}

#[test]
fn connections_past_the_limit_wait_until_one_ends() {
    let server = start(8);
    let addr = server.addr;
    let opened = Instant::now();
    let silent: Vec<TcpStream> = (0..8).map(|_| connect(addr)).collect();
    // The ninth is accepted only when the silent ones are closed (header timeout).
    let (status, took) = healthz(addr, Duration::from_secs(10));
    assert_eq!(status, 200);
    let waited = opened.elapsed();
    assert!(waited >= Duration::from_secs_f64(HEADER_TIMEOUT * 0.8), "answered after {took:?}: no limit");
    assert!(waited < Duration::from_secs_f64(HEADER_TIMEOUT) + Duration::from_secs(2), "waited {waited:?}");
    drop(silent);
}

#[test]
fn the_token_endpoint_takes_at_most_one_mebibyte() {
    let server = start(64);
    let mut body = b"grant_type=client_credentials&client_id=x&client_secret=".to_vec();
    body.resize(1536 * 1024, b'a');
    let head = format!(
        "POST /oauth/token HTTP/1.1\r\nHost: test\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let (status, reply) = raw_request(server.addr, &head, body);
    assert_eq!(status, 413, "{reply}");
    assert!(reply.contains("invalid_request"), "{reply}");
}
