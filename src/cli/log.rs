//! The question log's commands: `stats`, `unanswered` and `curate`.

use std::io::Write;
use std::path::Path;

use anyhow::Context as _;
use serde_json::json;

use super::{print_log, CliError, CurateCommand, LogArgs, StatsArgs, UnansweredArgs};
use crate::curation::Views as _;
use crate::desk::{knowledge_location, Desk};
use crate::knowledge::{factdesk_command, KnowledgeBase};
use crate::matcher::Matcher;

/// How long the command waits for the store to record a curation step.
const RECORD_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

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

pub(super) fn stats(
    kb: &KnowledgeBase,
    flag: Option<&Path>,
    args: StatsArgs,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let StatsArgs { days, log } = args;
    let stats = log.reader().and_then(|r| r.stats(&Matcher::new(kb), days));
    let stats = stats.map_err(anyhow::Error::from)?;
    let more = stats.unanswered_clusters > 0 && !log.json;
    print_log(stats, log.json, out)?;
    if more {
        writeln!(
            out,
            "next: `{}` lists every unanswered cluster",
            unanswered_command(flag, &log)
        )
        .context("writing output")?;
    }
    Ok(())
}

pub(super) fn unanswered(
    kb: &KnowledgeBase,
    args: UnansweredArgs,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let UnansweredArgs {
        days,
        limit,
        offset,
        log,
    } = args;
    let page = log
        .reader()
        .and_then(|r| r.unanswered(&Matcher::new(kb), days, offset, limit));
    print_log(page.map_err(anyhow::Error::from)?, log.json, out)
}

pub(super) fn curate(
    kb: KnowledgeBase,
    flag: Option<&Path>,
    command: CurateCommand,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let desk = Desk::new(kb);
    let dir = knowledge_location(flag);
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
        knowledge_dir: dir.as_deref(),
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

/// `factdesk unanswered` on the same knowledge and question log as the command that
/// names it.
fn unanswered_command(flag: Option<&Path>, log: &LogArgs) -> String {
    let mut command = factdesk_command(flag, "unanswered");
    if log.db != Path::new(crate::store::DEFAULT_PATH) {
        command.push_str(" --db ");
        command.push_str(&crate::knowledge::shell_word(&log.db.display().to_string()));
    }
    command
}
