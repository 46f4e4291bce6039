//! Parsing and validation of knowledge files. Every problem is collected with its
//! file, line and entry id, so an editor can fix them all in one pass.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use super::syntax;
use super::{Body, Entry, KnowledgeBase, Report, Source, SourceFiles, SynonymGroup, Vocabulary};

/// Longest answer, in characters: a reply people read at a glance.
pub const MAX_ANSWER_CHARS: usize = 300;
/// Longest quote, in characters: a citation, not a copy of the paragraph.
pub const MAX_QUOTE_CHARS: usize = 200;
/// Fewest alternate phrasings per entry: one wording is never how everyone asks.
pub const MIN_VARIANTS: usize = 3;
/// Longest question or phrasing, in characters: longer text is a paste, not a question.
pub const MAX_QUESTION_CHARS: usize = 500;
/// Longest byline or outlet name, in characters: a credit line, not a biography.
pub const MAX_BYLINE_CHARS: usize = 200;

const VOCABULARY_FILE: &str = "vocabulary.toml";
const REPORT_FILE: &str = "report.toml";
const ARTICLE_FILE: &str = "article.txt";

/// One thing wrong in the knowledge base.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub file: PathBuf,
    pub line: Option<usize>,
    /// 1-based, in characters; given for TOML syntax errors, where the line is not enough.
    pub column: Option<usize>,
    pub entry: Option<String>,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        if let Some(entry) = &self.entry {
            write!(f, " [{entry}]")?;
        }
        write!(f, ": {}", self.message)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawReport {
    id: Option<Spanned<String>>,
    title: Option<Spanned<String>>,
    attribution: Option<Spanned<String>>,
    language: Option<Spanned<String>>,
    /// Who wrote the report ("By Ana Ruiz, Riverside Ledger"); `attribution` is who its
    /// facts come from.
    byline: Option<Spanned<String>>,
    /// The publication it appeared in.
    outlet: Option<Spanned<String>>,
    date: Option<String>,
    url: Option<String>,
    #[serde(default)]
    retired: bool,
    #[serde(default)]
    default: bool,
}

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
struct PendingVariant {
    report: usize,
    entry: String,
    question: String,
    file: PathBuf,
    line: usize,
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

/// Collects problems for one file, turning byte offsets into line numbers.
struct FileCheck<'a> {
    file: &'a Path,
    text: &'a str,
    problems: &'a mut Vec<Problem>,
    /// Where each line after the first starts: a phrasings file has thousands of
    /// lines, and counting newlines from the top for each of them was quadratic.
    line_starts: Vec<usize>,
}

impl<'a> FileCheck<'a> {
    fn new(file: &'a Path, text: &'a str, problems: &'a mut Vec<Problem>) -> Self {
        let line_starts = text
            .bytes()
            .enumerate()
            .filter(|&(_, b)| b == b'\n')
            .map(|(i, _)| i + 1)
            .collect();
        Self {
            file,
            text,
            problems,
            line_starts,
        }
    }

    fn line_of(&self, offset: usize) -> usize {
        let end = offset.min(self.text.len());
        self.line_starts.partition_point(|&start| start <= end) + 1
    }

    fn push(&mut self, offset: Option<usize>, entry: Option<&str>, message: impl Into<String>) {
        self.problems.push(Problem {
            file: self.file.to_path_buf(),
            line: offset.map(|o| self.line_of(o)),
            column: None,
            entry: entry.map(str::to_string),
            message: message.into(),
        });
    }

    /// A required, non-blank text field.
    fn required(
        &mut self,
        field: &Option<Spanned<String>>,
        name: &str,
        entry: Option<&str>,
        at: usize,
    ) -> Option<String> {
        match field {
            None => {
                self.push(Some(at), entry, format!("missing field `{name}`"));
                None
            }
            Some(value) if value.get_ref().trim().is_empty() => {
                self.push(
                    Some(value.span().start),
                    entry,
                    format!("field `{name}` is empty"),
                );
                None
            }
            Some(value) => Some(value.get_ref().trim().to_string()),
        }
    }

