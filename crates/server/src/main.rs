//! `groove-server`: the server and its administration commands.
//!
//! With no arguments it serves on 127.0.0.1:8080 with its data in `./groove-data`.

mod accounts;
mod admin;
mod args;
mod collection_file;
mod import;
mod keys;
mod library;
mod listen;
mod purge;
mod serve;
mod store;

use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = args::Cli::parse_checked();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("groove-server: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("groove-server: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: args::Cli) -> anyhow::Result<()> {
    match cli.command.unwrap_or(args::Command::Serve(cli.serve)) {
        args::Command::Serve(serve_args) => serve::run(&cli.global, &serve_args).await,
        args::Command::Completions { shell } => {
            args::Cli::print_completions(shell);
            Ok(())
        }
        args::Command::Library(args::LibraryCommand::Scan { dirs }) => {
            let roots = library::roots(&dirs)?;
            let (store, _) = store::open_store(&cli.global, store::Opener::Admin).await?;
            let report = library::scan(&*store, &roots).await;
            let _ = store.close().await;
            println!("{}", report?);
            Ok(())
        }
        admin_command => admin::run(&cli.global, admin_command).await,
    }
}
