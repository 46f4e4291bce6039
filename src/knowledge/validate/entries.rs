//! One entry file of a report, checked on its own: its entries and gaps, and the
//! phrasings (`[[variant]]`, `[[phrasings]]`) that wait for the checks across files.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use super::file_check::{check_length, FileCheck};
use super::{Problem, MAX_ANSWER_CHARS, MAX_QUESTION_CHARS, MAX_QUOTE_CHARS, MIN_VARIANTS};
use crate::knowledge::{Body, Entry, Report, Source, SynonymGroup};

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawEntryFile {
    #[serde(default)]
    entry: Vec<Spanned<RawEntry>>,
    #[serde(default)]
    gap: Vec<Spanned<RawEntry>>,
    /// Extra phrasings for an entry defined elsewhere in the same report (what moderators
    /// add from chat; see `additions.rs`).
    #[serde(default)]
    variant: Vec<Spanned<RawVariant>>,
    /// Many phrasings of an entry defined elsewhere in the same report, kept apart from
    /// the curated entries so those stay readable (a report's `phrasings.toml`).
    #[serde(default)]
    phrasings: Vec<Spanned<RawPhrasings>>,
    /// Synonyms that hold in this report only (see [`Report::synonyms`]).
    #[serde(default)]
    synonyms: Vec<SynonymGroup>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPhrasings {
    entry: Option<Spanned<String>>,
    #[serde(default)]
    texts: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawVariant {
    entry: Option<Spanned<String>>,
    question: Option<Spanned<String>>,
}

/// A `[[variant]]` waiting for every entry of its report to be known.
pub(super) struct PendingVariant {
    pub(super) report: usize,
    pub(super) entry: String,
    pub(super) question: String,
    pub(super) file: PathBuf,
    pub(super) line: usize,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    id: Option<Spanned<String>>,
    topic: Option<Spanned<String>>,
    question: Option<Spanned<String>>,
    #[serde(default)]
    variants: Vec<Spanned<String>>,
    #[serde(default)]
    keywords: Vec<Spanned<String>>,
    answer: Option<Spanned<String>>,
    note: Option<Spanned<String>>,
    source: Option<Spanned<RawSource>>,
    #[serde(default)]
    related: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSource {
    paragraph: Option<Spanned<i64>>,
    quote: Option<Spanned<String>>,
}

pub(super) struct PendingEntry {
    pub(super) entry: Entry,
    pub(super) file: PathBuf,
    pub(super) line: usize,
    pub(super) related_lines: Vec<(String, usize)>,
}

/// What the entry files of every report hold, checked each on its own, waiting for the
/// checks across files.
#[derive(Default)]
pub(super) struct Collected {
    pub(super) pending: Vec<PendingEntry>,
    pub(super) variants: Vec<PendingVariant>,
    /// Entries (report, id) with problems of their own: left out of the base, but named
    /// rightly by a related id or a variant, which must not be reported as unknown too.
    pub(super) invalid: HashSet<(usize, String)>,
}

pub(super) fn load_entries(
    path: &Path,
    text: &str,
    report_index: usize,
    report: &Report,
    collected: &mut Collected,
    problems: &mut Vec<Problem>,
) -> Option<Vec<SynonymGroup>> {
    let Collected {
        pending,
        variants,
        invalid,
    } = collected;
    let mut check = FileCheck::new(path, text, problems);
    let raw = check.parse::<RawEntryFile>()?;
    for spanned in raw.variant {
        let at = spanned.span().start;
        let raw = spanned.into_inner();
        let entry = check.required(&raw.entry, "entry", None, at);
        let question = check.required(&raw.question, "question", entry.as_deref(), at);
        if let (Some(q), Some(span)) = (&question, &raw.question) {
            let id = entry.as_deref();
            check_length(
                &mut check,
                q,
                MAX_QUESTION_CHARS,
                "question",
                id,
                span.span().start,
            );
        }
        if let (Some(entry), Some(question)) = (entry, question) {
            variants.push(PendingVariant {
                report: report_index,
                entry,
                question,
                file: path.to_path_buf(),
                line: check.line_of(at),
            });
        }
    }
    for spanned in raw.phrasings {
        let at = spanned.span().start;
        let raw = spanned.into_inner();
        let Some(entry) = check.required(&raw.entry, "entry", None, at) else {
            continue;
        };
        for text in raw.texts {
            let start = text.span().start;
            let question = text.into_inner();
            check_length(
                &mut check,
                &question,
                MAX_QUESTION_CHARS,
                "phrasing",
                Some(&entry),
                start,
            );
            if question.trim().is_empty() {
                check.push(Some(start), Some(&entry), "an empty phrasing");
                continue;
            }
            variants.push(PendingVariant {
                report: report_index,
                entry: entry.clone(),
                question,
                file: path.to_path_buf(),
                line: check.line_of(start),
            });
        }
    }
    let all = raw
        .entry
        .into_iter()
        .map(|e| (e, false))
        .chain(raw.gap.into_iter().map(|g| (g, true)));
    for (spanned, is_gap) in all {
        let at = spanned.span().start;
        let raw = spanned.into_inner();
        let id_text = raw.id.as_ref().map(|i| i.get_ref().trim().to_string());
        let id = id_text.as_deref().filter(|i| !i.is_empty());
        let line = check.line_of(raw.id.as_ref().map_or(at, |i| i.span().start));
        let owned_id = id.map(str::to_string);
        let entry = check_entry(&mut check, raw, id, at, is_gap, report_index, report);
        match (entry, owned_id) {
            (Some((entry, related_lines)), _) => pending.push(PendingEntry {
                entry,
                file: path.to_path_buf(),
                line,
                related_lines,
            }),
            (None, Some(id)) => {
                invalid.insert((report_index, id));
            }
            (None, None) => {}
        }
    }
    Some(raw.synonyms)
}

type Checked = (Entry, Vec<(String, usize)>);

fn check_entry(
    check: &mut FileCheck<'_>,
    raw: RawEntry,
    id: Option<&str>,
    at: usize,
    is_gap: bool,
    report_index: usize,
    report: &Report,
) -> Option<Checked> {
    if id.is_none() {
        check.required(&raw.id, "id", None, at);
    }
    let topic = check.required(&raw.topic, "topic", id, at);
    let question = check.required(&raw.question, "question", id, at);
    if raw.variants.len() < MIN_VARIANTS {
        check.push(
            Some(at),
            id,
            format!(
                "needs at least {MIN_VARIANTS} alternate phrasings in `variants` (has {})",
                raw.variants.len()
            ),
        );
    }
    for v in raw.variants.iter().chain(&raw.keywords) {
        if v.get_ref().trim().is_empty() {
            check.push(Some(v.span().start), id, "an empty phrasing or keyword");
        }
    }
    for q in raw.question.iter().chain(&raw.variants) {
        let text = q.get_ref().trim();
        check_length(
            check,
            text,
            MAX_QUESTION_CHARS,
            "question",
            id,
            q.span().start,
        );
    }
    let body = if is_gap {
        if raw.answer.is_some() || raw.source.is_some() {
            check.push(
                Some(at),
                id,
                "a gap has a `note`, not an `answer` or `source`",
            );
        }
        let note = check.required(&raw.note, "note", id, at);
        if let (Some(n), Some(span)) = (&note, &raw.note) {
            check_length(check, n, MAX_ANSWER_CHARS, "note", id, span.span().start);
        }
        note.map(|note| Body::Gap { note })
    } else {
        if raw.note.is_some() {
            check.push(
                Some(at),
                id,
                "`note` belongs to a [[gap]]; an [[entry]] has `answer` and `source`",
            );
        }
        let answer = check.required(&raw.answer, "answer", id, at);
        if let (Some(a), Some(span)) = (&answer, &raw.answer) {
            check_length(check, a, MAX_ANSWER_CHARS, "answer", id, span.span().start);
        }
        let source = check_source(check, raw.source, id, at, report);
        match (answer, source) {
            (Some(answer), Some(source)) => Some(Body::Fact { answer, source }),
            _ => None,
        }
    };
    let related_lines: Vec<(String, usize)> = raw
        .related
        .iter()
        .map(|r| {
            (
                r.get_ref().trim().to_string(),
                check.line_of(r.span().start),
            )
        })
        .collect();
    let entry = Entry {
        id: id?.to_string(),
        report: report_index,
        topic: topic?,
        question: question?,
        variants: raw
            .variants
            .into_iter()
            .map(|v| v.into_inner().trim().to_string())
            .collect(),
        keywords: raw
            .keywords
            .into_iter()
            .map(|k| k.into_inner().trim().to_string())
            .collect(),
        body: body?,
        related: related_lines.iter().map(|(r, _)| r.clone()).collect(),
    };
    Some((entry, related_lines))
}

fn check_source(
    check: &mut FileCheck<'_>,
    source: Option<Spanned<RawSource>>,
    id: Option<&str>,
    at: usize,
    report: &Report,
) -> Option<Source> {
    let Some(source) = source else {
        check.push(
            Some(at),
            id,
            "missing field `source` = { paragraph = N, quote = \"…\" }",
        );
        return None;
    };
    let source_at = source.span().start;
    let source = source.into_inner();
    let Some(paragraph) = source.paragraph else {
        check.push(Some(source_at), id, "missing `source.paragraph`");
        return None;
    };
    let quote = check.required(&source.quote, "source.quote", id, source_at);
    let number = *paragraph.get_ref();
    let count = report.paragraphs.len();
    let text = usize::try_from(number)
        .ok()
        .and_then(|n| report.paragraph(n));
    let Some(text) = text else {
        check.push(
            Some(paragraph.span().start),
            id,
            format!("paragraph {number} is out of range: the report has paragraphs 1 to {count}"),
        );
        return None;
    };
    let quote = quote?;
    let quote_at = source.quote.as_ref().map_or(source_at, |q| q.span().start);
    check_length(check, &quote, MAX_QUOTE_CHARS, "source.quote", id, quote_at);
    if !text.contains(&quote) {
        check.push(Some(quote_at), id, format!(
            "the quote is not found verbatim in paragraph {number}; copy it exactly, curly quotes and dashes included"
        ));
        return None;
    }
    Some(Source {
        paragraph: number as usize,
        quote,
    })
}
