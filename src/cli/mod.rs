//! The command line: parses arguments, calls the library, renders replies. Output goes
//! to any writer so tests can run every command in-process.

mod corpus;
mod explain;
mod quality;
mod render;

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use serde_json::json;

use crate::desk::{knowledge_location, load_knowledge, Desk};
use crate::eval::{self, QuestionFile};
use crate::knowledge::{factdesk_command, origin_folder, KnowledgeBase, LoadError};
use crate::matcher::{Boosted, Calibration, Config, Growth, Matcher};
use crate::reply::HELP_TEXT;

pub use render::reply_text;

#[derive(Debug, Parser)]
#[command(
    name = "factdesk",
    version,
    about = "Answers questions about news reports, with the source quoted."
)]
pub struct Cli {
    /// Knowledge folder (default: ./knowledge when present, else the built-in knowledge base).
    #[arg(long, global = true, env = "FACTDESK_KNOWLEDGE", value_name = "DIR")]
    pub knowledge: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

/// Where the evaluation reports are and what is loaded beside each.
#[derive(Debug, clap::Args)]
pub struct CorpusArgs {
    /// Folder of evaluation reports, one folder each with report.toml and blind.jsonl.
    #[arg(long, value_name = "DIR", default_value = "eval/reports")]
    reports: PathBuf,
    /// Only these reports (by id).
    #[arg(long = "only", value_name = "ID")]
    only: Vec<String>,
    /// Load the served reports beside each one, as a newsroom that adds a report does.
    #[arg(long)]
    beside: bool,
    /// Also print every failure (never for a first score).
    #[arg(long)]
    failures: bool,
}

/// How a confidence model is fitted over the served reports and the evaluation reports.
#[derive(Debug, clap::Args)]
pub struct FitArgs {
    /// Question files of the served reports to fit on.
    #[arg(long = "fit", value_name = "FILE", num_args = 1..)]
    fit: Vec<PathBuf>,
    /// Weight of one phrasing left out against one question.
    #[arg(long, default_value_t = 0.03, value_name = "W")]
    left_out_weight: f32,
    /// Weight of one evaluation report's question against one of the --fit files'.
    #[arg(long, default_value_t = 2.0, value_name = "W")]
    report_weight: f32,
    /// Boosting rounds (trees).
    #[arg(long, default_value_t = Growth::DEFAULT.rounds)]
    rounds: usize,
    /// Depth of each tree.
    #[arg(long, default_value_t = Growth::DEFAULT.depth)]
    depth: usize,
}

#[derive(Debug, Subcommand)]
pub enum CorpusCommand {
    /// Score each report's batch as the bot answers now, in the default and the newsroom
    /// mode: accuracy, recall, wrong answers, hard negatives declined, first choice right.
    Score {
        #[command(flatten)]
        corpus: CorpusArgs,
        /// Score with this model (from `corpus fit --out` or `calibrate --out`).
        #[arg(long, value_name = "FILE")]
        model: Option<PathBuf>,
        /// Answer from this calibrated chance on instead.
        #[arg(long, value_name = "P")]
        answer_at: Option<f32>,
    },
    /// Leave one report out: each report scored as the bot would, by a model fitted on the
    /// --fit files and every other evaluation report, never itself.
    LeftOut {
        #[command(flatten)]
        corpus: CorpusArgs,
        #[command(flatten)]
        fit: FitArgs,
        /// Answer from this calibrated chance on instead (to read thresholds off).
        #[arg(long, value_name = "P")]
        answer_at: Option<f32>,
    },
    /// Fit the confidence model on the --fit files and every evaluation report.
    Fit {
        #[command(flatten)]
        corpus: CorpusArgs,
        #[command(flatten)]
        fit: FitArgs,
        /// Write the model here (the shipped one is src/matcher/confidence.json).
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Answer a question (or, with none or `-`, every line of standard input).
    Ask {
        /// The question; omit it or give `-` to read one question a line from standard input.
        question: Option<String>,
        /// One JSON object per answer.
        #[arg(long)]
        json: bool,
        /// Only answer from this report.
        #[arg(long, value_name = "ID")]
        report: Option<String>,
        /// Answer exactly as in a newsroom channel (a higher bar for answering).
        #[arg(long)]
        newsroom: bool,
    },
    /// Try it interactively; Ctrl-D ends.
    Chat {
        #[arg(long, value_name = "ID")]
        report: Option<String>,
    },
    /// Check the knowledge base and report every problem.
    Validate,
    /// Show how a question is read, ranked and decided: its terms, the kind of fact it
    /// asks for, the candidates by id with the calibrated chance, and the rule that
    /// decided, in words.
    Explain {
        question: String,
        #[arg(long, value_name = "ID")]
        report: Option<String>,
        /// Decide as in a newsroom channel (a higher bar for answering).
        #[arg(long)]
        newsroom: bool,
    },
    /// Knowledge base tools.
    Kb {
        #[command(subcommand)]
        command: KbCommand,
    },
    /// A report's folder: start a new one from an article.
    Report {
        #[command(subcommand)]
        command: ReportCommand,
    },
    /// Score question files, with the reliability of the confidence; or every phrasing,
    /// left out in turn. A file is either JSON lines (id, q, expect, facts, kind) or, named
    /// .tsv or .txt, plain: `question<TAB>entry-id` a line, `-` for "should decline".
    /// Exits 0 whatever the score: it is a measurement.
    Eval {
        files: Vec<PathBuf>,
        #[arg(long)]
        json: bool,
        /// Load this many generated entries as other reports first (scale check).
        #[arg(long, value_name = "N", default_value_t = 0)]
        with_generated: usize,
        #[arg(long, value_name = "ID")]
        report: Option<String>,
        /// Answer as a newsroom channel would (a higher bar for answering).
        #[arg(long)]
        newsroom: bool,
        /// Also ask every phrasing against the knowledge base without it, per entry.
        #[arg(long)]
        leave_one_out: bool,
        /// Print the figures only, not the failures (for a first, blind score).
        #[arg(long)]
        no_failures: bool,
        /// Answer from this calibrated chance on instead (to read thresholds off).
        #[arg(long, value_name = "P")]
        answer_at: Option<f32>,
        /// Ask each question without the phrasing that repeats it word for word: how a
        /// set adopted as phrasings (`kb adopt`) is scored as unseen. Not for first scores.
        #[arg(long)]
        unseen: bool,
        /// Score with this confidence model (written by `calibrate --out`) instead of the
        /// shipped one: a model fitted without a set scores it as the bot would.
        #[arg(long, value_name = "FILE")]
        model: Option<PathBuf>,
    },
    /// Fit the confidence model on question files and every phrasing left out in turn,
    /// and print it with its reliability on the files it was not fitted on.
    Calibrate {
        /// Question files to fit on.
        #[arg(long = "fit", value_name = "FILE", required = true, num_args = 1..)]
        fit: Vec<PathBuf>,
        /// Question files to check the fitted model on.
        #[arg(long = "check", value_name = "FILE", num_args = 1..)]
        check: Vec<PathBuf>,
        /// Score each --check file with a model fitted on the --fit files and the other
        /// --check files, never itself, exactly as the bot would answer (leave one set
        /// out); print the totals per threshold and the pooled reliability. Writes no model.
        #[arg(long, requires = "check")]
        each_left_out: bool,
        /// Weight of one phrasing left out against one question of a file, in the fit.
        #[arg(long, default_value_t = 0.1, value_name = "W")]
        left_out_weight: f32,
        /// Write the fitted model here (the shipped one is src/matcher/confidence.json);
        /// without it, the model is printed.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Boosting rounds (trees).
        #[arg(long, default_value_t = Growth::DEFAULT.rounds)]
        rounds: usize,
        /// Depth of each tree.
        #[arg(long, default_value_t = Growth::DEFAULT.depth)]
        depth: usize,
        /// Shrinkage of each tree's leaves.
        #[arg(long, default_value_t = Growth::DEFAULT.learning_rate)]
        learning_rate: f32,
    },
    /// Evaluation reports (`eval/reports/`): reports nobody tuned for, each with its
    /// knowledge base at editor effort and a batch written blind.
    Corpus {
        #[command(subcommand)]
        command: CorpusCommand,
    },
    /// From the question log: questions, answer rates, top entries, votes, top unanswered.
    Stats {
        #[arg(long, default_value_t = 7, value_name = "N")]
        days: u32,
        #[command(flatten)]
        log: LogArgs,
    },
    /// Act on an unanswered cluster (ids from `factdesk unanswered`) exactly as the
    /// moderators' buttons in Discord do.
    Curate {
        #[command(subcommand)]
        command: CurateCommand,
    },
    /// Unanswered questions from the log, in clusters of near-duplicates, biggest first.
    Unanswered {
        #[arg(long, default_value_t = 30, value_name = "N")]
        days: u32,
        #[arg(long, default_value_t = 20, value_name = "N")]
        limit: usize,
        /// Clusters to skip (the next page).
        #[arg(long, default_value_t = 0, value_name = "N")]
        offset: usize,
        #[command(flatten)]
        log: LogArgs,
    },
}

/// Where the question log is, and how to print it.
#[derive(Debug, clap::Args)]
pub struct LogArgs {
    /// The question log database.
    #[arg(long, env = "FACTDESK_DB", default_value = crate::store::DEFAULT_PATH, value_name = "FILE")]
    pub db: PathBuf,
    /// The shared PostgreSQL store (postgres://…); when set, read instead of the file.
    #[arg(
        long,
        env = "FACTDESK_DATABASE_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    pub database_url: Option<String>,
    #[arg(long)]
    pub json: bool,
}

impl LogArgs {
    /// The store, opened for writing as the bot opens it (its settings from the
    /// environment), but never created here: a missing log file is an error.
    fn store(&self) -> Result<crate::store::Store, crate::store::StoreError> {
        let mut config = crate::store::StoreConfig::from_env()?;
        config.path = self.db.clone();
        config.database_url = self.database_url.clone().filter(|u| !u.trim().is_empty());
        if config.database_url.is_none() && !config.path.exists() {
            return Err(crate::store::StoreError::Missing { path: config.path });
        }
        crate::store::Store::open(config)
    }

