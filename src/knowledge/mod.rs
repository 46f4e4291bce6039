//! The knowledge base: reports, their question-and-answer entries, the known gaps
//! and the shared vocabulary. Loaded from a folder or from the copy built into the
//! binary, validated as a whole, and never served with a single problem in it.

pub mod additions;
mod bundled;
mod files;
pub mod merge;
mod syntax;
pub mod synthetic;
mod validate;
mod vocabulary;

use std::path::{Path, PathBuf};

pub use files::SourceFiles;
pub use validate::{
    Problem, MAX_ANSWER_CHARS, MAX_BYLINE_CHARS, MAX_QUESTION_CHARS, MAX_QUOTE_CHARS, MIN_VARIANTS,
};
pub use vocabulary::{AnswerType, NumberKind, SynonymGroup, Vocabulary};

/// The knowledge folder as it was when the binary was built.
pub fn bundled_files() -> SourceFiles {
    bundled::files()
}

/// One report the bot answers questions about.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub id: String,
    pub title: String,
    pub attribution: String,
    pub language: String,
    /// Publication date, as written in `report.toml` (`date`).
    pub date: Option<String>,
    pub url: Option<String>,
    /// Who wrote the report, as printed ("By Ana Ruiz, Riverside Ledger"): its authors,
    /// where `attribution` is who its facts come from.
    pub byline: Option<String>,
    /// The publication the report appeared in.
    pub outlet: Option<String>,
    /// Kept and validated, but no longer offered or answered.
    pub retired: bool,
    /// Answered from when several reports match a question equally well.
    pub default: bool,
    /// Paragraph `n` (1-based, as cited) is `paragraphs[n - 1]`.
    pub paragraphs: Vec<String>,
    /// The folder the report was loaded from, relative to the knowledge root.
    pub folder: PathBuf,
    /// Words that mean the same thing in this report only (its `[[synonyms]]`): its
    /// entries are indexed under every word of a group, so a question using another
    /// word of it still finds them, while other reports keep the words apart.
    pub synonyms: Vec<SynonymGroup>,
}

impl Report {
    pub fn paragraph(&self, number: usize) -> Option<&str> {
        number
            .checked_sub(1)
            .and_then(|i| self.paragraphs.get(i))
            .map(String::as_str)
    }
}

/// Where an answer comes from: a paragraph of the report and words quoted from it.
#[derive(Debug, Clone, PartialEq)]
pub struct Source {
    pub paragraph: usize,
    pub quote: String,
}

/// What an entry says when it is the best match.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    /// The report answers the question.
    Fact { answer: String, source: Source },
    /// Readers ask this, but the report does not say: the note explains what is missing.
    Gap { note: String },
}

/// One curated question with its phrasings and what the bot says about it.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub id: String,
    /// Index into [`KnowledgeBase::reports`].
    pub report: usize,
    pub topic: String,
    pub question: String,
    pub variants: Vec<String>,
    /// Short phrasings (a name, a figure), scored as whole phrasings like the question:
    /// a question containing all of a keyword's words repeats that phrasing in full.
    /// Unlike variants, they are read as written, not corrected for typos.
    pub keywords: Vec<String>,
    pub body: Body,
    pub related: Vec<String>,
}

impl Entry {
    pub fn is_gap(&self) -> bool {
        matches!(self.body, Body::Gap { .. })
    }

    /// A gap, or an entry whose answer opens by saying the report doesn't give it ("The
    /// report doesn't say. The director declined to say whether…"): either way the bot
    /// declines with it rather than asserting it.
    pub fn says_nothing(&self) -> bool {
        match &self.body {
            Body::Gap { .. } => true,
            Body::Fact { answer, .. } => after_not_said(answer).is_some(),
        }
    }

    /// What a decline with this entry says: a gap's note, or such an answer.
    pub fn not_said_note(&self) -> Option<&str> {
        match &self.body {
            Body::Gap { note } => Some(note),
            Body::Fact { answer, .. } => {
                after_not_said(answer).is_some().then_some(answer.as_str())
            }
        }
    }

    /// Every way the entry is asked: its question, then its variants, then keywords.
    pub fn phrasings(&self) -> impl Iterator<Item = &String> {
        std::iter::once(&self.question)
            .chain(&self.variants)
            .chain(&self.keywords)
    }

    pub fn answer(&self) -> Option<&str> {
        match &self.body {
            Body::Fact { answer, .. } => Some(answer),
            Body::Gap { .. } => None,
        }
    }

    pub fn source(&self) -> Option<&Source> {
        match &self.body {
            Body::Fact { source, .. } => Some(source),
            Body::Gap { .. } => None,
        }
    }
}

