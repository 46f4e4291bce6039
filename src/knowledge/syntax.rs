//! A TOML syntax error read as an editor needs it: the column it was found at, and the
//! likely cause when the offending line shows one. A cause is only named when the line
//! bears it out; otherwise the parser's own message stands alone.

/// Why the parser stopped, in the editor's terms, with what to write instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cause {
    /// A `"` inside a `"…"` string closed it, and the rest of the text followed it.
    DoubleQuoteInside,
    /// A `'` inside a `'…'` string closed it.
    SingleQuoteInside,
    /// A `\` inside a `"…"` string started an escape that is not one.
    Backslash,
    /// A `"…"` string runs to the end of the line.
    Unclosed,
    /// The text is wrapped in curly quotes, which TOML does not read as quotes.
    CurlyQuotes,
    /// A text value with no quotes at all.
    Unquoted,
}

impl Cause {
    pub fn advice(self) -> &'static str {
        match self {
            Cause::DoubleQuoteInside => {
                "a `\"` inside a \"…\" string ends it early; write the text in single quotes '…' \
                 (or '''…''' when it holds a single quote too), or escape it as \\\""
            }
            Cause::SingleQuoteInside => {
                "a `'` inside a '…' string ends it early; write the text in double quotes \"…\" \
                 (escaping any `\"` in it as \\\"), or in '''…'''"
            }
            Cause::Backslash => {
                "a `\\` inside a \"…\" string starts an escape such as \\n; write it as \\\\, \
                 or put the text in single quotes '…'"
            }
            Cause::Unclosed => {
                "this \"…\" string is not closed on its line; end it with `\"` \
                 (text over several lines goes in \"\"\"…\"\"\")"
            }
            Cause::CurlyQuotes => {
                "the text is in curly quotes “…”; TOML needs straight quotes \"…\" around it \
                 (curly quotes inside the text are fine)"
            }
            Cause::Unquoted => "text values go in quotes: key = \"…\"",
        }
    }
}

/// One string on a line: where it ends (just past its closing quote) and its kind.
struct Closed {
    end: usize,
    double: bool,
}

/// The strings of one line, as far as a single line tells. `None` when the line holds a
/// multi-line string delimiter, whose strings span lines this reading cannot see.
struct LineStrings {
    closed: Vec<Closed>,
    /// The line ends inside a `"…"` string.
    open_double: bool,
    /// Char indexes of backslashes that start an escape inside a `"…"` string.
    escapes: Vec<usize>,
}

fn scan(line: &[char]) -> Option<LineStrings> {
    let mut out = LineStrings {
        closed: Vec::new(),
        open_double: false,
        escapes: Vec::new(),
    };
    let mut i = 0;
    while i < line.len() {
        let c = line[i];
        if c == '#' {
            break;
        }
        if c != '"' && c != '\'' {
            i += 1;
            continue;
        }
        if line[i..].starts_with(&[c, c, c]) {
            return None;
        }
        let double = c == '"';
        let mut j = i + 1;
        let mut closed = false;
        while j < line.len() {
            if double && line[j] == '\\' {
                out.escapes.push(j);
                j += 2;
                continue;
            }
            if line[j] == c {
                closed = true;
                break;
            }
            j += 1;
        }
        if !closed {
            out.open_double = double;
            break;
        }
        out.closed.push(Closed { end: j + 1, double });
        i = j + 1;
    }
    Some(out)
}

/// The likely cause of a syntax error found at char `column` (0-based) of `line`, given
/// the parser's message; `None` when the line does not show one.
pub fn likely_cause(line: &str, column: usize, message: &str) -> Option<Cause> {
    let chars: Vec<char> = line.trim_end_matches('\r').chars().collect();
    let at = chars.get(column).copied();
    if matches!(at, Some('“' | '”' | '‘' | '’' | '„' | '«' | '»')) {
        return Some(Cause::CurlyQuotes);
    }
    if message.contains("must be quoted") {
        return Some(Cause::Unquoted);
    }
    let strings = scan(&chars)?;
    if column > 0 && strings.escapes.contains(&(column - 1)) {
        return Some(Cause::Backslash);
    }
    // The text went on right after a string closed, and a quote of the same kind follows:
    // the string was closed by a quote meant to be part of it.
    let rest = chars.get(column..).unwrap_or_default();
    let just_closed = strings
        .closed
        .iter()
        .rev()
        .find(|s| s.end <= column && chars[s.end..column].iter().all(|c| c.is_whitespace()));
    if let Some(s) = just_closed {
        let quote = if s.double { '"' } else { '\'' };
        if !rest.is_empty() && rest.contains(&quote) {
            return Some(if s.double {
                Cause::DoubleQuoteInside
            } else {
                Cause::SingleQuoteInside
            });
        }
    }
    if strings.open_double && rest.iter().all(|c| c.is_whitespace()) {
        return Some(Cause::Unclosed);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The parser's column for `text` (0-based chars), as the tests below give it.
    fn cause(line: &str, marker: &str) -> Option<Cause> {
        let byte = line.find(marker).expect("marker in line");
        let column = line[..byte].chars().count();
        likely_cause(line, column, "")
    }

    #[test]
    fn a_double_quote_inside_a_string_is_named() {
        let line = r#"quote = "the mayor said "no" today""#;
        assert_eq!(cause(line, "no\""), Some(Cause::DoubleQuoteInside));
        let inline = r#"source = { paragraph = 1, quote = "the mayor said "no" today" }"#;
        assert_eq!(cause(inline, "no\""), Some(Cause::DoubleQuoteInside));
        let array = r#"variants = ["a", "b "c" d"]"#;
        assert_eq!(cause(array, "c\""), Some(Cause::DoubleQuoteInside));
    }

    #[test]
    fn a_single_quote_inside_a_literal_string_is_named() {
        assert_eq!(
            cause("answer = 'it's here'", "s here"),
            Some(Cause::SingleQuoteInside)
        );
    }

    #[test]
    fn other_causes_are_named_only_when_the_line_shows_them() {
        let line = r#"answer = "C:\path""#;
        assert_eq!(cause(line, "path"), Some(Cause::Backslash));
        assert_eq!(
            likely_cause("answer = \"unterminated", 22, ""),
            Some(Cause::Unclosed)
        );
        assert_eq!(cause("answer = “curly”", "“"), Some(Cause::CurlyQuotes));
        assert_eq!(
            likely_cause("answer = plain", 9, "string values must be quoted"),
            Some(Cause::Unquoted)
        );
        // A stray token after a complete string, with no quote following: no guess.
        assert_eq!(cause(r#"id = "x" y"#, "y"), None);
        // A quote in a comment is not a string.
        assert_eq!(cause(r#"id = 3 x # "a" "b""#, "x"), None);
        // Multi-line strings span lines this reading cannot see.
        assert_eq!(cause(r#"q = """multi "a" """ x"#, "x"), None);
    }
}
