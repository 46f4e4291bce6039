//! The raw text of a knowledge folder, keyed by path relative to its root, so that the
//! same parser serves a folder on disk, the built-in copy and test fixtures.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Default)]
pub struct SourceFiles {
    files: BTreeMap<PathBuf, String>,
}

const KNOWN_EXTENSIONS: [&str; 3] = ["toml", "txt", "jsonl"];

impl SourceFiles {
    pub fn from_pairs(pairs: impl IntoIterator<Item = (PathBuf, String)>) -> Self {
        Self {
            files: pairs.into_iter().collect(),
        }
    }

    /// Reads every knowledge file under `root` (two levels: the shared files and one
    /// folder per report). Hidden files and editor leftovers are skipped.
    pub fn read_dir(root: &Path) -> std::io::Result<Self> {
        let mut files = BTreeMap::new();
        read_level(root, root, 0, &mut files)?;
        Ok(Self { files })
    }

    pub fn get(&self, path: &Path) -> Option<&str> {
        self.files.get(path).map(String::as_str)
    }

    /// Every file, by path relative to the root, in path order.
    pub fn iter(&self) -> impl Iterator<Item = (&Path, &str)> {
        self.files.iter().map(|(p, t)| (p.as_path(), t.as_str()))
    }

    pub fn insert(&mut self, path: impl Into<PathBuf>, text: impl Into<String>) {
        self.files.insert(path.into(), text.into());
    }

    /// Folders (relative to the root) that hold a `report.toml`, in name order.
    pub fn report_folders(&self) -> Vec<PathBuf> {
        self.files
            .keys()
            .filter(|p| p.file_name().is_some_and(|n| n == "report.toml"))
            .filter_map(|p| p.parent().map(Path::to_path_buf))
            .filter(|p| !p.as_os_str().is_empty())
            .collect()
    }

    /// The files directly inside `folder`, in name order.
    pub fn in_folder<'a>(&'a self, folder: &'a Path) -> impl Iterator<Item = (&'a Path, &'a str)> {
        self.files
            .iter()
            .filter(move |(p, _)| p.parent() == Some(folder))
            .map(|(p, t)| (p.as_path(), t.as_str()))
    }
}

fn read_level(
    root: &Path,
    dir: &Path,
    depth: usize,
    out: &mut BTreeMap<PathBuf, String>,
) -> std::io::Result<()> {
    for item in std::fs::read_dir(dir)? {
        let path = item?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.starts_with('.') || name.ends_with('~') {
            continue;
        }
        if path.is_dir() {
            if depth == 0 {
                read_level(root, &path, depth + 1, out)?;
            }
        } else if path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| KNOWN_EXTENSIONS.contains(&e))
        {
            let rel = path.strip_prefix(root).unwrap_or(&path).to_path_buf();
            let bytes = std::fs::read(&path)?;
            // Invalid UTF-8 is reported by validation, not as an I/O failure.
            out.insert(rel, String::from_utf8_lossy(&bytes).into_owned());
        }
    }
    Ok(())
}
