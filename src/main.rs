use std::process::ExitCode;

use clap::Parser;
use factdesk::cli::{run, Cli};

fn main() -> ExitCode {
    let _ = dotenvy::dotenv();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match run(cli, &mut input, &mut out) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            // A closed pipe (`factdesk ask - | head`) is not an error worth a message.
            if !format!("{err:#}").contains("Broken pipe") {
                eprintln!("error: {err:#}");
            }
            err.exit_code()
        }
    }
}
