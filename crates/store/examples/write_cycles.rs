//! The steady workload's writes without HTTP: `USERS` users each add 10 catalog tracks and
//! delete them again, all users at once (so that the writer commits them in groups, as under
//! load), `CYCLES` times. `bench/write-cost.sh` runs it under Callgrind twice, with two cycle
//! counts, and reports the instructions each cycle costs: a measure of the write path's CPU
//! work that a noisy, shared machine does not disturb.
//!
//!     cargo run --release -p groove-store --example write_cycles -- CYCLES [USERS]
//!
//! `GROOVE_RETENTION_DAYS` sets how long deleted tracks are kept for restore, as for the
//! server (default 30 days; 0 keeps nothing).

#[path = "../benches/common/mod.rs"]
mod common;

use groove_store::{AddOutcome, AddTracks, DeleteTracks, Store};

fn main() {
    let mut args = std::env::args().skip(1);
    let cycles: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(100);
    let users: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(32);
    let f = common::fixture(users * 10 + 12, 0);
    // As the server's setting: `GROOVE_RETENTION_DAYS=0` measures deletes that keep nothing.
    if let Some(days) = std::env::var("GROOVE_RETENTION_DAYS").ok().and_then(|d| d.parse::<i64>().ok()) {
        f.store.set_retention(days * 86_400_000);
    }
    f.rt.block_on(async {
        let mut ids = Vec::new();
        for u in 0..users {
            let id = f.store.create_user(&format!("steady-{u}")).await.expect("a user").id;
            ids.push((id, common::catalog_ids(u * 10..u * 10 + 10)));
        }
        let store = std::sync::Arc::new(f.store);
        for _ in 0..cycles {
            let mut tasks = Vec::new();
            for (user, tracks) in &ids {
                let (store, user, tracks) = (store.clone(), *user, tracks.clone());
                tasks.push(tokio::spawn(async move {
                    let req = AddTracks {
                        user,
                        tracks,
                        expected_version: None,
                        max_tracks: 50_000,
                        idempotency: None,
                    };
                    let added = store.add_tracks(req).await.expect("add");
                    let tracks = added
                        .items
                        .iter()
                        .map(|o| match o {
                            AddOutcome::Added(id) => *id,
                            other => panic!("not added: {other:?}"),
                        })
                        .collect();
                    store
                        .delete_tracks(DeleteTracks {
                            user,
                            tracks,
                            expected_version: None,
                            idempotency: None,
                        })
                        .await
                        .expect("delete");
                }));
            }
            for task in tasks {
                task.await.expect("a cycle");
            }
        }
    });
}
