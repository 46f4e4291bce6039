//! Changes moderators make from chat: a new phrasing for an entry, or a new entry. They
//! go into `additions.toml` in the report's folder, a file an editor reviews in git like
//! any other, and are accepted only if the whole folder then validates exactly as it
//! would at start-up. The file is replaced atomically (temporary file, fsync, rename), so
//! a crash leaves either the old additions or the new ones, never half of them.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::Serialize;

use super::{KnowledgeBase, LoadError, Problem, SourceFiles};

/// The file in each report folder that curation writes.
pub const ADDITIONS_FILE: &str = "additions.toml";

pub(crate) const HEADER: &str =
    "# Phrasings and entries added by moderators (Discord, `factdesk curate`). Review them like any\n\
# other change; `factdesk kb merge-additions` moves them into the report's own files.\n";

/// One accepted change.
#[derive(Debug, Clone, PartialEq)]
pub enum Addition {
    /// Another way of asking an existing entry's question.
    Variant { entry: String, question: String },
    /// A new entry, drafted in chat.
    Entry(Draft),
}

/// A new entry as a moderator typed it. `paragraph` is still text: whether it is a
/// paragraph of the report is part of validation.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Draft {
    /// The report the entry belongs to.
    pub report: String,
    pub question: String,
    pub variants: Vec<String>,
    pub answer: String,
    pub paragraph: String,
    pub quote: String,
}

/// Why a change was not accepted. Nothing was written in any of these cases.
#[derive(Debug, thiserror::Error)]
pub enum CurationError {
    #[error("unknown entry `{0}`: it may have been renamed or removed; run the command again")]
    UnknownEntry(String),
    #[error("unknown report `{0}`")]
    UnknownReport(String),
    #[error("the paragraph must be a number from 1 to {max} (got \"{got}\")")]
    Paragraph { got: String, max: usize },
    #[error("{}", problems_text(.problems))]
    Invalid { problems: Vec<Problem> },
    #[error(
        "the knowledge folder has problems already, so nothing was added; fix them first:\n{0}"
    )]
    Broken(LoadError),
    #[error("cannot read the knowledge folder {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source}; nothing was changed")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

fn problems_text(problems: &[Problem]) -> String {
    let lines: Vec<String> = problems.iter().map(|p| format!("- {p}")).collect();
    format!("it would make these problems:\n{}", lines.join("\n"))
}

/// What [`apply`] did.
#[derive(Debug)]
pub struct Applied {
    /// The knowledge base with the change in it, ready to serve.
    pub knowledge: KnowledgeBase,
    /// The file written, relative to the knowledge folder.
    pub file: PathBuf,
    /// The entry that gained a phrasing, or the new entry's id.
    pub entry: String,
}

/// One writer at a time: two moderators accepting at once must not lose either change.
pub(crate) static WRITING: Mutex<()> = Mutex::new(());

/// Validates `addition` against the knowledge folder at `root` and, when the folder with
/// the change is valid, writes it to the report's additions file. `note` becomes a comment
/// above the change (where it came from), for the reviewer.
pub fn apply(root: &Path, addition: &Addition, note: &str) -> Result<Applied, CurationError> {
    let _guard = WRITING.lock().unwrap_or_else(|e| e.into_inner());
    let mut files = SourceFiles::read_dir(root).map_err(|source| CurationError::Read {
        path: root.to_path_buf(),
        source,
    })?;
    let origin = root.display().to_string();
    let current = KnowledgeBase::from_files(&files, &origin).map_err(CurationError::Broken)?;

    let (folder, entry, snippet) = match addition {
        Addition::Variant { entry, question } => {
            let index = current
                .entry_index(entry)
                .ok_or_else(|| CurationError::UnknownEntry(entry.clone()))?;
            let report = &current.reports[current.entries[index].report];
            let snippet = toml_table(
                "variant",
                &VariantToml {
                    entry,
                    question: one_line(question),
                },
            );
            (report.folder.clone(), entry.clone(), snippet)
        }
        Addition::Entry(draft) => {
            let (folder, entry) = entry_toml(&current, draft)?;
            let id = entry.id.clone();
            (folder, id, toml_table("entry", &entry))
        }
    };

    let file = folder.join(ADDITIONS_FILE);
    let mut text = files
        .get(&file)
        .map_or_else(|| HEADER.to_string(), str::to_string);
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text.push('\n');
    for line in note.lines() {
        text.push_str(&format!("# {line}\n"));
    }
    text.push_str(&snippet);
    files.insert(file.clone(), text.clone());

    let knowledge = match KnowledgeBase::from_files(&files, &origin) {
        Ok(kb) => kb,
        Err(LoadError::Invalid { problems, .. }) => {
            return Err(CurationError::Invalid { problems })
        }
        Err(other) => return Err(CurationError::Broken(other)),
    };
    write_atomically(&root.join(&file), text.as_bytes()).map_err(|source| {
        CurationError::Write {
            path: root.join(&file),
            source,
        }
    })?;
    Ok(Applied {
        knowledge,
        file,
        entry,
    })
}

