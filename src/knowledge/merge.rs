//! Moving accepted additions into a report's own files, so nobody moves them by hand:
//! each `[[variant]]` joins the `variants` of its entry in whichever file defines it, and
//! each new `[[entry]]` goes to `entries.toml`, before its first entry: `additions.toml`
//! is read just before `entries.toml`, so that is where the bot already serves them, and
//! moving them to the end would reorder the report's topics. The files are edited with a
//! format-preserving TOML editor, so their comments, order and layout stay as they were.
//!
//! Nothing is written unless the whole folder validates before and after, in memory, and
//! every entry reads exactly as before (same question, phrasings in the same order,
//! answer, source, related): the knowledge base answers as it did. Every file is written
//! to a temporary file first; only when all are written are they renamed into place,
//! `additions.toml` last, so a failure leaves every file as it was.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use toml_edit::{DocumentMut, Item, Table, Value};

use super::additions::{ADDITIONS_FILE, HEADER, WRITING};
use super::{KnowledgeBase, LoadError, Problem, SourceFiles};

/// The file new entries are appended to.
pub const ENTRIES_FILE: &str = "entries.toml";
const REPORT_FILE: &str = "report.toml";

/// Why additions were not merged. Nothing was written in any of these cases.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    #[error(
        "the knowledge folder has problems already, so nothing was merged; fix them first:\n{0}"
    )]
    Broken(LoadError),
    #[error("unknown report `{0}`")]
    UnknownReport(String),
    #[error("cannot read the knowledge folder {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: {message}; nothing was merged", .file.display())]
    Parse { file: PathBuf, message: String },
    #[error("{}: `{key}` cannot be merged (only [[variant]] and [[entry]] can); it would be lost, so nothing was merged", .file.display())]
    Unsupported { file: PathBuf, key: String },
    #[error("{} [{entry}]: {why}; nothing was merged", .file.display())]
    Entry {
        file: PathBuf,
        entry: String,
        why: PlaceError,
    },
    #[error("after merging, the knowledge base would have these problems, so nothing was merged:\n{}",
        .0.iter().map(|p| format!("- {p}")).collect::<Vec<_>>().join("\n"))]
    Invalid(Vec<Problem>),
    #[error("{} [{entry}]: after merging the entry would not read as before ({what}), so nothing was merged", .file.display())]
    Changed {
        file: PathBuf,
        entry: String,
        what: String,
    },
    #[error("cannot write {}: {source}; every file was left as it was", .path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Why a phrasing or a new entry has no place to go in a report's files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PlaceError {
    #[error("no file of this report defines the entry")]
    Undefined,
    #[error("`entry` is not an array of tables ([[entry]])")]
    EntriesNotTables,
    #[error("its `variants` is not an array of phrasings")]
    VariantsNotArray,
}

/// What was merged in one report.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ReportMerge {
    pub report: String,
    /// Phrasings moved into their entries.
    pub variants: usize,
    /// New entries moved into `entries.toml` (before its first entry).
    pub entries: usize,
    /// Files rewritten, relative to the knowledge folder (`additions.toml` last).
    pub files: Vec<PathBuf>,
}

/// What [`merge_additions`] did: one item per report that had additions.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Merged {
    pub reports: Vec<ReportMerge>,
}

impl std::fmt::Display for Merged {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.reports.is_empty() {
            return writeln!(f, "nothing to merge: no report has accepted additions");
        }
        for r in &self.reports {
            let files: Vec<String> = r.files.iter().map(|p| p.display().to_string()).collect();
            writeln!(
                f,
                "{}: {} phrasing(s) and {} entr{} merged; wrote {}",
                r.report,
                r.variants,
                r.entries,
                if r.entries == 1 { "y" } else { "ies" },
                files.join(", ")
            )?;
        }
        Ok(())
    }
}

/// The name of the temporary file `path` is first written to (hidden, so the loader
/// never reads it).
pub fn staging_path(path: &Path) -> PathBuf {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    path.with_file_name(format!(".{name}.{}.merge", std::process::id()))
}

