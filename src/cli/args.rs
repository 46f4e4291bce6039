//! The command line's arguments: the clap types every subcommand is parsed into.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::matcher::Growth;

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
    pub reports: PathBuf,
    /// Only these reports (by id).
    #[arg(long = "only", value_name = "ID")]
    pub only: Vec<String>,
    /// Load the served reports beside each one, as a newsroom that adds a report does.
    #[arg(long)]
    pub beside: bool,
    /// Also print every failure (never for a first score).
    #[arg(long)]
    pub failures: bool,
}

/// How a confidence model is fitted over the served reports and the evaluation reports.
#[derive(Debug, clap::Args)]
pub struct FitArgs {
    /// Question files of the served reports to fit on.
    #[arg(long = "fit", value_name = "FILE", num_args = 1..)]
    pub fit: Vec<PathBuf>,
    /// Weight of one phrasing left out against one question.
    #[arg(long, default_value_t = 0.03, value_name = "W")]
    pub left_out_weight: f32,
    /// Weight of one evaluation report's question against one of the --fit files'.
    #[arg(long, default_value_t = 2.0, value_name = "W")]
    pub report_weight: f32,
    /// Boosting rounds (trees).
    #[arg(long, default_value_t = Growth::DEFAULT.rounds)]
    pub rounds: usize,
    /// Depth of each tree.
    #[arg(long, default_value_t = Growth::DEFAULT.depth)]
    pub depth: usize,
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
    Ask(AskArgs),
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
    Explain(ExplainArgs),
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
    Eval(EvalArgs),
    /// Fit the confidence model on question files and every phrasing left out in turn,
    /// and print it with its reliability on the files it was not fitted on.
    Calibrate(CalibrateArgs),
    /// Evaluation reports (`eval/reports/`): reports nobody tuned for, each with its
    /// knowledge base at editor effort and a batch written blind.
    Corpus {
        #[command(subcommand)]
        command: CorpusCommand,
    },
    /// From the question log: questions, answer rates, top entries, votes, top unanswered.
    Stats(StatsArgs),
    /// Act on an unanswered cluster (ids from `factdesk unanswered`) exactly as the
    /// moderators' buttons in Discord do.
    Curate {
        #[command(subcommand)]
        command: CurateCommand,
    },
    /// Unanswered questions from the log, in clusters of near-duplicates, biggest first.
    Unanswered(UnansweredArgs),
}

// The argument structs carry no doc comment of their own: the variant's is the help text.

#[derive(Debug, clap::Args)]
pub struct AskArgs {
    /// The question; omit it or give `-` to read one question a line from standard input.
    pub question: Option<String>,
    /// One JSON object per answer.
    #[arg(long)]
    pub json: bool,
    /// Only answer from this report.
    #[arg(long, value_name = "ID")]
    pub report: Option<String>,
    /// Answer exactly as in a newsroom channel (a higher bar for answering).
    #[arg(long)]
    pub newsroom: bool,
}

#[derive(Debug, clap::Args)]
pub struct ExplainArgs {
    pub question: String,
    #[arg(long, value_name = "ID")]
    pub report: Option<String>,
    /// Decide as in a newsroom channel (a higher bar for answering).
    #[arg(long)]
    pub newsroom: bool,
}

