//! The binary: the command line's commands, plus `serve`, which starts the Discord bot.
//! The two front ends meet only here; each depends on the core and the store alone.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use factdesk::cli::{self, Cli};

// A question's analysis makes many small, short-lived allocations: the system allocator
// took about a sixth of a question's instructions, mimalloc much less (docs/measured.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Debug, Parser)]
#[command(
    name = "factdesk",
    version,
    about = "Answers questions about news reports, with the source quoted."
)]
struct Args {
    /// Knowledge folder (default: ./knowledge when present, else the built-in knowledge base).
    #[arg(long, global = true, env = "FACTDESK_KNOWLEDGE", value_name = "DIR")]
    knowledge: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    #[command(flatten)]
    Shell(cli::Command),
    /// Run the Discord bot (settings from the environment or .env; see .env.example).
    Serve {
        /// Serve Discord's Interactions Endpoint URL on this address instead of the gateway
        /// (needs DISCORD_PUBLIC_KEY); also serves /healthz and /metrics.
        #[arg(long, env = "FACTDESK_HTTP_ADDR", value_name = "ADDR")]
        http: Option<std::net::SocketAddr>,
    },
    /// Register the slash commands over REST once (DISCORD_TOKEN, DISCORD_APPLICATION_ID,
    /// DISCORD_GUILD_ID for one server, DISCORD_API_BASE), for deployments that do not at start-up.
    Register,
}

fn main() -> ExitCode {
    // Under a file-size limit (`ulimit -f`), a write past it should fail (EFBIG) and be
    // handled like any full disk (the question log keeps its queue and retries), not kill
    // the process with SIGXFSZ.
    #[cfg(unix)]
    // SAFETY: setting a signal's disposition to "ignore" at start-up, before any thread
    // exists, touches no Rust state.
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
    }
    let _ = dotenvy::dotenv();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    match args.command {
        Command::Serve { http } => serve(args.knowledge, http, false),
        Command::Register => serve(args.knowledge, None, true),
        Command::Shell(command) => shell(Cli {
            knowledge: args.knowledge,
            command,
        }),
    }
}

fn shell(cli: Cli) -> ExitCode {
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match cli::run(cli, &mut input, &mut out) {
        Ok(()) => ExitCode::SUCCESS,
        // A closed pipe (`factdesk ask --json - | head -1`): the reader has what it wanted.
        Err(err) if err.is_closed_pipe() => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            err.exit_code()
        }
    }
}

fn serve(
    knowledge: Option<PathBuf>,
    http: Option<std::net::SocketAddr>,
    register: bool,
) -> ExitCode {
    let kb = match factdesk::desk::load_knowledge(knowledge.as_deref()) {
        Ok(kb) => kb,
        Err(err) => {
            eprintln!("error: {err:#}");
            return ExitCode::from(2);
        }
    };
    let dir = factdesk::desk::knowledge_location(knowledge.as_deref());
    let result = match (register, http) {
        (true, _) => factdesk::discord::http::register_once(kb),
        (false, Some(addr)) => factdesk::discord::http::serve(kb, dir, addr),
        (false, None) => factdesk::discord::serve(kb, dir),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            // 2: a setting or file to fix; 1: anything else.
            let code = if err.is_setup() { 2 } else { 1 };
            eprintln!("error: {:#}", anyhow::Error::from(err));
            ExitCode::from(code)
        }
    }
}
