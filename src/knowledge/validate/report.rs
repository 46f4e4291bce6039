//! Each report's `report.toml` and `article.txt`, and the one default report.

use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use super::file_check::{check_length, FileCheck};
use super::{Problem, MAX_BYLINE_CHARS};
use crate::knowledge::{Report, SourceFiles};

pub(super) const REPORT_FILE: &str = "report.toml";
const ARTICLE_FILE: &str = "article.txt";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawReport {
    id: Option<Spanned<String>>,
    title: Option<Spanned<String>>,
    attribution: Option<Spanned<String>>,
    language: Option<Spanned<String>>,
    /// Who wrote the report ("By Ana Ruiz, Riverside Ledger"); `attribution` is who its
    /// facts come from.
    byline: Option<Spanned<String>>,
    /// The publication it appeared in.
    outlet: Option<Spanned<String>>,
    date: Option<String>,
    url: Option<String>,
    #[serde(default)]
    retired: bool,
    #[serde(default)]
    default: bool,
}

/// Why a report was left out.
pub(super) enum Unloaded {
    /// Its `report.toml` did not parse.
    Unparsed,
    /// Something else is wrong with it; the problems say what.
    Invalid,
}

pub(super) fn load_report(
    files: &SourceFiles,
    folder: &Path,
    problems: &mut Vec<Problem>,
) -> Result<Report, Unloaded> {
    let meta_path = folder.join(REPORT_FILE);
    let text = files.get(&meta_path).unwrap_or_default();
    let mut check = FileCheck::new(&meta_path, text, problems);
    let raw: RawReport = check.parse().ok_or(Unloaded::Unparsed)?;
    let id = check.required(&raw.id, "id", None, 0);
    let title = check.required(&raw.title, "title", None, 0);
    let attribution = check.required(&raw.attribution, "attribution", None, 0);
    let language = check.required(&raw.language, "language", None, 0);
    let byline = optional_text(&mut check, &raw.byline, "byline", MAX_BYLINE_CHARS);
    let outlet = optional_text(&mut check, &raw.outlet, "outlet", MAX_BYLINE_CHARS);

    let article_path = folder.join(ARTICLE_FILE);
    let paragraphs: Vec<String> = match files.get(&article_path) {
        Some(article) => article
            .lines()
            .map(|l| l.trim_end_matches('\r').to_string())
            .collect(),
        None => Vec::new(),
    };
    if paragraphs.iter().all(|p| p.trim().is_empty()) {
        problems.push(Problem {
            file: article_path,
            line: None,
            column: None,
            entry: None,
            message: "missing or empty: the report's text goes here, one paragraph a line".into(),
        });
        return Err(Unloaded::Invalid);
    }
    let (Some(id), Some(title), Some(attribution), Some(language)) =
        (id, title, attribution, language)
    else {
        return Err(Unloaded::Invalid);
    };
    Ok(Report {
        id,
        title,
        attribution,
        language,
        date: raw.date.filter(|d| !d.trim().is_empty()),
        url: raw.url.filter(|u| !u.trim().is_empty()),
        byline,
        outlet,
        retired: raw.retired,
        default: raw.default,
        paragraphs,
        folder: folder.to_path_buf(),
        synonyms: Vec::new(),
    })
}

/// An optional text field: absent is fine, present must say something, within `max`.
fn optional_text(
    check: &mut FileCheck<'_>,
    field: &Option<Spanned<String>>,
    name: &str,
    max: usize,
) -> Option<String> {
    let value = field.as_ref()?;
    let text = value.get_ref().trim();
    let at = value.span().start;
    if text.is_empty() {
        check.push(
            Some(at),
            None,
            format!("field `{name}` is empty; give it or leave it out"),
        );
        return None;
    }
    check_length(check, text, max, name, None, at);
    Some(text.to_string())
}

/// At most one default report, and never a retired one.
pub(super) fn check_defaults(files: &SourceFiles, reports: &[Report], problems: &mut Vec<Problem>) {
    let mut first: Option<&Report> = None;
    for r in reports.iter().filter(|r| r.default) {
        let message = if r.retired {
            "a retired report cannot be the default".to_string()
        } else if let Some(f) = first {
            format!(
                "`default = true` is also set for report `{}`; only one report can be the default",
                f.id
            )
        } else {
            first = Some(r);
            continue;
        };
        let file = r.folder.join(REPORT_FILE);
        let line = files.get(&file).and_then(|text| {
            text.lines()
                .position(|l| l.trim_start().starts_with("default"))
                .map(|i| i + 1)
        });
        problems.push(Problem {
            file,
            line,
            column: None,
            entry: None,
            message,
        });
    }
}
