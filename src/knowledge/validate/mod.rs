//! Parsing and validation of knowledge files. Every problem is collected with its
//! file, line and entry id, so an editor can fix them all in one pass.
//!
//! [`build`] reads the shared vocabulary (`vocabulary.rs`), each report's metadata and
//! article (`report.rs`), then its entry files, each checked on its own (`entries.rs`),
//! and last the checks that need every file (`across_files.rs`). `file_check.rs` turns
//! byte offsets into the lines and columns an editor is shown.

mod across_files;
mod entries;
mod file_check;
mod report;
mod vocabulary;

use std::fmt;
use std::path::PathBuf;

use super::{KnowledgeBase, Report, SourceFiles};
use across_files::{attach_variants, check_across_entries, skipped_checks};
use entries::{load_entries, Collected};
use report::{check_defaults, load_report, Unloaded, REPORT_FILE};
use vocabulary::load_vocabulary;

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