    fn reader(&self) -> Result<crate::store::Reader, crate::store::StoreError> {
        match self
            .database_url
            .as_deref()
            .filter(|u| !u.trim().is_empty())
        {
            Some(url) => crate::store::Reader::open_url(url),
            None => crate::store::Reader::open(&self.db),
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum CurateCommand {
    /// "Add as phrasing": the cluster's question becomes another way of asking ENTRY
    /// (written to the report's additions.toml), and the cluster is marked handled.
    Phrase {
        cluster: String,
        entry: String,
        #[command(flatten)]
        log: LogArgs,
    },
    /// "Dismiss": hide the cluster for good.
    Dismiss {
        cluster: String,
        #[command(flatten)]
        log: LogArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum KbCommand {
    /// The whole knowledge base as JSON, for comparing other tools on it.
    Export,
    /// Every phrasing left out in turn: the collisions (errors: answered with another
    /// entry; warnings: another entry offered first), the words that pulled each and what
    /// to change, and each entry's estimated answer rate. Exits with 1 when there are more
    /// collisions than --max-collisions.
    Lint {
        #[arg(long, value_name = "ID")]
        report: Option<String>,
        /// Collisions accepted before the exit status is 1 (the same count as `kb coverage`).
        #[arg(long, value_name = "N", default_value_t = 0)]
        max_collisions: usize,
    },
    /// What the entries cover: per paragraph, the entries citing it and the sentences with a
    /// number, a name or a quote that none covers; entries with few phrasings, gaps with
    /// none, phrasings answered by another entry. An editor's to-do list.
    Coverage {
        #[arg(long, value_name = "ID")]
        report: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Move accepted additions (additions.toml) into the report's own files: phrasings into
    /// their entries, new entries to the top of entries.toml, comments and order kept.
    /// Refuses, writing nothing, unless the result validates and answers as before.
    MergeAdditions {
        #[arg(long, value_name = "ID")]
        report: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// Start a report from an article file: its folder, metadata, entries and gaps files
    /// with commented examples, and an empty question set. Never overwrites a report.
    New {
        /// The report's id and folder name (lower-case letters, digits, hyphens).
        id: String,
        /// The article as plain text; wrapped lines and blank-line paragraphs are fine.
        #[arg(long, value_name = "FILE")]
        article: PathBuf,
        /// Defaults to the article's headline (its first line).
        #[arg(long)]
        title: Option<String>,
        /// Who the report's facts come from, shown with every answer.
        #[arg(long)]
        attribution: Option<String>,
        /// Who wrote the report, as printed ("By Ana Ruiz, Riverside Ledger"); not its source.
        #[arg(long)]
        byline: Option<String>,
        /// The publication the report appeared in.
        #[arg(long)]
        outlet: Option<String>,
        /// Publication date, YYYY-MM-DD.
        #[arg(long, value_name = "DATE")]
        published: Option<String>,
        #[arg(long, value_name = "URL")]
        url: Option<String>,
    },
}

/// An error with the exit status it deserves: 2 for bad input or knowledge, 1 otherwise.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("{0}")]
    Input(String),
    #[error(transparent)]
    Knowledge(#[from] LoadError),
    #[error("{found} collision(s), more than the {allowed} allowed: follow the `fix:` lines above, or pass --max-collisions {found} to accept them")]
    Lint { found: usize, allowed: usize },
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

impl CliError {
    /// Writing failed because the reader of the output went away.
    pub fn is_closed_pipe(&self) -> bool {
        let CliError::Other(err) = self else {
            return false;
        };
        // JSON output fails inside serde_json, which keeps the I/O error's kind.
        err.chain().any(|cause| {
            let kind = cause
                .downcast_ref::<std::io::Error>()
                .map(std::io::Error::kind)
                .or_else(|| {
                    cause
                        .downcast_ref::<serde_json::Error>()
                        .and_then(serde_json::Error::io_error_kind)
                });
            kind == Some(std::io::ErrorKind::BrokenPipe)
        })
    }

    pub fn exit_code(&self) -> ExitCode {
        match self {
            CliError::Input(_) | CliError::Knowledge(_) => ExitCode::from(2),
            CliError::Other(_) | CliError::Lint { .. } => ExitCode::from(1),
        }
    }
}

impl From<crate::desk::AskError> for CliError {
    fn from(e: crate::desk::AskError) -> Self {
        CliError::Input(e.to_string())
    }
}

impl From<eval::EvalError> for CliError {
    fn from(e: eval::EvalError) -> Self {
        match e {
            eval::EvalError::Io { .. } => CliError::Other(e.into()),
            _ => CliError::Input(e.to_string()),
        }
    }
}

impl From<crate::knowledge::merge::MergeError> for CliError {
    fn from(e: crate::knowledge::merge::MergeError) -> Self {
        use crate::knowledge::merge::MergeError as M;
        match e {
            M::Read { .. } | M::Write { .. } => CliError::Other(e.into()),
            _ => CliError::Input(e.to_string()),
        }
    }
}

impl From<crate::curation::CurateError> for CliError {
    fn from(e: crate::curation::CurateError) -> Self {
        use crate::curation::CurateError as C;
        use crate::knowledge::additions::CurationError as A;
        match e {
            C::Store(_) | C::Addition(A::Read { .. } | A::Write { .. }) => {
                CliError::Other(e.into())
            }
            _ => CliError::Input(e.to_string()),
        }
    }
}

impl From<crate::authoring::ScaffoldError> for CliError {
    fn from(e: crate::authoring::ScaffoldError) -> Self {
        if e.is_input() {
            CliError::Input(e.to_string())
        } else {
            CliError::Other(e.into())
        }
    }
}

/// Which knowledge base a command read, for its output: an editor with two folders, or
/// none here, must see which one was checked.
fn read_from(kb: &KnowledgeBase) -> String {
    match origin_folder(&kb.origin) {
        Some(dir) => format!("the knowledge folder {}", dir.display()),
        None => "the built-in knowledge base (no ./knowledge here; give --knowledge DIR)".into(),
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

pub fn run(cli: Cli, input: &mut dyn BufRead, out: &mut dyn Write) -> Result<(), CliError> {
    // Commands that write to the knowledge folder run before it is loaded and validated.
    if let Command::Report { command } = cli.command {
        return report(cli.knowledge.as_deref(), command, out);
    }
    if let Command::Kb {
        command: KbCommand::MergeAdditions { report, json },
    } = cli.command
    {
        let root = writable_knowledge(cli.knowledge.as_deref())?;
        let merged = crate::knowledge::merge::merge_additions(&root, report.as_deref())?;
        return print_log(merged, json, out);
    }
    if let Command::Corpus { command } = cli.command {
        return corpus_command(cli.knowledge.as_deref(), command, out);
    }
    let kb = load_knowledge(cli.knowledge.as_deref())?;
    let flag = cli.knowledge;
    match cli.command {
        Command::Validate => {
            let gaps = kb.entries.iter().filter(|e| e.is_gap()).count();
            writeln!(
                out,
                "ok: {} report(s), {} entries, {} gaps in {}",
                kb.reports.len(),
                kb.entries.len() - gaps,
                gaps,
                read_from(&kb)
            )
            .context("writing output")?;
            Ok(())
        }
        Command::Kb {
            command: KbCommand::Export,
        } => export(&kb, out),
        Command::Kb {
            command:
                KbCommand::Lint {
                    report,
                    max_collisions,
                },
        } => quality::lint(&Desk::new(kb), report.as_deref(), max_collisions, out),
        Command::Calibrate {
            fit,
            check,
            each_left_out,
            left_out_weight,
            out: write_to,
            rounds,
            depth,
            learning_rate,
        } => quality::calibrate(
            &Desk::new(kb),
            &quality::Fit {
                files: &fit,
                check: &check,
                left_out_weight,
                growth: Growth {
                    rounds,
                    depth,
                    learning_rate,
                    ..Growth::DEFAULT
                },
                write_to: write_to.as_deref(),
                each_left_out,
            },
            out,
        ),
        Command::Kb {
            command: KbCommand::Coverage { report, json },
        } => {
            if !json {
                writeln!(out, "coverage of {}", read_from(&kb)).context("writing output")?;
            }
            let desk = Desk::new(kb);
            let filter = desk.report_filter(report.as_deref())?;
            print_log(crate::authoring::coverage(&desk, filter), json, out)
        }
        Command::Report { .. }
        | Command::Corpus { .. }
        | Command::Kb {
            command: KbCommand::MergeAdditions { .. },
        } => unreachable!("handled before loading"),
        Command::Curate { command } => {
            let dir = knowledge_location(flag.as_deref());
            curate(Desk::new(kb), dir.as_deref(), &flag, command, out)
        }
        Command::Stats { days, log } => {
            let stats = log.reader().and_then(|r| r.stats(&Matcher::new(&kb), days));
            let stats = stats.map_err(anyhow::Error::from)?;
            let more = stats.unanswered_clusters > 0 && !log.json;
            print_log(stats, log.json, out)?;
            if more {
                writeln!(
                    out,
                    "next: `{}` lists every unanswered cluster",
                    unanswered_command(&flag, &log)
                )
                .context("writing output")?;
            }
            Ok(())
        }
        Command::Unanswered {
            days,
            limit,
            offset,
            log,
        } => {
            let page = log
                .reader()
                .and_then(|r| r.unanswered(&Matcher::new(&kb), days, offset, limit));
            print_log(page.map_err(anyhow::Error::from)?, log.json, out)
        }
        Command::Explain {
            question,
            report,
            newsroom,
        } => {
            let desk = Desk::new(kb);
            let filter = desk.report_filter(report.as_deref())?;
            let config = if newsroom {
                Config::newsroom()
            } else {
                desk.matcher().config()
            };
            let text =
                explain::explain(desk.matcher(), desk.knowledge(), &question, filter, &config);
            write!(out, "{text}").context("writing output")?;
            Ok(())
        }
        Command::Ask {
            question,
            json,
            report,
            newsroom,
        } => {
            let desk = Desk::new(kb);
            desk.report_filter(report.as_deref())?;
            let config = if newsroom {
                Config::newsroom()
            } else {
                Config::DEFAULT
            };
            let asking = Asking {
                desk: &desk,
                report: report.as_deref(),
                config: &config,
                json,
            };
            match question.as_deref() {
                None | Some("-") => {
                    for line in lines(input) {
                        asking.answer(&line?, out)?;
                    }
                    Ok(())
                }
                Some(q) if q.trim().is_empty() => Err(CliError::Input(
                    "the question is empty: give a question, or `-` to read questions from standard input".into(),
                )),
                Some(q) => asking.answer(q, out),
            }
        }
        Command::Chat { report } => {
            let desk = Desk::new(kb);
            desk.report_filter(report.as_deref())?;
            chat(&desk, report.as_deref(), input, out)
        }
        Command::Eval {
            files,
            json,
            report,
            with_generated,
            newsroom,
            leave_one_out,
            no_failures,
            answer_at,
            unseen,
            model,
        } => {
            let mut kb = kb;
            if with_generated > 0 {
                crate::knowledge::synthetic::add_synthetic(&mut kb, with_generated, 1_000);
            }
            if files.is_empty() && !leave_one_out {
                return Err(CliError::Input(
                    "give question files to score, or --leave-one-out".into(),
                ));
            }
            let desk = Desk::new(kb);
            let mut config = if newsroom {
                Config::newsroom()
            } else {
                Config::DEFAULT
            };
            if let Some(p) = answer_at {
                config.answer_probability = p;
            }
            if let Some(path) = model {
                // A one-shot command: the model lives as long as the process.
                config.calibration = Calibration::Model(Box::leak(Box::new(read_model(&path)?)));
            }
            let options = quality::EvalOptions {
                report: report.as_deref(),
                config: &config,
                json,
                failures: !no_failures,
            };
            let report = report.as_deref();
            for file in &files {
                match QuestionFile::load(file, desk.knowledge())? {
                    QuestionFile::Json(set) => {
                        let result = if unseen {
                            eval::run_unseen(&desk, &set, report, &config)?
                        } else {
                            eval::run(&desk, &set, report, &config)?
                        };
                        quality::print_evaluation(file, &result, &options, out)?;
                    }
                    QuestionFile::Plain(set) => {
                        let result = if unseen {
                            eval::plain::run_unseen(&desk, &set, report, &config)?
                        } else {
                            eval::plain::run(&desk, &set, report, &config)?
                        };
                        quality::print_plain(file, &result, &options, out)?;
                    }
                }
            }
            if leave_one_out {
                quality::print_leave_one_out(&desk, &options, out)?;
            }
            Ok(())
        }
    }
}

/// A confidence model written by `calibrate --out` or `corpus fit --out`.
fn read_model(path: &Path) -> Result<Boosted, CliError> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    Ok(serde_json::from_str(&text)
        .with_context(|| format!("{} is not a model from `calibrate --out`", path.display()))?)
}

fn corpus_command(
    flag: Option<&Path>,
    command: CorpusCommand,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let base = corpus::base_files(flag)?;
    let (args, fit, write_to) = match &command {
        CorpusCommand::Score { corpus, .. } => (corpus, None, None),
        CorpusCommand::LeftOut { corpus, fit, .. } => (corpus, Some(fit), None),
        CorpusCommand::Fit { corpus, fit, out } => (corpus, Some(fit), out.as_deref()),
    };
    let reports = corpus::discover(&args.reports, &args.only)?;
    let set = corpus::Corpus {
        base: &base,
        reports,
        company: if args.beside {
            crate::corpus::Company::Beside
        } else {
            crate::corpus::Company::Alone
        },
    };
    let plan = match fit {
        Some(fit) => {
            let served = Desk::new(load_knowledge(flag)?);
            Some(corpus::FitPlan {
                base_rows: quality::base_rows(&served, &fit.fit, fit.left_out_weight)?,
                left_out_weight: fit.left_out_weight,
                report_weight: fit.report_weight,
                growth: Growth {
                    rounds: fit.rounds,
                    depth: fit.depth,
                    ..Growth::DEFAULT
                },
                write_to,
            })
        }
        None => None,
    };
    match (&command, plan) {
        (
            CorpusCommand::Score {
                model, answer_at, ..
            },
            _,
        ) => {
            let calibration = match model {
                Some(path) => Calibration::Model(Box::leak(Box::new(read_model(path)?))),
                None => Calibration::Fitted,
            };
            corpus::score(&set, calibration, *answer_at, args.failures, out)
        }
        (CorpusCommand::LeftOut { answer_at, .. }, Some(plan)) => {
            corpus::left_out(&set, &plan, *answer_at, args.failures, out)
        }
        (CorpusCommand::Fit { .. }, Some(plan)) => corpus::fit(&set, &plan, out),
        _ => unreachable!("a plan is made for every fitting command"),
    }
}

fn report(
    flag: Option<&Path>,
    command: ReportCommand,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let root = writable_knowledge(flag)?;
    match command {
        ReportCommand::New {
            id,
            article,
            title,
            attribution,
            byline,
            outlet,
            published,
            url,
        } => {
            let text = std::fs::read_to_string(&article).map_err(|e| {
                CliError::Input(format!(
                    "cannot read the article {}: {e}",
                    article.display()
                ))
            })?;
            let new = crate::authoring::NewReport {
                id: id.clone(),
                article: text,
                title,
                attribution,
                byline,
                outlet,
                published,
                url,
            };
            let made = crate::authoring::scaffold::create(&root, &new)?;
            if !made.taken.is_empty() {
                writeln!(
                    out,
                    "from the article's first lines: {} (in report.toml; change them there)",
                    made.taken.join(", ")
                )
                .context("writing output")?;
            }
            writeln!(
                out,
                "created {}: \"{}\", {} paragraphs (article.txt, one a line).\n\
                 next: write entries in {}/entries.toml, then `{}` and `{}`",
                made.folder.display(),
                made.title,
                made.paragraphs,
                made.folder.display(),
                factdesk_command(flag, "validate"),
                factdesk_command(flag, &format!("kb coverage --report {id}")),
            )
            .context("writing output")?;
            Ok(())
        }
    }
}

/// How long the command waits for the store to record a curation step.
const RECORD_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// `factdesk unanswered` on the same knowledge and question log as the command that
/// names it.
fn unanswered_command(flag: &Option<PathBuf>, log: &LogArgs) -> String {
    let mut command = factdesk_command(flag.as_deref(), "unanswered");
    if log.db != Path::new(crate::store::DEFAULT_PATH) {
        command.push_str(" --db ");
        command.push_str(&crate::knowledge::shell_word(&log.db.display().to_string()));
    }
    command
}

fn curate(
    desk: Desk,
    dir: Option<&Path>,
    flag: &Option<PathBuf>,
    command: CurateCommand,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let log = match &command {
        CurateCommand::Phrase { log, .. } | CurateCommand::Dismiss { log, .. } => log,
    };
    // The library's message names `factdesk unanswered` bare; here it can name the folder
    // and log this command read.
    let gone = |e: crate::curation::CurateError| {
        match e {
        crate::curation::CurateError::Gone(id) => CliError::Input(format!(
            "no unanswered cluster `{id}` is listed (dismissed or fixed already?); `{}` shows the current ones",
            unanswered_command(flag, log)
        )),
        e => e.into(),
    }
    };
    let store = log.store().map_err(anyhow::Error::from)?;
    let curator = crate::curation::Curator {
        store: &store,
        knowledge_dir: dir,
        matcher: desk.matcher(),
        via: "the shell",
    };
    let (value, text) = match &command {
        CurateCommand::Phrase { cluster, entry, .. } => {
            let done = curator.add_phrasing(cluster, entry).map_err(gone)?;
            let question = done.question.unwrap_or_default();
            let file = done.applied.file.display().to_string();
            (
                json!({"action": "phrase", "cluster": cluster, "entry": entry, "question": question, "file": file}),
                format!("added \"{question}\" as a phrasing of `{entry}` in {file}; cluster {cluster} is handled"),
            )
        }
        CurateCommand::Dismiss { cluster, .. } => {
            let done = curator.dismiss(cluster, None).map_err(gone)?;
            let question = done.cluster.questions.first().cloned().unwrap_or_default();
            (
                json!({"action": "dismiss", "cluster": cluster, "question": question}),
                format!("dismissed cluster {cluster} (\"{question}\", asked {} time(s)): it won't be listed or posted again", done.cluster.asks),
            )
        }
    };
    if let Err(health) = store.flush(RECORD_TIMEOUT) {
        return Err(CliError::Other(anyhow::anyhow!(
            "the question log did not record it ({}); run the command again",
            health.summary()
        )));
    }
    if log.json {
        writeln!(out, "{value}").context("writing output")?;
    } else {
        writeln!(out, "{text}").context("writing output")?;
    }
    Ok(())
}

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

/// Lines of input, tolerating invalid UTF-8 (replaced, never fatal).
fn lines(input: &mut dyn BufRead) -> impl Iterator<Item = Result<String, CliError>> + '_ {
    let mut buf = Vec::new();
    std::iter::from_fn(move || {
        buf.clear();
        match input.read_until(b'\n', &mut buf) {
            Ok(0) => None,
            Ok(_) => {
                let text = String::from_utf8_lossy(&buf);
                Some(Ok(text.trim_end_matches(['\n', '\r']).to_string()))
            }
            Err(e) => Some(Err(CliError::Other(
                anyhow::Error::new(e).context("reading standard input"),
            ))),
        }
    })
}

/// How `ask` answers: which desk, report and thresholds, and in what format.
struct Asking<'a> {
    desk: &'a Desk,
    report: Option<&'a str>,
    config: &'a Config,
    json: bool,
}

impl Asking<'_> {
    fn answer(&self, question: &str, out: &mut dyn Write) -> Result<(), CliError> {
        let reply = self
            .desk
            .ask_timed(question, self.report, self.config)?
            .reply;
        write_reply(&reply, self.json, out)
    }
}

fn write_reply(
    reply: &crate::reply::Reply,
    json: bool,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let reply = reply.clone();
    if json {
        serde_json::to_writer(&mut *out, &reply).context("writing output")?;
        writeln!(out).context("writing output")?;
    } else {
        write!(out, "{}", reply_text(&reply)).context("writing output")?;
    }
    Ok(())
}

fn chat(
    desk: &Desk,
    report: Option<&str>,
    input: &mut dyn BufRead,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    writeln!(out, "{HELP_TEXT}\nCtrl-D to leave.").context("writing output")?;
    loop {
        write!(out, "\n> ").context("writing output")?;
        out.flush().context("writing output")?;
        let Some(line) = lines(input).next() else {
            writeln!(out).context("writing output")?;
            return Ok(());
        };
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let reply = desk.ask(&line, report)?;
        write!(out, "{}", reply_text(&reply)).context("writing output")?;
    }
}

fn export(kb: &KnowledgeBase, out: &mut dyn Write) -> Result<(), CliError> {
    let reports: Vec<_> = kb
        .reports
        .iter()
        .map(|r| {
            json!({
                "id": r.id,
                "title": r.title,
                "attribution": r.attribution,
                "byline": r.byline,
                "outlet": r.outlet,
                "date": r.date,
                "url": r.url,
                "paragraphs": r.paragraphs,
            })
        })
        .collect();
    let entries: Vec<_> = kb
        .entries
        .iter()
        .filter_map(|e| {
            let source = e.source()?;
            Some(json!({
                "id": e.id,
                "report": kb.reports[e.report].id,
                "topic": e.topic,
                "question": e.question,
                "variants": e.variants,
                "keywords": e.keywords,
                "answer": e.answer(),
                "source": {"paragraph": source.paragraph, "quote": source.quote},
                "related": e.related,
            }))
        })
        .collect();
    let gaps: Vec<_> = kb
        .entries
        .iter()
        .filter(|e| e.is_gap())
        .map(|e| json!({"id": e.id, "report": kb.reports[e.report].id, "question": e.question, "variants": e.variants}))
        .collect();
    serde_json::to_writer_pretty(
        &mut *out,
        &json!({"reports": reports, "entries": entries, "gaps": gaps}),
    )
    .context("writing output")?;
    writeln!(out).context("writing output")?;
    Ok(())
}
