//! The front ends are siblings: the Discord bot (both its transports, the gateway and
//! HTTP interactions, live under `src/discord/`) and the command line each depend on the
//! core and the store only, so either could be deleted without touching the other. Only
//! `src/main.rs` joins them.

use std::path::{Path, PathBuf};

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file under `dir`, with its text.
fn sources(dir: &Path, out: &mut Vec<(PathBuf, String)>) {
    for item in std::fs::read_dir(dir).expect("source folder") {
        let path = item.expect("entry").path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).expect("source file");
            out.push((path, text));
        }
    }
}

/// Whether `text` starts with the word `word` (`discord` but not `discordant`).
fn starts_with_word(text: &str, word: &str) -> bool {
    text.strip_prefix(word)
        .is_some_and(|rest| !rest.starts_with(|c: char| c.is_alphanumeric() || c == '_'))
}

/// The lines of `files` that name the module `module` by path: `crate::module`,
/// `factdesk::module` or `super::module`, also inside a `use crate::{…}` group (which
/// may span lines). Comment lines are not code.
fn naming(files: &[(PathBuf, String)], module: &str) -> Vec<String> {
    let mut found = Vec::new();
    for (file, text) in files {
        let code: String = text
            .lines()
            .map(|l| {
                if l.trim_start().starts_with("//") {
                    ""
                } else {
                    l
                }
            })
            .collect::<Vec<_>>()
            .join("\n");
        let mut lines = Vec::new();
        for prefix in ["crate::", "factdesk::", "super::"] {
            for (at, _) in code.match_indices(prefix) {
                let rest = &code[at + prefix.len()..];
                let names = match rest.strip_prefix('{') {
                    // A group: every name up to its closing brace, nested groups included.
                    Some(group) => {
                        let mut depth = 1;
                        let end = group
                            .char_indices()
                            .find(|&(_, c)| {
                                depth += match c {
                                    '{' => 1,
                                    '}' => -1,
                                    _ => 0,
                                };
                                depth == 0
                            })
                            .map_or(group.len(), |(i, _)| i);
                        group[..end]
                            .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
                            .any(|name| starts_with_word(name, module))
                    }
                    None => starts_with_word(rest, module),
                };
                if names {
                    lines.push(code[..at].matches('\n').count());
                }
            }
        }
        lines.sort_unstable();
        lines.dedup();
        let all: Vec<&str> = text.lines().collect();
        for n in lines {
            found.push(format!("{}:{}: {}", file.display(), n + 1, all[n].trim()));
        }
    }
    found
}

fn under(folder: &str) -> Vec<(PathBuf, String)> {
    let mut files = Vec::new();
    sources(&src().join(folder), &mut files);
    assert!(!files.is_empty(), "no sources under src/{folder}");
    files
}

#[test]
fn discord_does_not_use_the_command_line() {
    assert_eq!(naming(&under("discord"), "cli"), Vec::<String>::new());
}

#[test]
fn the_command_line_does_not_use_discord() {
    assert_eq!(naming(&under("cli"), "discord"), Vec::<String>::new());
}

#[test]
fn nothing_outside_the_discord_front_end_uses_it_but_main() {
    let mut files = Vec::new();
    sources(&src(), &mut files);
    let inside = src().join("discord");
    let main = src().join("main.rs");
    files.retain(|(path, _)| !path.starts_with(&inside) && *path != main);
    assert!(files.len() > 10, "the core's sources are read");
    assert_eq!(naming(&files, "discord"), Vec::<String>::new());
}

#[test]
fn the_http_transport_is_part_of_the_discord_front_end() {
    assert!(
        !src().join("http").exists(),
        "src/http/ belongs under src/discord/"
    );
    let mut files = Vec::new();
    sources(&src(), &mut files);
    files.retain(|(path, _)| !path.starts_with(src().join("discord")));
    assert_eq!(naming(&files, "http"), Vec::<String>::new());
}

/// The check reads real source lines: it finds what it must refuse.
#[test]
fn the_check_finds_an_import() {
    let file = |text: &str| vec![(PathBuf::from("src/x.rs"), text.to_string())];
    let found = naming(&file("use crate::discord::render;\n"), "discord");
    assert_eq!(found, vec!["src/x.rs:1: use crate::discord::render;"]);
    assert_eq!(
        naming(&file("x(factdesk::discord::run)"), "discord").len(),
        1
    );
    assert_eq!(naming(&file("use super::cli;"), "cli").len(), 1);
    assert!(naming(&file("// crate::discord in a comment"), "discord").is_empty());
    assert!(naming(&file("use crate::discordant;"), "discord").is_empty());
    let group = "use crate::{\n    cli::run,\n    discord::{flow, render},\n};\n";
    assert_eq!(
        naming(&file(group), "discord"),
        vec!["src/x.rs:1: use crate::{"]
    );
    assert_eq!(naming(&file(group), "cli").len(), 1);
    assert!(naming(&file("use crate::{store, desk::Desk};"), "discord").is_empty());
    // The real tree has a line naming the front end: main.rs.
    let main = std::fs::read_to_string(src().join("main.rs")).expect("main.rs");
    assert!(!naming(&[(src().join("main.rs"), main)], "discord").is_empty());
}