/// Everything the bot knows, validated.
#[derive(Debug, Clone)]
pub struct KnowledgeBase {
    pub reports: Vec<Report>,
    pub entries: Vec<Entry>,
    pub vocabulary: Vocabulary,
    /// Where it came from, for messages: a folder, or "built-in".
    pub origin: String,
}

/// Why a knowledge base could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read the knowledge folder {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{} problem(s) in the knowledge base at {origin}; fix them and run `{}` again:\n{}",
        .problems.len(),
        factdesk_command(origin_folder(origin), "validate"),
        .problems.iter().map(|p| format!("  {p}")).collect::<Vec<_>>().join("\n"))]
    Invalid {
        origin: String,
        problems: Vec<Problem>,
    },
}

/// What [`KnowledgeBase::bundled`] gives as its origin.
pub const BUILT_IN: &str = "built-in";

/// The folder a knowledge base was loaded from, by its origin; `None` when built in.
pub fn origin_folder(origin: &str) -> Option<&Path> {
    (origin != BUILT_IN).then_some(Path::new(origin))
}

/// `factdesk ARGS` as an editor types it to run on the same knowledge again: with
/// `--knowledge FOLDER` when a folder is given, so a hint copied from one command's output
/// reads the files that command read.
pub fn factdesk_command(folder: Option<&Path>, args: &str) -> String {
    match folder {
        Some(dir) => format!(
            "factdesk --knowledge {} {args}",
            shell_word(&dir.display().to_string())
        ),
        None => format!("factdesk {args}"),
    }
}

/// A word the shell passes on as it is: quoted when it holds anything but plain path characters.
pub(crate) fn shell_word(word: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "/._-+,:@=".contains(c);
    if !word.is_empty() && word.chars().all(plain) {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

impl KnowledgeBase {
    /// Loads and validates the knowledge folder at `root`.
    pub fn load_dir(root: &Path) -> Result<Self, LoadError> {
        let files = SourceFiles::read_dir(root).map_err(|source| LoadError::Io {
            path: root.to_path_buf(),
            source,
        })?;
        Self::from_files(&files, &root.display().to_string())
    }

    /// The knowledge base compiled into the binary.
    pub fn bundled() -> Result<Self, LoadError> {
        Self::from_files(&bundled::files(), BUILT_IN)
    }

    /// Parses and validates a set of knowledge files; every problem is reported at once.
    pub fn from_files(files: &SourceFiles, origin: &str) -> Result<Self, LoadError> {
        let (kb, problems) = validate::build(files, origin);
        match kb {
            Some(kb) if problems.is_empty() => Ok(kb),
            _ => Err(LoadError::Invalid {
                origin: origin.to_string(),
                problems,
            }),
        }
    }

    pub fn report_index(&self, id: &str) -> Option<usize> {
        self.reports.iter().position(|r| r.id == id)
    }

    pub fn entry(&self, id: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.id == id)
    }

    pub fn entry_index(&self, id: &str) -> Option<usize> {
        self.entries.iter().position(|e| e.id == id)
    }

    /// Topic names in the order they first appear, optionally for one report.
    pub fn topics(&self, report: Option<usize>) -> Vec<&str> {
        let mut topics: Vec<&str> = Vec::new();
        for e in self.entries.iter().filter(|e| !e.is_gap()) {
            if report.is_none_or(|r| r == e.report) && !topics.contains(&e.topic.as_str()) {
                topics.push(&e.topic);
            }
        }
        topics
    }
}

/// Openings by which a text says the report does not give a fact.
const NOT_SAID: &[&str] = &[
    "the report doesn't say",
    "the report does not say",
    "the report doesn't state",
    "the report does not state",
    "the article doesn't say",
    "the article does not say",
    "the story doesn't say",
    "the story does not say",
    "it doesn't say",
    "it does not say",
    "not stated",
    "it is unclear",
    "it's unclear",
    "unclear",
];

/// The rest of a text that opens by saying the report doesn't give the fact, without
/// that opening and its punctuation; `None` when it does not open so.
pub fn after_not_said(text: &str) -> Option<String> {
    let text = text.trim_start().replace('\u{2019}', "'");
    let opening = NOT_SAID.iter().find(|o| {
        text.get(..o.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(o))
            && text[o.len()..].starts_with(|c: char| !c.is_alphanumeric())
            || text.len() == o.len() && text.eq_ignore_ascii_case(o)
    })?;
    Some(
        text[opening.len()..]
            .trim_start_matches([' ', '.', ':', ',', ';', '\u{2014}', '-'])
            .to_string(),
    )
}
