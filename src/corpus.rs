//! Evaluation reports: reports nobody tuned for, kept under `eval/reports/<id>/` and never
//! served. Each holds a report folder as an editor wrote it (`report.toml`, `article.txt`,
//! `entries.toml`, `gaps.toml`) and a question batch written blind (`blind.jsonl`). Each is
//! scored against a knowledge base of the shared vocabulary and that report alone, or with
//! the served reports loaded beside it, which is how a newsroom adds a report.

use std::path::{Path, PathBuf};

use crate::knowledge::{KnowledgeBase, LoadError, SourceFiles};

/// The blind question batch of an evaluation report.
pub const QUESTIONS_FILE: &str = "blind.jsonl";

/// One evaluation report on disk.
#[derive(Debug, Clone)]
pub struct EvalReport {
    /// The folder name, which is also the report id.
    pub id: String,
    pub dir: PathBuf,
}

impl EvalReport {
    pub fn questions(&self) -> PathBuf {
        self.dir.join(QUESTIONS_FILE)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CorpusError {
    #[error("cannot read the evaluation reports at {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} holds no evaluation report (a folder with report.toml and {QUESTIONS_FILE})")]
    Empty { path: PathBuf },
    #[error(transparent)]
    Load(#[from] LoadError),
}

/// The evaluation reports under `root`, in name order: every folder holding a
/// `report.toml` and a question batch.
pub fn discover(root: &Path) -> Result<Vec<EvalReport>, CorpusError> {
    let io = |source| CorpusError::Io {
        path: root.to_path_buf(),
        source,
    };
    let mut found = Vec::new();
    for item in std::fs::read_dir(root).map_err(io)? {
        let dir = item.map_err(io)?.path();
        let Some(id) = dir.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        if dir.join("report.toml").is_file() && dir.join(QUESTIONS_FILE).is_file() {
            found.push(EvalReport {
                id: id.to_string(),
                dir: dir.clone(),
            });
        }
    }
    found.sort_by(|a, b| a.id.cmp(&b.id));
    if found.is_empty() {
        return Err(CorpusError::Empty {
            path: root.to_path_buf(),
        });
    }
    Ok(found)
}

/// Which reports are loaded beside the one scored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Company {
    /// The shared vocabulary and the evaluation report only.
    Alone,
    /// The served reports too: a question may land on any of them.
    Beside,
}

/// The knowledge base an evaluation report is scored against: the shared files of
/// `base` (its vocabulary), the report's own folder, and with [`Company::Beside`] every
/// report of `base`. The report's question batch is not part of it.
pub fn knowledge(
    base: &SourceFiles,
    report: &EvalReport,
    company: Company,
) -> Result<KnowledgeBase, CorpusError> {
    let mut files = SourceFiles::default();
    for (path, text) in base.iter() {
        let shared = path.parent().is_none_or(|p| p.as_os_str().is_empty());
        if shared || company == Company::Beside {
            files.insert(path, text);
        }
    }
    let own = SourceFiles::read_dir(&report.dir).map_err(|source| CorpusError::Io {
        path: report.dir.clone(),
        source,
    })?;
    for (path, text) in own.iter() {
        let in_folder = path.parent().is_none_or(|p| p.as_os_str().is_empty());
        if in_folder && path.file_name().is_some_and(|n| n != QUESTIONS_FILE) {
            files.insert(Path::new(&report.id).join(path), text);
        }
    }
    Ok(KnowledgeBase::from_files(
        &files,
        &report.dir.display().to_string(),
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) {
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(dir.join(name), text).unwrap();
    }

    #[test]
    fn a_report_is_loaded_alone_or_beside_the_served_ones() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("harbour");
        write(
            &dir,
            "report.toml",
            "id = \"harbour\"\ntitle = \"Harbour\"\nattribution = \"A wire\"\nlanguage = \"en\"\n",
        );
        write(&dir, "article.txt", "The harbour will close on May 3.\n");
        write(
            &dir,
            "entries.toml",
            r#"[[entry]]
id = "closing"
topic = "Harbour"
question = "When will the harbour close?"
variants = ["harbour closing date", "when does the harbour shut", "closing day of the harbour"]
answer = "It closes on May 3."
source = { paragraph = 1, quote = "The harbour will close on May 3." }
"#,
        );
        write(&dir, QUESTIONS_FILE, "");
        let found = discover(tmp.path()).unwrap();
        assert_eq!(found.len(), 1);
        let base = crate::knowledge::bundled_files();
        let alone = knowledge(&base, &found[0], Company::Alone).unwrap();
        assert_eq!(alone.reports.len(), 1);
        assert_eq!(alone.reports[0].id, "harbour");
        let beside = knowledge(&base, &found[0], Company::Beside).unwrap();
        assert!(beside.reports.len() >= 2);
        assert!(beside.report_index("harbour").is_some());
    }

    #[test]
    fn a_folder_without_reports_is_an_error_that_names_it() {
        let tmp = tempfile::tempdir().unwrap();
        let err = discover(tmp.path()).unwrap_err().to_string();
        assert!(err.contains("no evaluation report"), "{err}");
    }
}
