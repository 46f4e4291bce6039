//! The shared vocabulary: synonym groups that do not overlap, and no stop word among them.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use super::file_check::FileCheck;
use super::{question_key, Problem};
use crate::knowledge::{SourceFiles, Vocabulary};

const VOCABULARY_FILE: &str = "vocabulary.toml";

pub(super) fn load_vocabulary(
    files: &SourceFiles,
    problems: &mut Vec<Problem>,
) -> Option<Vocabulary> {
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
