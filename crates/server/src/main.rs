//! `groove-server`: the server and its administration commands.
//!
//! With no arguments it serves on 127.0.0.1:8080 with its data in `./groove-data`.

mod cli;
mod keys;
mod listen;
mod serve;

use clap::Parser as _;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("groove-server: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(cli::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("groove-server: {e:#}");
            ExitCode::FAILURE
        }
    }
}
