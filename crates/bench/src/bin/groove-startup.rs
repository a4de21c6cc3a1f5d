//! `groove-startup`: how long a server takes from spawn to its first `200` on `/healthz`.
//!
//! Runs the command after `--` `--runs` times. Each time it spawns the command, polls
//! `GET /healthz` every `--poll-ms` milliseconds until a 200 arrives, then stops the process
//! by its PID (SIGTERM, and SIGKILL if it has not exited within `--stop-timeout` seconds).
//! Prints a JSON object with every time and their median, in milliseconds.

use anyhow::{Context as _, bail};
use clap::Parser;
use serde_json::json;
use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

#[derive(Debug, Parser)]
#[command(name = "groove-startup", about = "Time from spawn to a ready /healthz")]
struct Args {
    /// Address the server listens on.
    #[arg(long)]
    addr: SocketAddr,
    #[arg(long, default_value_t = 5)]
    runs: usize,
    #[arg(long, default_value_t = 2)]
    poll_ms: u64,
    /// Seconds to wait for a ready server.
    #[arg(long, default_value_t = 300)]
    timeout: u64,
    /// Seconds to wait for the server to exit after SIGTERM.
    #[arg(long, default_value_t = 60)]
    stop_timeout: u64,
    /// File that receives the servers' standard error.
    #[arg(long)]
    log: Option<std::path::PathBuf>,
    /// The server command and its arguments.
    #[arg(last = true, required = true)]
    command: Vec<String>,
}

fn healthy(addr: SocketAddr) -> bool {
    let Ok(mut s) = TcpStream::connect_timeout(&addr, Duration::from_millis(200)) else { return false };
    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
    if s.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").is_err() {
        return false;
    }
    let mut buf = [0u8; 16];
    let mut got = 0;
    while got < buf.len() {
        match s.read(&mut buf[got..]) {
            Ok(0) | Err(_) => break,
            Ok(n) => got += n,
        }
    }
    buf[..got].starts_with(b"HTTP/1.1 200")
}

fn stop(child: &mut Child, timeout: Duration) -> anyhow::Result<f64> {
    let t = Instant::now();
    let pid = child.id().to_string();
    let _ = Command::new("kill").args(["-TERM", &pid]).status();
    while t.elapsed() < timeout {
        if child.try_wait()?.is_some() {
            return Ok(t.elapsed().as_secs_f64() * 1000.0);
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    eprintln!("groove-startup: {pid} did not exit within {timeout:?} of SIGTERM; killing it");
    child.kill()?;
    child.wait()?;
    Ok(t.elapsed().as_secs_f64() * 1000.0)
}

fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    if v.is_empty() {
        0.0
    } else if v.len() % 2 == 1 {
        v[v.len() / 2]
    } else {
        f64::midpoint(v[v.len() / 2 - 1], v[v.len() / 2])
    }
}

fn round(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

fn run(args: &Args) -> anyhow::Result<serde_json::Value> {
    if healthy(args.addr) {
        bail!("something already answers on {}", args.addr);
    }
    let (program, rest) = args.command.split_first().context("no command")?;
    let mut ready = Vec::new();
    let mut stopped = Vec::new();
    for run in 0..args.runs {
        let stderr = match &args.log {
            Some(p) => Stdio::from(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(p)
                    .with_context(|| format!("cannot open {}", p.display()))?,
            ),
            None => Stdio::null(),
        };
        let t = Instant::now();
        let mut child = Command::new(program)
            .args(rest)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .with_context(|| format!("cannot start {program}"))?;
        let deadline = Duration::from_secs(args.timeout);
        let result = loop {
            if healthy(args.addr) {
                break Ok(t.elapsed().as_secs_f64() * 1000.0);
            }
            if let Some(status) = child.try_wait()? {
                break Err(anyhow::anyhow!("run {run}: the server exited ({status}) before it was ready"));
            }
            if t.elapsed() > deadline {
                break Err(anyhow::anyhow!("run {run}: not ready after {deadline:?}"));
            }
            std::thread::sleep(Duration::from_millis(args.poll_ms));
        };
        let stop_ms = stop(&mut child, Duration::from_secs(args.stop_timeout))?;
        let ms = result?;
        eprintln!("groove-startup: run {run}: ready after {ms:.1} ms, stopped in {stop_ms:.1} ms");
        ready.push(round(ms));
        stopped.push(round(stop_ms));
    }
    Ok(json!({
        "runs": args.runs,
        "ready_ms": ready,
        "median_ready_ms": round(median(&ready)),
        "stop_ms": stopped,
        "command": args.command.join(" "),
    }))
}

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(out) => {
            println!("{out}");
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("groove-startup: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
