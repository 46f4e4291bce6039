//! The command line: parses arguments, calls the library, renders replies. Output goes
//! to any writer so tests can run every command in-process.
//!
//! [`run`] hands each subcommand to one function, in the file named for it.

mod args;
mod ask;
mod corpus;
mod error;
mod eval;
mod explain;
mod kb;
mod log;
mod quality;
mod render;
mod report;

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

use anyhow::Context as _;

use crate::desk::{knowledge_location, load_knowledge};
use crate::matcher::Boosted;

pub use args::{
    AskArgs, CalibrateArgs, Cli, Command, CorpusArgs, CorpusCommand, CurateCommand, EvalArgs,
    ExplainArgs, FitArgs, KbCommand, LogArgs, NewReportArgs, ReportCommand, StatsArgs,
    UnansweredArgs,
};
pub use error::CliError;
pub use render::reply_text;

/// Runs one subcommand: questions are read from `input`, everything else goes to `out`.
pub fn run(cli: Cli, input: &mut dyn BufRead, out: &mut dyn Write) -> Result<(), CliError> {
    let flag = cli.knowledge.as_deref();
    // Commands that write to the knowledge folder, or read reports of their own, run
    // before it is loaded and validated; the others load it first.
    let loaded = || load_knowledge(flag);
    match cli.command {
        Command::Report {
            command: ReportCommand::New(args),
        } => report::new(flag, args, out),
        Command::Kb {
            command: KbCommand::MergeAdditions { report, json },
        } => kb::merge_additions(flag, report.as_deref(), json, out),
        Command::Corpus { command } => corpus::run(flag, command, out),
        Command::Validate => kb::validate(&loaded()?, out),
        Command::Kb {
            command: KbCommand::Export,
        } => kb::export(&loaded()?, out),
        Command::Kb {
            command:
                KbCommand::Lint {
                    report,
                    max_collisions,
                    entry,
                    errors,
                },
        } => kb::lint(
            loaded()?,
            report.as_deref(),
            max_collisions,
            crate::authoring::diagnosis::Focus { entry, errors },
            out,
        ),
        Command::Kb {
            command: KbCommand::Coverage { report, json },
        } => kb::coverage(loaded()?, report.as_deref(), json, out),
        Command::Ask(args) => ask::ask(loaded()?, args, input, out),
        Command::Chat { report } => ask::chat(loaded()?, report.as_deref(), input, out),
        Command::Explain(args) => explain::command(loaded()?, args, out),
        Command::Eval(args) => eval::eval(loaded()?, args, out),
        Command::Calibrate(args) => eval::calibrate(loaded()?, args, out),
        Command::Stats(args) => log::stats(&loaded()?, flag, args, out),
        Command::Unanswered(args) => log::unanswered(&loaded()?, args, out),
        Command::Curate { command } => log::curate(loaded()?, flag, command, out),
    }
}

/// The knowledge folder a command writes to; the built-in copy is read-only.
fn writable_knowledge(flag: Option<&Path>) -> Result<PathBuf, CliError> {
    knowledge_location(flag).ok_or_else(|| {
        CliError::Input(
            "this writes to a knowledge folder: run it where ./knowledge is, or give --knowledge DIR (or FACTDESK_KNOWLEDGE)".into(),
        )
    })
}

/// A confidence model written by `calibrate --out` or `corpus fit --out`.
fn read_model(path: &Path) -> Result<Boosted, CliError> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    Ok(serde_json::from_str(&text)
        .with_context(|| format!("{} is not a model from `calibrate --out`", path.display()))?)
}

/// Prints a value as one JSON line, or as its text.
fn print_log<T: serde::Serialize + std::fmt::Display>(
    value: T,
    json: bool,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    if json {
        serde_json::to_writer(&mut *out, &value).context("writing output")?;
        writeln!(out).context("writing output")?;
    } else {
        writeln!(out, "{}", value.to_string().trim_end()).context("writing output")?;
    }
    Ok(())
}
