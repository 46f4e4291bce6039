//! A new report's folder from a plain article: the text normalised to one paragraph a
//! line, its metadata, an entries file with one commented example, a gaps file and an
//! empty question set. The result validates at once; nothing is ever overwritten.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::knowledge::{KnowledgeBase, LoadError, SourceFiles};

/// What the editor gives for a new report.
#[derive(Debug, Clone, Default)]
pub struct NewReport {
    pub id: String,
    /// The article as written: wrapped or not, paragraphs split by blank lines or by lines.
    pub article: String,
    /// Defaults to the article's headline (its first line, when it reads like one).
    pub title: Option<String>,
    /// Who the report's facts come from.
    pub attribution: Option<String>,
    /// Who wrote it ("By Ana Ruiz, Riverside Ledger").
    pub byline: Option<String>,
    /// The publication it appeared in.
    pub outlet: Option<String>,
    /// Publication date, `YYYY-MM-DD`.
    pub published: Option<String>,
    pub url: Option<String>,
}

/// What the editor reads when no attribution is given.
pub const DEFAULT_ATTRIBUTION: &str = "The newsroom's own reporting";

#[derive(Debug, thiserror::Error)]
pub enum ScaffoldError {
    #[error("report id `{0}` is not usable as a folder name: use lower-case letters, digits and hyphens (like `city-bikes`)")]
    BadId(String),
    #[error("a report `{id}` already exists at {}; pick another id (nothing was changed)", .folder.display())]
    Exists { id: String, folder: PathBuf },
    #[error("the article has no text")]
    EmptyArticle,
    #[error("no title: give --title (the article's first line does not read like a headline)")]
    NoTitle,
    #[error("--published must be a date like 2026-11-28, not `{0}`")]
    BadDate(String),
    #[error("--url must start with https:// or http://, not `{0}`")]
    BadUrl(String),
    #[error("the new report would not validate:\n{0}")]
    Invalid(LoadError),
    #[error("cannot write {}: {error}", .path.display())]
    Io {
        path: PathBuf,
        // Said in the message, not chained: printed once.
        error: std::io::Error,
    },
}

impl ScaffoldError {
    /// Whether the editor must change what was given (rather than the machine failing).
    pub fn is_input(&self) -> bool {
        !matches!(self, ScaffoldError::Io { .. })
    }
}

/// What was written.
#[derive(Debug)]
pub struct Scaffolded {
    pub folder: PathBuf,
    pub paragraphs: usize,
    pub title: String,
    /// Details read from the article's first lines, not given on the command line.
    pub taken: Vec<String>,
    /// The knowledge folder was new: it was made, with the built-in shared vocabulary.
    pub started_folder: bool,
    /// The built-in reports written into a new knowledge folder, to be served beside.
    pub built_in: Vec<String>,
}

#[derive(Serialize)]
struct ReportFile<'a> {
    id: &'a str,
    title: &'a str,
    attribution: &'a str,
    language: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    byline: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    outlet: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    date: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<&'a str>,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ScaffoldError + '_ {
    move |error| ScaffoldError::Io {
        path: path.to_path_buf(),
        error,
    }
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !id.starts_with('-')
}

fn valid_date(date: &str) -> bool {
    let parts: Vec<&str> = date.split('-').collect();
    matches!(parts.as_slice(), [y, m, d]
        if y.len() == 4 && m.len() == 2 && d.len() == 2
        && [y, m, d].iter().all(|p| p.chars().all(|c| c.is_ascii_digit()))
        && (1..=12).contains(&m.parse::<u32>().unwrap_or(0))
        && (1..=31).contains(&d.parse::<u32>().unwrap_or(0)))
}

/// The shared vocabulary's file name in a knowledge folder.
const VOCABULARY: &str = "vocabulary.toml";