/// Moves the additions of `report` (or of every report) into the report's own files.
pub fn merge_additions(root: &Path, report: Option<&str>) -> Result<Merged, MergeError> {
    let _guard = WRITING.lock().unwrap_or_else(|e| e.into_inner());
    let files = SourceFiles::read_dir(root).map_err(|source| MergeError::Read {
        path: root.to_path_buf(),
        source,
    })?;
    let origin = root.display().to_string();
    let before = KnowledgeBase::from_files(&files, &origin).map_err(MergeError::Broken)?;
    let folders: Vec<(String, PathBuf)> = match report {
        Some(id) => {
            let r = before
                .report_index(id)
                .ok_or_else(|| MergeError::UnknownReport(id.to_string()))?;
            vec![(id.to_string(), before.reports[r].folder.clone())]
        }
        None => before
            .reports
            .iter()
            .map(|r| (r.id.clone(), r.folder.clone()))
            .collect(),
    };

    let mut merged = files.clone();
    let mut writes: Vec<(PathBuf, String)> = Vec::new();
    let mut reports = Vec::new();
    for (id, folder) in folders {
        let Some(plan) = plan_report(&files, &folder)? else {
            continue;
        };
        let mut touched: Vec<PathBuf> = plan.texts.keys().cloned().collect();
        touched.push(folder.join(ADDITIONS_FILE));
        for (path, text) in plan.texts {
            merged.insert(path.clone(), text.clone());
            writes.push((path, text));
        }
        reports.push(ReportMerge {
            report: id,
            variants: plan.variants,
            entries: plan.entries,
            files: touched,
        });
    }
    if reports.is_empty() {
        return Ok(Merged { reports });
    }
    // The emptied additions files go last.
    for r in &reports {
        let path = r.files.last().expect("additions file").clone();
        merged.insert(path.clone(), HEADER.to_string());
        writes.push((path, HEADER.to_string()));
    }

    let after = match KnowledgeBase::from_files(&merged, &origin) {
        Ok(kb) => kb,
        Err(LoadError::Invalid { problems, .. }) => return Err(MergeError::Invalid(problems)),
        Err(other) => return Err(MergeError::Broken(other)),
    };
    same_knowledge(&before, &after)?;
    write_all(root, &writes)?;
    Ok(Merged { reports })
}

/// The new texts of one report's files, and what moved.
struct Plan {
    texts: BTreeMap<PathBuf, String>,
    variants: usize,
    entries: usize,
}

fn parse(path: &Path, text: &str) -> Result<DocumentMut, MergeError> {
    text.parse::<DocumentMut>().map_err(|e| MergeError::Parse {
        file: path.to_path_buf(),
        message: e.to_string().trim().to_string(),
    })
}

fn tables<'a>(doc: &'a DocumentMut, key: &str) -> Vec<&'a Table> {
    doc.get(key)
        .and_then(Item::as_array_of_tables)
        .map(|a| a.iter().collect())
        .unwrap_or_default()
}

fn text_field(t: &Table, key: &str) -> Option<String> {
    t.get(key)
        .and_then(Item::as_str)
        .map(|s| s.trim().to_string())
}

/// `None` when the report's additions file is absent or holds nothing to merge.
fn plan_report(files: &SourceFiles, folder: &Path) -> Result<Option<Plan>, MergeError> {
    let additions_path = folder.join(ADDITIONS_FILE);
    let Some(additions_text) = files.get(&additions_path) else {
        return Ok(None);
    };
    let additions = parse(&additions_path, additions_text)?;
    for (key, _) in additions.iter() {
        if key != "variant" && key != "entry" {
            return Err(MergeError::Unsupported {
                file: additions_path.clone(),
                key: key.to_string(),
            });
        }
    }
    let mut new_entries: Vec<Table> = tables(&additions, "entry").into_iter().cloned().collect();
    let variants: Vec<(String, String)> = tables(&additions, "variant")
        .into_iter()
        .map(|t| {
            let entry = text_field(t, "entry").unwrap_or_default();
            let question = t
                .get("question")
                .and_then(Item::as_str)
                .unwrap_or_default()
                .to_string();
            (entry, question)
        })
        .collect();
    if new_entries.is_empty() && variants.is_empty() {
        return Ok(None);
    }

    // The report's other entry files, editable.
    let mut docs: BTreeMap<PathBuf, DocumentMut> = BTreeMap::new();
    for (path, text) in files.in_folder(folder) {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.ends_with(".toml") && name != REPORT_FILE && name != ADDITIONS_FILE {
            docs.insert(path.to_path_buf(), parse(path, text)?);
        }
    }
    let mut changed: Vec<PathBuf> = Vec::new();
    for (entry, question) in &variants {
        let refuse = |why: PlaceError| MergeError::Entry {
            file: additions_path.clone(),
            entry: entry.clone(),
            why,
        };
        // A new entry of the same additions file, or one defined in another file.
        let target = match new_entries
            .iter_mut()
            .find(|t| text_field(t, "id").as_deref() == Some(entry.as_str()))
        {
            Some(t) => Some(t),
            None => docs.iter_mut().find_map(|(path, doc)| {
                let found = find_entry(doc, entry)?;
                if !changed.contains(path) {
                    changed.push(path.clone());
                }
                Some(found)
            }),
        };
        let table = target.ok_or_else(|| refuse(PlaceError::Undefined))?;
        add_variant(table, question).map_err(refuse)?;
    }

    let entries = new_entries.len();
    if entries > 0 {
        let path = folder.join(ENTRIES_FILE);
        let doc = docs.entry(path.clone()).or_default();
        place_entries(doc, new_entries).map_err(|why| MergeError::Entry {
            file: path.clone(),
            entry: "entry".into(),
            why,
        })?;
        if !changed.contains(&path) {
            changed.push(path);
        }
    }

    let texts = changed
        .into_iter()
        .map(|path| {
            let mut text = docs[&path].to_string();
            if !text.ends_with('\n') {
                text.push('\n');
            }
            (path, text)
        })
        .collect();
    Ok(Some(Plan {
        texts,
        variants: variants.len(),
        entries,
    }))
}

