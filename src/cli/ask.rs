//! `ask` and `chat`: questions answered as the bot answers them.

use std::io::{BufRead, Write};

use anyhow::Context as _;

use super::{reply_text, AskArgs, CliError};
use crate::desk::Desk;
use crate::knowledge::KnowledgeBase;
use crate::matcher::Config;
use crate::reply::{Reply, HELP_TEXT};

pub(super) fn ask(
    kb: KnowledgeBase,
    args: AskArgs,
    input: &mut dyn BufRead,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let desk = Desk::new(kb);
    desk.report_filter(args.report.as_deref())?;
    let config = if args.newsroom {
        Config::newsroom()
    } else {
        Config::DEFAULT
    };
    let asking = Asking {
        desk: &desk,
        report: args.report.as_deref(),
        config: &config,
        json: args.json,
    };
    match args.question.as_deref() {
        None | Some("-") => {
            for line in lines(input) {
                asking.answer(&line?, out)?;
            }
            Ok(())
        }
        Some(q) if q.trim().is_empty() => Err(CliError::Input(
            "the question is empty: give a question, or `-` to read questions from standard input"
                .into(),
        )),
        Some(q) => asking.answer(q, out),
    }
}

pub(super) fn chat(
    kb: KnowledgeBase,
    report: Option<&str>,
    input: &mut dyn BufRead,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let desk = Desk::new(kb);
    desk.report_filter(report)?;
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

fn write_reply(reply: &Reply, json: bool, out: &mut dyn Write) -> Result<(), CliError> {
    if json {
        serde_json::to_writer(&mut *out, reply).context("writing output")?;
        writeln!(out).context("writing output")?;
    } else {
        write!(out, "{}", reply_text(reply)).context("writing output")?;
    }
    Ok(())
}