    /// The file's contents, or `None` with a problem at the line and column where the
    /// parser stopped, naming the likely cause when the line shows one.
    fn parse<T: for<'de> Deserialize<'de>>(&mut self) -> Option<T> {
        let err = match toml::from_str::<T>(self.text) {
            Ok(value) => return Some(value),
            Err(err) => err,
        };
        let found = err.message().trim_end_matches('\n');
        let Some(offset) = err.span().map(|s| s.start.min(self.text.len())) else {
            self.push(None, None, format!("TOML: {found}"));
            return None;
        };
        let line = self.line_of(offset);
        let start = line.checked_sub(2).map_or(0, |i| self.line_starts[i]);
        let text = self.text[start..].lines().next().unwrap_or("");
        let column = self
            .text
            .get(start..offset)
            .map_or(0, |t| t.chars().count());
        // Text that parses as TOML but not as this file's fields is not a syntax error.
        let message = if self.text.parse::<toml::Table>().is_ok() {
            format!("TOML: {found}")
        } else {
            match syntax::likely_cause(text, column, found) {
                Some(cause) => format!("TOML syntax: {found} — {}", cause.advice()),
                None => format!("TOML syntax: {found}"),
            }
        };
        self.problems.push(Problem {
            file: self.file.to_path_buf(),
            line: Some(line),
            column: Some(column + 1),
            entry: None,
            message,
        });
        None
    }
}

