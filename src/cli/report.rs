//! `report new`: a report's folder started from an article.

use std::io::Write;
use std::path::Path;

use anyhow::Context as _;

use super::{CliError, NewReportArgs};
use crate::knowledge::factdesk_command;

/// Runs before the knowledge folder is loaded: the folder may not validate yet.
pub(super) fn new(
    flag: Option<&Path>,
    args: NewReportArgs,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    // The one command that may start a knowledge folder: here, when none is given or found.
    let root = crate::desk::knowledge_location(flag).unwrap_or_else(|| "knowledge".into());
    let text = std::fs::read_to_string(&args.article).map_err(|e| {
        CliError::Input(format!(
            "cannot read the article {}: {e}",
            args.article.display()
        ))
    })?;
    let id = args.id.clone();
    let new = args.into_new_report(text);
    let made = crate::authoring::scaffold::create(&root, &new)?;
    if made.started_folder {
        writeln!(
            out,
            "started the knowledge folder {} with the shared vocabulary (vocabulary.toml: stop words, synonyms, kinds of fact){}",
            root.display(),
            if made.built_in.is_empty() {
                String::new()
            } else {
                format!(
                    " and the built-in report(s) {}, as built in: the bot serves this folder, so they stay served beside the new one (delete a report's folder to stop serving it)",
                    made.built_in.join(", ")
                )
            }
        )
        .context("writing output")?;
    }
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