/// The `[[entry]]` or `[[gap]]` table with this id.
fn find_entry<'a>(doc: &'a mut DocumentMut, id: &str) -> Option<&'a mut Table> {
    let (key, index) = ["entry", "gap"].into_iter().find_map(|key| {
        tables(doc, key)
            .iter()
            .position(|t| text_field(t, "id").as_deref() == Some(id))
            .map(|i| (key, i))
    })?;
    doc.get_mut(key)?.as_array_of_tables_mut()?.get_mut(index)
}

/// The highest position of any table in the document, so new tables go after all of them.
fn max_position(table: &Table) -> isize {
    let mut max = table.position().unwrap_or(0);
    for (_, item) in table.iter() {
        match item {
            Item::Table(t) => max = max.max(max_position(t)),
            Item::ArrayOfTables(list) => {
                for t in list.iter() {
                    max = max.max(max_position(t));
                }
            }
            _ => {}
        }
    }
    max
}

/// Puts new entries before the file's first `[[entry]]` (after its header comment), so
/// the report's entries keep the order they are served in: `additions.toml` is read just
/// before `entries.toml`. A file without entries gets them at its end.
fn place_entries(doc: &mut DocumentMut, new_entries: Vec<Table>) -> Result<(), PlaceError> {
    let count: isize = new_entries.iter().map(count_tables).sum();
    let end = max_position(doc.as_table()) + 1;
    if !doc.contains_key("entry") {
        doc.insert("entry", Item::ArrayOfTables(Default::default()));
    }
    let first = doc["entry"]
        .as_array_of_tables()
        .ok_or(PlaceError::EntriesNotTables)?
        .get(0)
        .map(|t| t.position().unwrap_or(end));
    let mut next = match first {
        Some(at) => {
            shift(doc.as_table_mut(), at, count);
            at
        }
        None => end,
    };
    let list = doc["entry"]
        .as_array_of_tables_mut()
        .ok_or(PlaceError::EntriesNotTables)?;
    let had = list.len();
    for (i, mut table) in new_entries.into_iter().enumerate() {
        // Its sub-tables (`[entry.source]`) come with positions from the additions
        // file: renumber them all, in order.
        reposition(&mut table, &mut next);
        list.insert(i, table);
    }
    let added = list.len() - had;
    if had > 0 && added > 0 {
        // The file's header comment stays at the top; a comment right above the old first
        // entry (no blank line between) stays with it.
        let old = list
            .get(added)
            .and_then(|t| t.decor().prefix())
            .and_then(|p| p.as_str())
            .unwrap_or("")
            .to_string();
        let (header, own) = match old.rfind("\n\n") {
            Some(i) => (&old[..=i], &old[i + 1..]),
            None if old.trim_start().starts_with('#') => (old.as_str(), ""),
            None => ("", old.as_str()),
        };
        let new_first = list.get_mut(0).expect("just inserted");
        let note = new_first
            .decor()
            .prefix()
            .and_then(|p| p.as_str())
            .unwrap_or("")
            .to_string();
        new_first.decor_mut().set_prefix(format!("{header}{note}"));
        let own = format!("\n{}", own.trim_start_matches('\n'));
        list.get_mut(added)
            .expect("the old first entry")
            .decor_mut()
            .set_prefix(own);
    }
    Ok(())
}

fn count_tables(table: &Table) -> isize {
    1 + table
        .iter()
        .map(|(_, item)| match item {
            Item::Table(t) => count_tables(t),
            Item::ArrayOfTables(list) => list.iter().map(count_tables).sum(),
            _ => 0,
        })
        .sum::<isize>()
}

/// Moves every table at or after position `from` down by `by`.
fn shift(table: &mut Table, from: isize, by: isize) {
    if let Some(p) = table.position().filter(|p| *p >= from) {
        table.set_position(Some(p + by));
    }
    for (_, item) in table.iter_mut() {
        match item {
            Item::Table(t) => shift(t, from, by),
            Item::ArrayOfTables(list) => {
                for t in list.iter_mut() {
                    shift(t, from, by);
                }
            }
            _ => {}
        }
    }
}

