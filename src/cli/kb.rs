//! `validate` and the `kb` tools: checking, exporting, linting, coverage and merging.

use std::io::Write;
use std::path::Path;

use anyhow::Context as _;
use serde_json::json;

use super::{print_log, quality, writable_knowledge, CliError};
use crate::desk::Desk;
use crate::knowledge::{origin_folder, KnowledgeBase};

pub(super) fn validate(kb: &KnowledgeBase, out: &mut dyn Write) -> Result<(), CliError> {
    let gaps = kb.entries.iter().filter(|e| e.is_gap()).count();
    writeln!(
        out,
        "ok: {} report(s), {} entries, {} gaps in {}",
        kb.reports.len(),
        kb.entries.len() - gaps,
        gaps,
        read_from(kb)
    )
    .context("writing output")?;
    // Each report's own counts: a folder started by `report new` also holds the built-in
    // reports, and an editor wants the figures of the one being written.
    if kb.reports.len() > 1 {
        for (r, report) in kb.reports.iter().enumerate() {
            let (mut facts, mut gaps, mut phrasings) = (0, 0, 0);
            for e in kb.entries.iter().filter(|e| e.report == r) {
                if e.is_gap() {
                    gaps += 1;
                } else {
                    facts += 1;
                    phrasings += e.phrasings().count();
                }
            }
            writeln!(
                out,
                "  {}: {facts} entries ({:.1} phrasings each), {gaps} gaps",
                report.id,
                phrasings as f64 / facts.max(1) as f64
            )
            .context("writing output")?;
        }
    }
    Ok(())
}

pub(super) fn lint(
    kb: KnowledgeBase,
    report: Option<&str>,
    max_collisions: usize,
    focus: crate::authoring::diagnosis::Focus,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    quality::lint(&Desk::new(kb), report, max_collisions, &focus, out)
}

pub(super) fn coverage(
    kb: KnowledgeBase,
    report: Option<&str>,
    json: bool,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    if !json {
        writeln!(out, "coverage of {}", read_from(&kb)).context("writing output")?;
    }
    let desk = Desk::new(kb);
    let filter = desk.report_filter(report)?;
    print_log(crate::authoring::coverage(&desk, filter), json, out)
}

/// Runs on the folder as it is on disk, before it is loaded: it validates it itself.
pub(super) fn merge_additions(
    flag: Option<&Path>,
    report: Option<&str>,
    json: bool,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let root = writable_knowledge(flag)?;
    let merged = crate::knowledge::merge::merge_additions(&root, report)?;
    print_log(merged, json, out)
}

pub(super) fn export(kb: &KnowledgeBase, out: &mut dyn Write) -> Result<(), CliError> {
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

/// Which knowledge base a command read, for its output: an editor with two folders, or
/// none here, must see which one was checked.
fn read_from(kb: &KnowledgeBase) -> String {
    match origin_folder(&kb.origin) {
        Some(dir) => format!("the knowledge folder {}", dir.display()),
        None => "the built-in knowledge base (no ./knowledge here; give --knowledge DIR)".into(),
    }
}
