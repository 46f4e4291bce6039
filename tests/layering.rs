//! The front ends are siblings: the Discord bot and the command line each depend on the
//! core and the store only, so either could be deleted without touching the other.

use std::path::Path;

fn sources(dir: &Path, out: &mut Vec<(String, String)>) {
    for item in std::fs::read_dir(dir).expect("source folder") {
        let path = item.expect("entry").path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).expect("source file");
            out.push((path.display().to_string(), text));
        }
    }
}

fn uses(front_end: &str, other: &str) -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("src")
        .join(front_end);
    let mut files = Vec::new();
    sources(&root, &mut files);
    assert!(!files.is_empty(), "no sources under {}", root.display());
    let needles = [format!("crate::{other}"), format!("super::{other}")];
    files
        .into_iter()
        .flat_map(|(file, text)| {
            text.lines()
                .enumerate()
                .filter(|(_, l)| needles.iter().any(|n| l.contains(n.as_str())))
                .map(|(n, l)| format!("{file}:{}: {}", n + 1, l.trim()))
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn discord_does_not_use_the_command_line() {
    assert_eq!(uses("discord", "cli"), Vec::<String>::new());
}

#[test]
fn the_command_line_does_not_use_discord() {
    assert_eq!(uses("cli", "discord"), Vec::<String>::new());
}