/// Numbers `table` and the tables inside it from `next`, in their order.
fn reposition(table: &mut Table, next: &mut isize) {
    table.set_position(Some(*next));
    *next += 1;
    for (_, item) in table.iter_mut() {
        match item {
            Item::Table(t) => reposition(t, next),
            Item::ArrayOfTables(list) => {
                for t in list.iter_mut() {
                    reposition(t, next);
                }
            }
            _ => {}
        }
    }
}

/// Appends `question` to the entry's `variants`, laid out like the phrasings before it.
fn add_variant(entry: &mut Table, question: &str) -> Result<(), PlaceError> {
    if !entry.contains_key("variants") {
        entry.insert("variants", toml_edit::value(toml_edit::Array::new()));
    }
    let array = entry
        .get_mut("variants")
        .and_then(Item::as_array_mut)
        .ok_or(PlaceError::VariantsNotArray)?;
    let mut value = Value::from(question);
    if let Some(last) = array.iter_mut().last() {
        let prefix = last
            .decor()
            .prefix()
            .and_then(|p| p.as_str())
            .map(str::to_string);
        let suffix = last
            .decor()
            .suffix()
            .and_then(|s| s.as_str())
            .map(str::to_string);
        if let Some(prefix) = prefix.filter(|p| p.contains('\n')) {
            // One phrasing a line: the new one gets its own line, and the old last one's
            // line break before `]` (when it has no trailing comma) moves after it.
            let suffix = suffix.unwrap_or_default();
            last.decor_mut().set_suffix("");
            value = value.decorated(prefix, suffix);
        }
    }
    array.push_formatted(value);
    Ok(())
}

/// Every entry of `before` reads the same in `after`, and there are no others.
fn same_knowledge(before: &KnowledgeBase, after: &KnowledgeBase) -> Result<(), MergeError> {
    let changed = |id: &str, what: &str| MergeError::Changed {
        file: PathBuf::from(ADDITIONS_FILE),
        entry: id.to_string(),
        what: what.to_string(),
    };
    if before.reports != after.reports {
        return Err(changed("-", "a report's metadata or article changed"));
    }
    for e in &before.entries {
        let Some(a) = after.entry(&e.id) else {
            return Err(changed(&e.id, "the entry is missing"));
        };
        if a != e {
            let what = if a.variants != e.variants {
                "its phrasings differ"
            } else {
                "its fields differ"
            };
            return Err(changed(&e.id, what));
        }
    }
    let order = |kb: &KnowledgeBase| kb.entries.iter().map(|e| e.id.clone()).collect::<Vec<_>>();
    if let Some((b, _)) = order(before)
        .into_iter()
        .zip(order(after))
        .find(|(b, a)| b != a)
    {
        return Err(changed(
            &b,
            "the entries would be read in another order (is there a file between additions.toml and entries.toml?)",
        ));
    }
    if let Some(extra) = after.entries.iter().find(|a| before.entry(&a.id).is_none()) {
        return Err(changed(&extra.id, "an entry appeared"));
    }
    Ok(())
}

/// Writes every file to its temporary name, then renames them all into place in order.
/// If any temporary file cannot be written, none is renamed and they are removed; if a
/// rename fails, the files already renamed get their old text back.
fn write_all(root: &Path, writes: &[(PathBuf, String)]) -> Result<(), MergeError> {
    let mut staged: Vec<(PathBuf, PathBuf)> = Vec::new();
    let cleanup = |staged: &[(PathBuf, PathBuf)]| {
        for (temp, _) in staged {
            let _ = std::fs::remove_file(temp);
        }
    };
    for (rel, text) in writes {
        let path = root.join(rel);
        let temp = staging_path(&path);
        let written = (|| {
            let mut f = std::fs::File::create(&temp)?;
            f.write_all(text.as_bytes())?;
            f.sync_all()
        })();
        if let Err(source) = written {
            let _ = std::fs::remove_file(&temp);
            cleanup(&staged);
            return Err(MergeError::Write { path, source });
        }
        staged.push((temp, path));
    }
    // The old texts, to put back if a rename fails half-way.
    let old: Vec<Option<Vec<u8>>> = staged.iter().map(|(_, p)| std::fs::read(p).ok()).collect();
    for (i, (temp, path)) in staged.iter().enumerate() {
        if let Err(source) = std::fs::rename(temp, path) {
            for ((_, done), text) in staged[..i].iter().zip(&old) {
                match text {
                    Some(text) => {
                        let _ = std::fs::write(done, text);
                    }
                    None => {
                        let _ = std::fs::remove_file(done);
                    }
                }
            }
            cleanup(&staged[i..]);
            return Err(MergeError::Write {
                path: path.clone(),
                source,
            });
        }
    }
    let mut dirs: Vec<&Path> = staged.iter().filter_map(|(_, p)| p.parent()).collect();
    dirs.dedup();
    for dir in dirs {
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
    }
    Ok(())
}