/// Text reduced to what makes two questions "the same question".
fn question_key(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_alphanumeric() || c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

struct PendingEntry {
    entry: Entry,
    file: PathBuf,
    line: usize,
    related_lines: Vec<(String, usize)>,
}

/// Parses every file and checks every rule. Returns the knowledge base when it could be
/// assembled, and all problems found; callers must refuse a base with any problem.
pub fn build(files: &SourceFiles, origin: &str) -> (Option<KnowledgeBase>, Vec<Problem>) {
    let mut problems = Vec::new();
    let vocabulary = load_vocabulary(files, &mut problems);

    let mut reports: Vec<Report> = Vec::new();
    let mut collected = Collected::default();
    let folders = files.report_folders();
    if folders.is_empty() {
        problems.push(Problem {
            file: PathBuf::from(origin),
            line: None,
            column: None,
            entry: None,
            message: "no report found: each report needs a folder with report.toml and article.txt"
                .into(),
        });
    }
    // Files that did not parse: entries defined in them are missing, so references to
    // entry ids elsewhere cannot be checked until they do.
    let mut unparsed: Vec<PathBuf> = Vec::new();
    for folder in folders {
        let report = match load_report(files, &folder, &mut problems) {
            Ok(report) => report,
            Err(Unloaded::Unparsed) => {
                unparsed.push(folder.join(REPORT_FILE));
                continue;
            }
            Err(Unloaded::Invalid) => continue,
        };
        if let Some(other) = reports.iter().find(|r| r.id == report.id) {
            problems.push(Problem {
                file: folder.join(REPORT_FILE),
                line: None,
                column: None,
                entry: None,
                message: format!(
                    "duplicate report id `{}` (also in {})",
                    report.id,
                    other.folder.display()
                ),
            });
            continue;
        }
        reports.push(report);
        let index = reports.len() - 1;
        for (path, text) in files.in_folder(&folder) {
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if name.ends_with(".toml") && name != REPORT_FILE {
                let loaded = load_entries(
                    path,
                    text,
                    index,
                    &reports[index],
                    &mut collected,
                    &mut problems,
                );
                match loaded {
                    Some(synonyms) => reports[index].synonyms.extend(synonyms),
                    None => unparsed.push(path.to_path_buf()),
                }
            }
        }
    }

    check_defaults(files, &reports, &mut problems);
    let incomplete = |report: usize| {
        let folder = &reports[report].folder;
        unparsed
            .iter()
            .any(|f| f.parent() == Some(folder.as_path()))
    };
    let Collected {
        mut pending,
        variants,
        invalid,
    } = collected;
    let mut skipped = attach_variants(variants, &mut pending, &invalid, incomplete, &mut problems);
    // Related ids may name an entry of any report.
    skipped += check_across_entries(&pending, &invalid, !unparsed.is_empty(), &mut problems);
    if skipped > 0 {
        problems.push(skipped_checks(&unparsed, skipped));
    }
    let entries = pending.into_iter().map(|p| p.entry).collect();
    let kb = vocabulary.map(|vocabulary| KnowledgeBase {
        reports,
        entries,
        vocabulary,
        origin: origin.to_string(),
    });
    (kb, problems)
}

/// At most one default report, and never a retired one.
fn check_defaults(files: &SourceFiles, reports: &[Report], problems: &mut Vec<Problem>) {
    let mut first: Option<&Report> = None;
    for r in reports.iter().filter(|r| r.default) {
        let message = if r.retired {
            "a retired report cannot be the default".to_string()
        } else if let Some(f) = first {
            format!(
                "`default = true` is also set for report `{}`; only one report can be the default",
                f.id
            )
        } else {
            first = Some(r);
            continue;
        };
        let file = r.folder.join(REPORT_FILE);
        let line = files.get(&file).and_then(|text| {
            text.lines()
                .position(|l| l.trim_start().starts_with("default"))
                .map(|i| i + 1)
        });
        problems.push(Problem {
            file,
            line,
            column: None,
            entry: None,
            message,
        });
    }
}

fn load_vocabulary(files: &SourceFiles, problems: &mut Vec<Problem>) -> Option<Vocabulary> {
    let path = Path::new(VOCABULARY_FILE);
    let Some(text) = files.get(path) else {
        problems.push(Problem {
            file: path.into(),
            line: None,
            column: None,
            entry: None,
            message: "missing: the knowledge folder needs the shared vocabulary file".into(),
        });
        return None;
    };
    let mut check = FileCheck::new(path, text, problems);
    let vocabulary: Vocabulary = check.parse()?;
    let mut owner: HashMap<String, &str> = HashMap::new();
    let stop: HashSet<String> = vocabulary
        .stop_words
        .iter()
        .map(|w| w.to_lowercase())
        .collect();
    for group in &vocabulary.synonyms {
        if group.canonical.trim().is_empty() || group.terms.is_empty() {
            check.push(
                None,
                Some(&group.canonical),
                "a synonym group needs a canonical name and terms",
            );
        }
        for term in &group.terms {
            let key = question_key(term);
            if stop.contains(&key) {
                check.push(
                    None,
                    Some(&group.canonical),
                    format!("`{term}` is both a stop word and a synonym"),
                );
            }
            if let Some(other) = owner.insert(key, &group.canonical) {
                if other != group.canonical {
                    check.push(
                        None,
                        Some(&group.canonical),
                        format!("`{term}` is also in the group `{other}`"),
                    );
                }
            }
        }
    }
    Some(vocabulary)
}

/// Why a report was left out.
enum Unloaded {
    /// Its `report.toml` did not parse.
    Unparsed,
    /// Something else is wrong with it; the problems say what.
    Invalid,
}

fn load_report(
    files: &SourceFiles,
    folder: &Path,
    problems: &mut Vec<Problem>,
) -> Result<Report, Unloaded> {
    let meta_path = folder.join(REPORT_FILE);
    let text = files.get(&meta_path).unwrap_or_default();
    let mut check = FileCheck::new(&meta_path, text, problems);
    let raw: RawReport = check.parse().ok_or(Unloaded::Unparsed)?;
    let id = check.required(&raw.id, "id", None, 0);
    let title = check.required(&raw.title, "title", None, 0);
    let attribution = check.required(&raw.attribution, "attribution", None, 0);
    let language = check.required(&raw.language, "language", None, 0);
    let byline = optional_text(&mut check, &raw.byline, "byline", MAX_BYLINE_CHARS);
    let outlet = optional_text(&mut check, &raw.outlet, "outlet", MAX_BYLINE_CHARS);

    let article_path = folder.join(ARTICLE_FILE);
    let paragraphs: Vec<String> = match files.get(&article_path) {
        Some(article) => article
            .lines()
            .map(|l| l.trim_end_matches('\r').to_string())
            .collect(),
        None => Vec::new(),
    };
    if paragraphs.iter().all(|p| p.trim().is_empty()) {
        problems.push(Problem {
            file: article_path,
            line: None,
            column: None,
            entry: None,
            message: "missing or empty: the report's text goes here, one paragraph a line".into(),
        });
        return Err(Unloaded::Invalid);
    }
    let (Some(id), Some(title), Some(attribution), Some(language)) =
        (id, title, attribution, language)
    else {
        return Err(Unloaded::Invalid);
    };
    Ok(Report {
        id,
        title,
        attribution,
        language,
        date: raw.date.filter(|d| !d.trim().is_empty()),
        url: raw.url.filter(|u| !u.trim().is_empty()),
        byline,
        outlet,
        retired: raw.retired,
        default: raw.default,
        paragraphs,
        folder: folder.to_path_buf(),
        synonyms: Vec::new(),
    })
}

/// An optional text field: absent is fine, present must say something, within `max`.
fn optional_text(
    check: &mut FileCheck<'_>,
    field: &Option<Spanned<String>>,
    name: &str,
    max: usize,
) -> Option<String> {
    let value = field.as_ref()?;
    let text = value.get_ref().trim();
    let at = value.span().start;
    if text.is_empty() {
        check.push(
            Some(at),
            None,
            format!("field `{name}` is empty; give it or leave it out"),
        );
        return None;
    }
    check_length(check, text, max, name, None, at);
    Some(text.to_string())
}

/// What the entry files of every report hold, checked each on its own, waiting for the
/// checks across files.
#[derive(Default)]
struct Collected {
    pending: Vec<PendingEntry>,
    variants: Vec<PendingVariant>,
    /// Entries (report, id) with problems of their own: left out of the base, but named
    /// rightly by a related id or a variant, which must not be reported as unknown too.
    invalid: HashSet<(usize, String)>,
}

fn load_entries(
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

fn check_length(
    check: &mut FileCheck<'_>,
    text: &str,
    max: usize,
    field: &str,
    id: Option<&str>,
    at: usize,
) {
    let chars = text.chars().count();
    if chars > max {
        check.push(
            Some(at),
            id,
            format!("`{field}` has {chars} characters; the limit is {max}"),
        );
    }
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

/// Adds each `[[variant]]` to its entry, which must be in the same report. An entry with
/// problems of its own (`invalid`) is not reported missing again; nor is one in a report
/// with a file that did not parse (`incomplete`), as it may be defined there. Returns how
/// many were left unchecked so.
fn attach_variants(
    variants: Vec<PendingVariant>,
    pending: &mut [PendingEntry],
    invalid: &HashSet<(usize, String)>,
    incomplete: impl Fn(usize) -> bool,
    problems: &mut Vec<Problem>,
) -> usize {
    let mut skipped = 0;
    for v in variants {
        let target = pending
            .iter_mut()
            .find(|p| p.entry.report == v.report && p.entry.id == v.entry);
        match target {
            Some(p) => p.entry.variants.push(v.question),
            None if invalid.contains(&(v.report, v.entry.clone())) => {}
            None if incomplete(v.report) => skipped += 1,
            None => problems.push(Problem {
                file: v.file,
                line: Some(v.line),
                column: None,
                entry: Some(v.entry.clone()),
                message: format!(
                    "a [[variant]] for `{}`, but this report has no entry with that id",
                    v.entry
                ),
            }),
        }
    }
    skipped
}

/// Duplicate ids and questions, and related ids. A related id naming an entry with problems
/// of its own (`invalid`) is not unknown; unknown ones are not reported when some file did
/// not parse (`incomplete`): returns how many were left unchecked so.
fn check_across_entries(
    pending: &[PendingEntry],
    invalid: &HashSet<(usize, String)>,
    incomplete: bool,
    problems: &mut Vec<Problem>,
) -> usize {
    let mut skipped = 0;
    let mut ids: HashMap<&str, &PendingEntry> = HashMap::new();
    for p in pending {
        if let Some(first) = ids.insert(&p.entry.id, p) {
            problems.push(Problem {
                file: p.file.clone(),
                line: Some(p.line),
                column: None,
                entry: Some(p.entry.id.clone()),
                message: format!(
                    "duplicate id (first used at {}:{})",
                    first.file.display(),
                    first.line
                ),
            });
        }
    }
    // The same question in two entries of one report would make the matcher guess.
    let mut questions: HashMap<(usize, String), &str> = HashMap::new();
    for p in pending {
        let e = &p.entry;
        let mut own = HashSet::new();
        for phrasing in std::iter::once(&e.question).chain(&e.variants) {
            let key = question_key(phrasing);
            if !own.insert(key.clone()) {
                continue;
            }
            if let Some(other) = questions.insert((e.report, key), &e.id) {
                if other != e.id {
                    problems.push(Problem {
                        file: p.file.clone(),
                        line: Some(p.line),
                        column: None,
                        entry: Some(e.id.clone()),
                        message: format!("the question \"{phrasing}\" is also in entry `{other}`"),
                    });
                }
            }
        }
        for (related, line) in &p.related_lines {
            if related == &e.id {
                problems.push(problem(
                    p,
                    *line,
                    "an entry cannot be related to itself".into(),
                ));
            } else if ids.contains_key(related.as_str())
                || invalid.iter().any(|(_, id)| id == related)
            {
                continue;
            } else if incomplete {
                skipped += 1;
            } else {
                problems.push(problem(p, *line, format!("unknown related id `{related}`")));
            }
        }
    }
    skipped
}

/// One note in place of the errors a file that did not parse would have caused elsewhere.
fn skipped_checks(unparsed: &[PathBuf], skipped: usize) -> Problem {
    // The problem is filed under the first such file; the others are named.
    let others: Vec<String> = unparsed
        .iter()
        .skip(1)
        .map(|f| f.display().to_string())
        .collect();
    let (verb, until) = if others.is_empty() {
        ("is", "this file".to_string())
    } else {
        ("are", format!("this file and {}", others.join(", ")))
    };
    Problem {
        file: unparsed.first().cloned().unwrap_or_default(),
        line: None,
        column: None,
        entry: None,
        message: format!(
            "{skipped} cross-file check(s) skipped until {until} {verb} fixed: related ids and \
             [[variant]]/[[phrasings]] entry ids may name entries defined there"
        ),
    }
}

fn problem(p: &PendingEntry, line: usize, message: String) -> Problem {
    Problem {
        file: p.file.clone(),
        line: Some(line),
        column: None,
        entry: Some(p.entry.id.clone()),
        message,
    }
}