#[derive(Debug, clap::Args)]
pub struct EvalArgs {
    pub files: Vec<PathBuf>,
    #[arg(long)]
    pub json: bool,
    /// Load this many generated entries as other reports first (scale check).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub with_generated: usize,
    #[arg(long, value_name = "ID")]
    pub report: Option<String>,
    /// Answer as a newsroom channel would (a higher bar for answering).
    #[arg(long)]
    pub newsroom: bool,
    /// Also ask every phrasing against the knowledge base without it, per entry.
    #[arg(long)]
    pub leave_one_out: bool,
    /// Print the figures only, not the failures (for a first, blind score).
    #[arg(long)]
    pub no_failures: bool,
    /// Answer from this calibrated chance on instead (to read thresholds off).
    #[arg(long, value_name = "P")]
    pub answer_at: Option<f32>,
    /// Ask each question without the phrasing that repeats it word for word: how a
    /// set adopted as phrasings (`kb adopt`) is scored as unseen. Not for first scores.
    #[arg(long)]
    pub unseen: bool,
    /// Score with this confidence model (written by `calibrate --out`) instead of the
    /// shipped one: a model fitted without a set scores it as the bot would.
    #[arg(long, value_name = "FILE")]
    pub model: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct CalibrateArgs {
    /// Question files to fit on.
    #[arg(long = "fit", value_name = "FILE", required = true, num_args = 1..)]
    pub fit: Vec<PathBuf>,
    /// Question files to check the fitted model on.
    #[arg(long = "check", value_name = "FILE", num_args = 1..)]
    pub check: Vec<PathBuf>,
    /// Score each --check file with a model fitted on the --fit files and the other
    /// --check files, never itself, exactly as the bot would answer (leave one set
    /// out); print the totals per threshold and the pooled reliability. Writes no model.
    #[arg(long, requires = "check")]
    pub each_left_out: bool,
    /// Weight of one phrasing left out against one question of a file, in the fit.
    #[arg(long, default_value_t = 0.1, value_name = "W")]
    pub left_out_weight: f32,
    /// Write the fitted model here (the shipped one is src/matcher/confidence.json);
    /// without it, the model is printed.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Boosting rounds (trees).
    #[arg(long, default_value_t = Growth::DEFAULT.rounds)]
    pub rounds: usize,
    /// Depth of each tree.
    #[arg(long, default_value_t = Growth::DEFAULT.depth)]
    pub depth: usize,
    /// Shrinkage of each tree's leaves.
    #[arg(long, default_value_t = Growth::DEFAULT.learning_rate)]
    pub learning_rate: f32,
}

#[derive(Debug, clap::Args)]
pub struct StatsArgs {
    #[arg(long, default_value_t = 7, value_name = "N")]
    pub days: u32,
    #[command(flatten)]
    pub log: LogArgs,
}

#[derive(Debug, clap::Args)]
pub struct UnansweredArgs {
    #[arg(long, default_value_t = 30, value_name = "N")]
    pub days: u32,
    #[arg(long, default_value_t = 20, value_name = "N")]
    pub limit: usize,
    /// Clusters to skip (the next page).
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub offset: usize,
    #[command(flatten)]
    pub log: LogArgs,
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
        /// Show only the collisions of this entry: its phrasings that go elsewhere, and
        /// others' phrasings that land on it (the counts and exit status stay the whole report's).
        #[arg(long, value_name = "ID")]
        entry: Option<String>,
        /// Show only the errors (phrasings answered with another entry), not the warnings.
        #[arg(long)]
        errors: bool,
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
    New(NewReportArgs),
}

#[derive(Debug, clap::Args)]
pub struct NewReportArgs {
    /// The report's id and folder name (lower-case letters, digits, hyphens).
    pub id: String,
    /// The article as plain text; wrapped lines and blank-line paragraphs are fine.
    #[arg(long, value_name = "FILE")]
    pub article: PathBuf,
    /// Defaults to the article's headline (its first line).
    #[arg(long)]
    pub title: Option<String>,
    /// Who the report's facts come from, shown with every answer.
    #[arg(long)]
    pub attribution: Option<String>,
    /// Who wrote the report, as printed ("By Ana Ruiz, Riverside Ledger"); not its source.
    #[arg(long)]
    pub byline: Option<String>,
    /// The publication the report appeared in.
    #[arg(long)]
    pub outlet: Option<String>,
    /// Publication date, YYYY-MM-DD.
    #[arg(long, value_name = "DATE")]
    pub published: Option<String>,
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,
}

impl NewReportArgs {
    /// The scaffold's input: these details and the article's text.
    pub fn into_new_report(self, article: String) -> crate::authoring::NewReport {
        crate::authoring::NewReport {
            id: self.id,
            article,
            title: self.title,
            attribution: self.attribution,
            byline: self.byline,
            outlet: self.outlet,
            published: self.published,
            url: self.url,
        }
    }
}