/// Writes `root/<id>/` for a new report. Refuses an id or folder that exists; validates the
/// new report with the folder's vocabulary before anything is written, and writes the
/// folder under a temporary name first so a half-written report is never loaded.
pub fn create(root: &Path, new: &NewReport) -> Result<Scaffolded, ScaffoldError> {
    let id = new.id.trim();
    if !valid_id(id) {
        return Err(ScaffoldError::BadId(new.id.clone()));
    }
    let folder = root.join(id);
    if folder.exists() {
        return Err(ScaffoldError::Exists {
            id: id.to_string(),
            folder,
        });
    }
    // A first report starts the knowledge folder, with the shared vocabulary every report
    // is read with (stop words, synonyms, kinds of fact), as built into the binary.
    let started_folder = !root.join(VOCABULARY).exists();
    let mut built_in = Vec::new();
    if started_folder {
        // The built-in reports come along: a folder is served instead of the built-in
        // knowledge, and a newsroom adding a report means to serve it beside them.
        // Nothing already there is overwritten: a folder that holds a report of that
        // name, or any file of the same name, is the editor's work.
        let bundled = crate::knowledge::bundled_files();
        let reports: Vec<PathBuf> = bundled
            .report_folders()
            .into_iter()
            .filter(|folder| !root.join(folder).exists())
            .collect();
        for (path, text) in bundled.iter() {
            let to = root.join(path);
            let in_report = reports.iter().any(|r| path.starts_with(r));
            let shared = path.parent().is_none_or(|p| p.as_os_str().is_empty());
            if to.exists() || !(in_report || shared) {
                continue;
            }
            if let Some(parent) = to.parent() {
                std::fs::create_dir_all(parent).map_err(io(parent))?;
            }
            std::fs::write(&to, text).map_err(io(&to))?;
        }
        built_in.extend(reports.iter().map(|r| r.display().to_string()));
    }
    let files = SourceFiles::read_dir(root).map_err(io(root))?;
    for existing in files.report_folders() {
        let meta = files.get(&existing.join("report.toml")).unwrap_or_default();
        if report_id(meta).as_deref() == Some(id) {
            return Err(ScaffoldError::Exists {
                id: id.to_string(),
                folder: root.join(existing),
            });
        }
    }
    let paragraphs = normalize_article(&new.article);
    if paragraphs.is_empty() {
        return Err(ScaffoldError::EmptyArticle);
    }
    let title = match new.title.as_deref().map(str::trim) {
        Some(t) if !t.is_empty() => t.to_string(),
        _ => headline(&paragraphs).ok_or(ScaffoldError::NoTitle)?,
    };
    // The byline and date lines a wire story opens with fill what was not given.
    let found_date = date_line(&paragraphs);
    let found_byline = byline_line(&paragraphs);
    let found_outlet = found_byline.as_deref().and_then(outlet_of_byline);
    let published = new
        .published
        .as_deref()
        .map(str::trim)
        .or(found_date.as_deref().filter(|_| new.published.is_none()));
    if let Some(d) = published.filter(|d| !valid_date(d)) {
        return Err(ScaffoldError::BadDate(d.to_string()));
    }
    let url = new.url.as_deref().map(str::trim);
    if let Some(u) = url.filter(|u| !(u.starts_with("https://") || u.starts_with("http://"))) {
        return Err(ScaffoldError::BadUrl(u.to_string()));
    }
    let attribution = new
        .attribution
        .as_deref()
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .unwrap_or(DEFAULT_ATTRIBUTION);
    let meta = ReportFile {
        id,
        title: &title,
        attribution,
        language: "en",
        byline: given(&new.byline).or(found_byline.as_deref()),
        outlet: given(&new.outlet).or(found_outlet.as_deref()),
        date: published,
        url,
    };
    let report_toml = format!(
        "# The report's metadata; readers see the title, attribution, date and url with every answer.\n\
         # `attribution` is who the report's facts come from (officials, a study, the court);\n\
         # `byline` is who wrote the report and `outlet` the publication it appeared in, both\n\
         # optional: give them only as the article states them.\n\
         # `retired = true` keeps it validated but no longer offered or answered; `default = true`\n\
         # makes it the one answered when several reports match a question equally.\n{}",
        toml::to_string(&meta).expect("plain strings serialize")
    );
    let mut article = paragraphs.join("\n");
    article.push('\n');
    let written = [
        ("report.toml", report_toml),
        ("article.txt", article),
        ("entries.toml", entries_template(id, &paragraphs, root)),
        ("gaps.toml", GAPS_TEMPLATE.to_string()),
        ("questions.jsonl", String::new()),
    ];

    // Checked with the folder's vocabulary, as the bot will load it, before anything is written.
    let mut check = SourceFiles::default();
    if let Some(v) = files.get(Path::new(VOCABULARY)) {
        check.insert(VOCABULARY, v);
    }
    for (name, text) in &written {
        check.insert(Path::new(id).join(name), text.as_str());
    }
    KnowledgeBase::from_files(&check, &root.display().to_string())
        .map_err(ScaffoldError::Invalid)?;

    // A hidden name is skipped by the loader and the hot reload until the rename.
    let staging = root.join(format!(".{id}.new"));
    if staging.exists() {
        std::fs::remove_dir_all(&staging).map_err(io(&staging))?;
    }
    std::fs::create_dir(&staging).map_err(io(&staging))?;
    for (name, text) in &written {
        let path = staging.join(name);
        std::fs::write(&path, text).map_err(io(&path))?;
    }
    if folder.exists() {
        let _ = std::fs::remove_dir_all(&staging);
        return Err(ScaffoldError::Exists {
            id: id.to_string(),
            folder,
        });
    }
    std::fs::rename(&staging, &folder).map_err(io(&folder))?;
    Ok(Scaffolded {
        folder,
        paragraphs: paragraphs.len(),
        title,
        taken: [
            found_byline
                .filter(|_| given(&new.byline).is_none())
                .map(|b| format!("byline \"{b}\"")),
            found_outlet
                .filter(|_| given(&new.outlet).is_none())
                .map(|o| format!("outlet \"{o}\"")),
            found_date
                .filter(|_| new.published.is_none())
                .map(|d| format!("date {d}")),
        ]
        .into_iter()
        .flatten()
        .collect(),
        started_folder,
        built_in,
    })
}

