//! The checks that need every entry file read: phrasings joined to their entries,
//! duplicate ids and questions, and related ids.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use super::entries::{PendingEntry, PendingVariant};
use super::{question_key, Problem};

/// Adds each `[[variant]]` to its entry, which must be in the same report. An entry with
/// problems of its own (`invalid`) is not reported missing again; nor is one in a report
/// with a file that did not parse (`incomplete`), as it may be defined there. Returns how
/// many were left unchecked so.
pub(super) fn attach_variants(
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
pub(super) fn check_across_entries(
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
pub(super) fn skipped_checks(unparsed: &[PathBuf], skipped: usize) -> Problem {
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