#[derive(Serialize)]
struct VariantToml<'a> {
    entry: &'a str,
    question: String,
}

#[derive(Serialize)]
struct SourceToml {
    paragraph: i64,
    quote: String,
}

#[derive(Serialize)]
struct EntryToml {
    id: String,
    topic: String,
    question: String,
    variants: Vec<String>,
    answer: String,
    source: SourceToml,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related: Vec<String>,
}

/// `[[name]]` followed by the fields of `value`.
fn toml_table<T: Serialize>(name: &str, value: &T) -> String {
    #[derive(Serialize)]
    struct One<'a, T> {
        #[serde(flatten)]
        inner: std::collections::BTreeMap<&'a str, [&'a T; 1]>,
    }
    let mut inner = std::collections::BTreeMap::new();
    inner.insert(name, [value]);
    toml::to_string(&One { inner }).expect("plain strings and numbers always serialise")
}

/// Chat text on one line, trimmed (a phrasing is one line in every knowledge file).
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The entry a draft becomes, and the report folder it goes in. Its id comes from its
/// question; its topic and related entries from the entries citing the same paragraph.
fn entry_toml(kb: &KnowledgeBase, draft: &Draft) -> Result<(PathBuf, EntryToml), CurationError> {
    let report_index = kb
        .report_index(draft.report.trim())
        .ok_or_else(|| CurationError::UnknownReport(draft.report.clone()))?;
    let report = &kb.reports[report_index];
    let max = report.paragraphs.len();
    let paragraph = draft
        .paragraph
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|n| (1..=max as i64).contains(n))
        .ok_or_else(|| CurationError::Paragraph {
            got: draft.paragraph.trim().to_string(),
            max,
        })?;
    // The nearest paragraph that already has facts gives the topic.
    let facts = kb
        .entries
        .iter()
        .filter(|e| e.report == report_index)
        .filter_map(|e| e.source().map(|s| (e, s.paragraph as i64)));
    let nearest = facts
        .clone()
        .min_by_key(|(e, p)| ((p - paragraph).abs(), e.id.clone()));
    let topic = nearest.map_or_else(
        || "Added by moderators".to_string(),
        |(e, _)| e.topic.clone(),
    );
    let related: Vec<String> = facts
        .filter(|(_, p)| *p == paragraph)
        .map(|(e, _)| e.id.clone())
        .take(3)
        .collect();
    let question = one_line(&draft.question);
    let mut variants: Vec<String> = Vec::new();
    for v in &draft.variants {
        let v = one_line(v);
        if !v.is_empty() && v != question && !variants.contains(&v) {
            variants.push(v);
        }
    }
    let entry = EntryToml {
        id: unique_id(kb, &question),
        topic,
        question,
        variants,
        answer: one_line(&draft.answer),
        source: SourceToml {
            paragraph,
            // A quote is verbatim: only the ends are trimmed.
            quote: draft.quote.trim().to_string(),
        },
        related,
    };
    Ok((report.folder.clone(), entry))
}

/// A readable id from the question's first words, unused in the knowledge base.
fn unique_id(kb: &KnowledgeBase, question: &str) -> String {
    let words: Vec<String> = question
        .to_lowercase()
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(6)
        .map(str::to_string)
        .collect();
    let base = if words.is_empty() {
        "added".to_string()
    } else {
        format!("added-{}", words.join("-"))
    };
    let mut id = base.clone();
    let mut n = 2;
    while kb.entry_index(&id).is_some() {
        id = format!("{base}-{n}");
        n += 1;
    }
    id
}

/// Replaces `path` with `bytes` so that readers see the old file or the new one, whole.
/// The temporary file starts with a dot, so the loader never reads it.
fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let temp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let written = (|| {
        let mut f = std::fs::File::create(&temp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&temp, path)?;
        // The rename itself is durable once the folder is synced.
        std::fs::File::open(dir)?.sync_all()
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    written
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_valid_toml() {
        let t = toml_table(
            "variant",
            &VariantToml {
                entry: "goal",
                question: "what's \"the\" goal?\\ ".into(),
            },
        );
        assert!(t.starts_with("[[variant]]\n"), "{t}");
        let back: toml::Value = toml::from_str(&t).unwrap();
        assert_eq!(
            back["variant"][0]["question"].as_str(),
            Some("what's \"the\" goal?\\ ")
        );
    }

    #[test]
    fn one_line_joins_spacing() {
        assert_eq!(one_line("  a\n b\t c "), "a b c");
    }
}
