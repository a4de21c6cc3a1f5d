//! The disk of the embedded store fills up: writes are answered `507` in the Groove error
//! shape with `Retry-After`, `/readyz` says the store cannot write while `/healthz` (alive)
//! stays 200, and once space returns writes work again without a restart, with nothing
//! acknowledged lost. The disk is a small tmpfs (the test needs to be allowed to mount one;
//! it says so and passes otherwise); bounded in writes and in time.
#![allow(clippy::unwrap_used, reason = "test code: a failed unwrap is a failed test")]

mod common;

use common::*;
use std::collections::HashSet;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// A tmpfs mounted for the test, unmounted when dropped.
struct SmallDisk {
    dir: PathBuf,
    _parent: tempfile::TempDir,
}

impl SmallDisk {
    fn mount(size: &str) -> Option<SmallDisk> {
        let parent = tempfile::tempdir().unwrap();
        let dir = parent.path().join("disk");
        std::fs::create_dir(&dir).unwrap();
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&dir)
            .output()
            .is_ok_and(|o| o.status.success());
        mounted.then_some(SmallDisk { dir, _parent: parent })
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.dir).status();
    }
}

/// Writes a file until the disk is full; returns its path.
fn fill(dir: &Path) -> PathBuf {
    let path = dir.join("filler");
    let mut f = std::fs::File::create(&path).unwrap();
    let block = vec![0xA5u8; 64 * 1024];
    while f.write_all(&block).is_ok() {}
    let small = [0u8; 512];
    while f.write_all(&small).is_ok() {}
    let _ = f.sync_all();
    path
}

fn demo_ids() -> Vec<String> {
    include_str!("../../../catalog/demo.jsonl")
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["Id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_is_told_and_writes_recover_when_space_returns() {
    let Some(disk) = SmallDisk::mount("24m") else {
        eprintln!("SKIPPED: mounting a tmpfs is not permitted here (the test needs to run as root)");
        return;
    };
    let data = disk.dir.join("data");
    let server = Server::start_in(&data, &[]);
    let token = server.create_user("alice");
    let c = server.client();
    let ids = demo_ids();
    let mut acknowledged = HashSet::new();
    let r = c.add(&token, &[&ids[0]]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    acknowledged.insert(assigned_ids(&r)[0].clone().unwrap());

    let filler = fill(&disk.dir);
    // Writes go on until the log cannot grow: within a bounded number of them, one is refused.
    let mut refused = None;
    for (n, id) in ids[1..].iter().enumerate().take(400) {
        let r = c.add(&token, &[id]).await;
        if r.status != 200 {
            refused = Some((n, r));
            break;
        }
        acknowledged.insert(assigned_ids(&r)[0].clone().unwrap());
    }
    let (_, r) = refused.expect("400 writes fit on a full disk");
    assert_eq!(r.status, 507, "{}", r.body);
    assert_eq!(r.error_code(), "COLLECTION-OPERATION-UNKNOWN-ERROR", "{}", r.body);
    assert!(r.json()["Error"]["Message"].as_str().unwrap().contains("no storage space"), "{}", r.body);
    assert_eq!(r.header("retry-after"), Some("60"));
    let ready = c.send(c.get("/readyz")).await;
    assert_eq!(ready.status, 503, "{}", ready.body);
    assert!(ready.body.contains("out of space"), "{}", ready.body);
    assert_eq!(c.send(c.get("/healthz")).await.status, 200);
    // Reads still work.
    let r = c.get_auth("/1/content/music/collection/tracks/browse", &token).await;
    assert_eq!(r.status, 200, "{}", r.body);

    // Space returns: writes work again, without a restart.
    std::fs::remove_file(filler).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let pending = &ids[ids.len() - 1];
    loop {
        let r = c.add(&token, &[pending]).await;
        if r.status == 200 {
            acknowledged.insert(assigned_ids(&r)[0].clone().unwrap());
            break;
        }
        assert_eq!(r.status, 507, "{}", r.body);
        assert!(Instant::now() < deadline, "writes did not recover: {}", r.body);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(c.send(c.get("/readyz")).await.status, 200);
    let stored: HashSet<String> = c.all_track_ids(&token).await.into_iter().collect();
    let lost: Vec<_> = acknowledged.difference(&stored).collect();
    assert!(lost.is_empty(), "acknowledged and lost: {lost:?}");
    drop(server);
    drop(disk);
}
