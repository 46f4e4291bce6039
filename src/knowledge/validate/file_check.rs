//! Where a problem is: one file's problems collected with the line (and, for TOML
//! syntax, the column) that each byte offset falls on.

use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use super::Problem;
use crate::knowledge::syntax;

/// Collects problems for one file, turning byte offsets into line numbers.
pub(super) struct FileCheck<'a> {
    file: &'a Path,
    text: &'a str,
    problems: &'a mut Vec<Problem>,
    /// Where each line after the first starts: a phrasings file has thousands of
    /// lines, and counting newlines from the top for each of them was quadratic.
    line_starts: Vec<usize>,
}

impl<'a> FileCheck<'a> {
    pub(super) fn new(file: &'a Path, text: &'a str, problems: &'a mut Vec<Problem>) -> Self {
        let line_starts = text
            .bytes()
            .enumerate()
            .filter(|&(_, b)| b == b'\n')
            .map(|(i, _)| i + 1)
            .collect();
        Self {
            file,
            text,
            problems,
            line_starts,
        }
    }

    pub(super) fn line_of(&self, offset: usize) -> usize {
        let end = offset.min(self.text.len());
        self.line_starts.partition_point(|&start| start <= end) + 1
    }

    pub(super) fn push(
        &mut self,
        offset: Option<usize>,
        entry: Option<&str>,
        message: impl Into<String>,
    ) {
        self.problems.push(Problem {
            file: self.file.to_path_buf(),
            line: offset.map(|o| self.line_of(o)),
            column: None,
            entry: entry.map(str::to_string),
            message: message.into(),
        });
    }

    /// A required, non-blank text field.
    pub(super) fn required(
        &mut self,
        field: &Option<Spanned<String>>,
        name: &str,
        entry: Option<&str>,
        at: usize,
    ) -> Option<String> {
        match field {
            None => {
                self.push(Some(at), entry, format!("missing field `{name}`"));
                None
            }
            Some(value) if value.get_ref().trim().is_empty() => {
                self.push(
                    Some(value.span().start),
                    entry,
                    format!("field `{name}` is empty"),
                );
                None
            }
            Some(value) => Some(value.get_ref().trim().to_string()),
        }
    }

    /// The file's contents, or `None` with a problem at the line and column where the
    /// parser stopped, naming the likely cause when the line shows one.
    pub(super) fn parse<T: for<'de> Deserialize<'de>>(&mut self) -> Option<T> {
        let err = match toml::from_str::<T>(self.text) {
            Ok(value) => return Some(value),
            Err(err) => err,
        };
        let found = err.message().trim_end_matches('\n');
        let Some(offset) = err.span().map(|s| s.start.min(self.text.len())) else {
            self.push(None, None, format!("TOML: {found}"));
            return None;
        };
        let line = self.line_of(offset);
        let start = line.checked_sub(2).map_or(0, |i| self.line_starts[i]);
        let text = self.text[start..].lines().next().unwrap_or("");
        let column = self
            .text
            .get(start..offset)
            .map_or(0, |t| t.chars().count());
        // Text that parses as TOML but not as this file's fields is not a syntax error.
        let message = if self.text.parse::<toml::Table>().is_ok() {
            format!("TOML: {found}")
        } else {
            match syntax::likely_cause(text, column, found) {
                Some(cause) => format!("TOML syntax: {found} — {}", cause.advice()),
                None => format!("TOML syntax: {found}"),
            }
        };
        self.problems.push(Problem {
            file: self.file.to_path_buf(),
            line: Some(line),
            column: Some(column + 1),
            entry: None,
            message,
        });
        None
    }
}

pub(super) fn check_length(
    check: &mut FileCheck<'_>,
    text: &str,
    max: usize,
    field: &str,
    id: Option<&str>,
    at: usize,
) {
    let chars = text.chars().count();
    if chars > max {
        check.push(
            Some(at),
            id,
            format!("`{field}` has {chars} characters; the limit is {max}"),
        );
    }
}