/// An optional text the editor gave, trimmed; blank counts as not given.
fn given(field: &Option<String>) -> Option<&str> {
    field.as_deref().map(str::trim).filter(|t| !t.is_empty())
}

fn report_id(meta: &str) -> Option<String> {
    let value: toml::Table = toml::from_str(meta).ok()?;
    value.get("id")?.as_str().map(str::to_string)
}

/// The first paragraph when it reads like a headline: short, no closing full stop.
fn headline(paragraphs: &[String]) -> Option<String> {
    let first = paragraphs.first()?.trim();
    let last = first.chars().last()?;
    // Wire headlines run long ("… leaving mothers an hour from delivery care").
    (first.chars().count() <= 160
        && first.split_whitespace().count() <= 26
        && !matches!(last, '.' | ',' | ';' | ':'))
    .then(|| first.to_string())
}

/// What an article's opening line is when it is not news text: "the headline", "the
/// byline" or "the date line" (readers' questions about those are answered from
/// `report.toml`, so coverage does not ask for entries on them).
pub(crate) fn heading(paragraphs: &[String], index: usize, title: &str) -> Option<&'static str> {
    let p = paragraphs.get(index).filter(|_| index < 4)?;
    let one = std::slice::from_ref(p);
    if index == 0 && (p.trim() == title.trim() || headline(paragraphs).is_some()) {
        Some("the headline")
    } else if byline_line(one).is_some() {
        Some("the byline")
    } else if date_line(one).is_some() {
        Some("the date line")
    } else {
        None
    }
}

/// A byline among the article's first lines: "By Dana Whitcomb, Midland Wire Service".
fn byline_line(paragraphs: &[String]) -> Option<String> {
    paragraphs
        .iter()
        .take(4)
        .map(|p| p.trim())
        .find(|p| is_byline(p))
        .map(str::to_string)
}

