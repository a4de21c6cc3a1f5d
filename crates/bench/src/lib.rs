//! Performance measurement of groove-server.
//!
//! The binaries of this crate are the measuring equipment; `bench/run.sh` drives them:
//! - `groove-load`: the load generator (HTTP/1.1 keep-alive, one connection per simulated
//!   user), printing one JSON object of throughput, latency and errors;
//! - `groove-ceiling`: a server on the same HTTP stack as groove-server that answers fixed
//!   bodies without touching storage, to measure what the stack and the load generator can
//!   do on this machine;
//! - `groove-seed`: prepares data directories (a generated catalog, users, collections,
//!   tokens) through the public [`groove_store::Store`] API;
//! - `groove-startup`: time from spawning the server to its first ready `/healthz`;
//! - `groove-report`: the Markdown table of a run.
//!
//! This library holds what they share: the generated catalog and `/proc` readings.

pub mod catalog;
pub mod procfs;