/// The publication a byline names after its last comma ("By Ana Ruiz, Plains Wire"),
/// unless that is the writer's job ("By Ana Ruiz, Staff Writer").
fn outlet_of_byline(byline: &str) -> Option<String> {
    let (_, last) = byline.rsplit_once(',')?;
    let last = last.trim();
    let lower = last.to_lowercase();
    let a_job = [
        "staff",
        "writer",
        "reporter",
        "correspondent",
        "editor",
        "contributor",
        "special to",
        "columnist",
        "photographer",
    ]
    .iter()
    .any(|j| lower.contains(j));
    (!last.is_empty() && !a_job && last.starts_with(char::is_uppercase)).then(|| last.to_string())
}

fn is_byline(line: &str) -> bool {
    let Some(name) = line
        .strip_prefix("By ")
        .or_else(|| line.strip_prefix("BY "))
    else {
        return false;
    };
    line.chars().count() <= 120 && !line.ends_with('.') && name.starts_with(char::is_uppercase)
}

/// A date line among the article's first lines ("March 4, 2026" or "2026-03-04"), as
/// YYYY-MM-DD.
fn date_line(paragraphs: &[String]) -> Option<String> {
    paragraphs.iter().take(4).find_map(|p| date_of_line(p))
}

fn date_of_line(line: &str) -> Option<String> {
    const MONTHS: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    let line = line.trim();
    if line.len() == 10 && valid_date(line) {
        return Some(line.to_string());
    }
    let words: Vec<String> = line
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    let [month, day, year] = words.as_slice() else {
        return None;
    };
    let month = MONTHS.iter().position(|m| m == month || m[..3] == *month)? + 1;
    let day: u32 = day.parse().ok().filter(|d| (1..=31).contains(d))?;
    let year: u32 = year.parse().ok().filter(|y| (1900..=2200).contains(y))?;
    Some(format!("{year:04}-{month:02}-{day:02}"))
}

/// A line that stands alone as a heading: short, not ending a sentence.
fn is_subhead(line: &str) -> bool {
    let line = line.trim();
    let last = line.chars().last().unwrap_or('.');
    line.chars().count() <= 80
        && line.split_whitespace().count() <= 14
        && !matches!(
            last,
            '.' | ',' | ';' | ':' | '"' | '”' | '’' | ')' | '—' | '-'
        )
}

fn collapse(line: &str) -> String {
    line.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The article as the knowledge base stores it, one paragraph a line.
///
/// Paragraphs are separated by blank lines; within one, hard line wraps are joined (a word
/// broken after a hyphen or dash stays joined without a space). Text with no blank lines
/// at all is taken as one paragraph a line already. Markdown heading marks are dropped but
/// the subhead kept as its own paragraph, as is a short first line standing above text.
/// Quotes, dashes and every other character are kept as written; runs of spaces, tabs and
/// stray whitespace become one space.
pub fn normalize_article(text: &str) -> Vec<String> {
    let text = text.trim_start_matches('\u{feff}').replace("\r\n", "\n");
    let text = text.replace('\r', "\n");
    let lines: Vec<&str> = text.lines().collect();
    let has_blank_separator = lines
        .windows(3)
        .any(|w| !w[0].trim().is_empty() && w[1].trim().is_empty() && !w[2].trim().is_empty());
    let mut out = Vec::new();
    if !has_blank_separator {
        for line in lines {
            push_line(&mut out, line);
        }
        return out;
    }
    let mut first_block = true;
    for block in text
        .split("\n")
        .collect::<Vec<_>>()
        .split(|l| l.trim().is_empty())
    {
        // A headline, byline and date written on lines of their own with no blank line
        // between them are three paragraphs, not one wrapped sentence.
        let masthead = if std::mem::take(&mut first_block) {
            block
                .iter()
                .take(4)
                .rposition(|l| is_byline(&collapse(l)) || date_of_line(l).is_some())
                .map_or(0, |last| last + 1)
        } else {
            0
        };
        for raw in &block[..masthead] {
            push_line(&mut out, raw);
        }
        let block = &block[masthead..];
        if holds_a_paragraph_a_line(block) {
            for raw in block {
                push_line(&mut out, raw);
            }
            continue;
        }
        let mut current = String::new();
        for (i, raw) in block.iter().enumerate() {
            let heading = raw.trim_start().starts_with('#');
            let line = collapse(raw.trim().trim_start_matches('#'));
            if line.is_empty() {
                continue;
            }
            // A heading mark, or a short first line over more text, is a subhead.
            let subhead = heading
                || (i == 0 && block.len() > 1 && is_subhead(&line) && {
                    let next = collapse(block[1]);
                    next.chars().count() > line.chars().count() + 20
                });
            if subhead {
                if !current.is_empty() {
                    out.push(std::mem::take(&mut current));
                }
                out.push(line);
                continue;
            }
            if current.is_empty() {
                current = line;
            } else if current.ends_with('-') || current.ends_with('—') || current.ends_with('–')
            {
                let before = current.chars().rev().nth(1);
                if before.is_some_and(char::is_whitespace) {
                    current.push(' ');
                }
                current.push_str(&line);
            } else {
                current.push(' ');
                current.push_str(&line);
            }
        }
        if !current.is_empty() {
            out.push(current);
        }
    }
    out
}

/// Lines wider than text is wrapped at, each ending a sentence, are paragraphs of their
/// own: a body written one paragraph a line below a masthead and a blank line. (The first
/// line may be a subhead.)
fn holds_a_paragraph_a_line(block: &[&str]) -> bool {
    let lines: Vec<String> = block
        .iter()
        .map(|l| collapse(l))
        .filter(|l| !l.is_empty())
        .collect();
    let ends_sentence = |l: &String| l.ends_with(['.', '?', '!', '"', '”', '’', '\'', ')']);
    lines.len() > 1
        && lines.iter().any(|l| l.chars().count() > WRAP_WIDTH)
        && lines.iter().skip(1).all(ends_sentence)
}

/// Wider than any hard-wrapped text: editors and mail wrap at 72 to 80 columns.
const WRAP_WIDTH: usize = 100;

/// Appends `raw` as a paragraph of its own (heading marks dropped, spaces collapsed),
/// unless nothing is left of it.
fn push_line(out: &mut Vec<String>, raw: &str) {
    let line = collapse(raw.trim().trim_start_matches('#'));
    if !line.is_empty() {
        out.push(line);
    }
}

fn entries_template(id: &str, paragraphs: &[String], root: &Path) -> String {
    // The folder is named unless it is the default one, so the hint runs as written.
    let folder = (root != Path::new("knowledge")).then_some(root);
    let coverage =
        crate::knowledge::factdesk_command(folder, &format!("kb coverage --report {id}"));
    // The example quotes the report's own first words, so uncommenting it shows the format.
    let (number, text) = paragraphs
        .iter()
        .enumerate()
        .find(|(_, p)| !is_subhead(p))
        .unwrap_or((0, &paragraphs[0]));
    let quote: String = text
        .split_whitespace()
        .take(8)
        .collect::<Vec<_>>()
        .join(" ")
        .replace('\\', "\\\\")
        .replace('"', "\\\"");
    format!(
        r#"# The questions this report answers: one fact per [[entry]], reviewed like code.
# Each needs at least three other phrasings, an answer in our own words (at most 300
# characters) and its source: the paragraph number (line of article.txt) and a quote
# copied exactly from that paragraph (at most 200 characters).
# `{coverage}` lists what is still uncovered.
#
# [[entry]]
# id = "example-fact"
# topic = "The main points"
# question = "What does the report say first?"
# variants = ["first point of the report", "how does the report begin", "what is the opening claim"]
# answer = "Say it in our own words here."
# source = {{ paragraph = {}, quote = "{quote}" }}
# related = []
"#,
        number + 1
    )
}

const GAPS_TEMPLATE: &str = r#"# Questions readers ask that the report does not answer. The bot declines them
# precisely, saying what the report leaves out, instead of guessing.
#
# [[gap]]
# id = "example-gap"
# topic = "The main points"
# question = "What happens next?"
# variants = ["what are the next steps", "what comes after this", "when will we know more"]
# note = "The report does not say what happens next."
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hard_wraps_are_undone_and_subheads_kept() {
        let text = "Eastbrook's big library plan\n\nThe town of Eastbrook will open 3 new\nlibraries next   year, the mayor said.\n\nThe money\nThe mayor, Jo Park, said the plan costs 2 million euros — \"a bargain\", she said — and\nwill be long-\nterm.\n\n## What critics say\n\n  Critics say the money should go to roads.  \n";
        let got = normalize_article(text);
        assert_eq!(
            got,
            vec![
                "Eastbrook's big library plan",
                "The town of Eastbrook will open 3 new libraries next year, the mayor said.",
                "The money",
                "The mayor, Jo Park, said the plan costs 2 million euros — \"a bargain\", she said — and will be long-term.",
                "What critics say",
                "Critics say the money should go to roads.",
            ]
        );
    }

    #[test]
    fn a_headline_byline_and_date_on_lines_of_their_own_stay_apart() {
        let text = "Trustees approve a tuition rise\nBy Ana Ruiz, Plains Wire\n2026-05-14\n\nThe board voted 9-3\non Wednesday.\n\nStudents protested.\n";
        let got = normalize_article(text);
        assert_eq!(
            got,
            vec![
                "Trustees approve a tuition rise",
                "By Ana Ruiz, Plains Wire",
                "2026-05-14",
                "The board voted 9-3 on Wednesday.",
                "Students protested.",
            ]
        );
        assert_eq!(
            byline_line(&got).as_deref(),
            Some("By Ana Ruiz, Plains Wire")
        );
        assert_eq!(date_line(&got).as_deref(), Some("2026-05-14"));
        assert_eq!(
            outlet_of_byline("By Ana Ruiz, Plains Wire").as_deref(),
            Some("Plains Wire")
        );
        assert_eq!(outlet_of_byline("By Ana Ruiz, Staff Writer"), None);
        assert_eq!(outlet_of_byline("By Ana Ruiz"), None);
    }

    #[test]
    fn a_body_of_a_paragraph_a_line_below_a_masthead_stays_apart() {
        let long = "The council voted 5-2 on Tuesday to approve the plan, which officials said would cost $4 million over three years.";
        let text = format!(
            "Council approves plan\nBy Ana Ruiz, Plains Wire\n2026-05-14\n\n{long}\n\"We are ready,\" the mayor said.\nOpponents plan to appeal.\n"
        );
        assert_eq!(
            normalize_article(&text),
            vec![
                "Council approves plan",
                "By Ana Ruiz, Plains Wire",
                "2026-05-14",
                long,
                "\"We are ready,\" the mayor said.",
                "Opponents plan to appeal.",
            ]
        );
        // Hard-wrapped text in the same place is still joined.
        let wrapped = "Title\n\nThe board voted 9-3\non Wednesday to raise\nfees.\n";
        assert_eq!(
            normalize_article(wrapped),
            vec!["Title", "The board voted 9-3 on Wednesday to raise fees."]
        );
    }

    #[test]
    fn one_paragraph_a_line_stays_as_it_is() {
        let text = "First paragraph, “quoted”.\r\nSecond\tparagraph – with a dash.\n\n";
        assert_eq!(
            normalize_article(text),
            vec![
                "First paragraph, “quoted”.",
                "Second paragraph – with a dash."
            ]
        );
    }

    #[test]
    fn ids_and_dates_are_checked() {
        assert!(valid_id("city-bikes-2"));
        assert!(!valid_id("City Bikes"));
        assert!(!valid_id("../x"));
        assert!(valid_date("2026-11-28"));
        assert!(!valid_date("28/11/2026"));
        assert!(!valid_date("2026-13-01"));
    }
}
