//! What a report's entries cover, as an editor's to-do list: per paragraph, the entries
//! that cite it and the sentences readers will ask about first (a number, a name, a direct
//! quote) that no entry's quote touches; entries with few phrasings, gaps with none; and
//! the collisions and estimated answer rates of [`super::diagnosis`].

use std::fmt;

use serde::Serialize;

use super::diagnosis::{diagnose, Diagnosis};
use crate::desk::Desk;
use crate::knowledge::MIN_VARIANTS;

/// An entry with at most this many phrasings in all (its question, variants and
/// keywords, as the matcher indexes them) has "few": the least `validate` accepts.
pub const FEW_PHRASINGS: usize = MIN_VARIANTS + 1;

/// Fewest words a sentence shares with an answer or a gap's note, and at least half of
/// its words, for the answer to restate it.
const RESTATED_TERMS: usize = 3;

#[derive(Debug, Clone, Serialize)]
pub struct Coverage {
    pub reports: Vec<ReportCoverage>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ReportCoverage {
    pub report: String,
    pub paragraphs: Vec<ParagraphCoverage>,
    /// Entries whose phrasings are at the minimum.
    pub few_phrasings: Vec<String>,
    /// Gaps with no other phrasing than their question.
    pub gaps_without_phrasings: Vec<String>,
    /// Each phrasing left out in turn: collisions and estimated answer rates.
    #[serde(flatten)]
    pub diagnosis: Diagnosis,
}

#[derive(Debug, Clone, Serialize)]
pub struct ParagraphCoverage {
    pub number: usize,
    /// "the headline", "the byline" or "the date line": answered from `report.toml`,
    /// never counted as uncovered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub heading: Option<&'static str>,
    /// Ids of the entries that cite this paragraph.
    pub entries: Vec<String>,
    pub uncovered: Vec<Sentence>,
}

/// A sentence no entry quotes from, and why readers will ask about it.
#[derive(Debug, Clone, Serialize)]
pub struct Sentence {
    pub text: String,
    pub number: bool,
    pub name: bool,
    pub quote: bool,
    /// An entry's answer or a gap's note that says most of what the sentence says
    /// without quoting it: listed, but not counted as left to do.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restated_by: Option<String>,
}

/// Coverage of every served report, or only `report` (an index into the desk's reports).
pub fn coverage(desk: &Desk, report: Option<usize>) -> Coverage {
    let kb = desk.knowledge();
    let reports = (0..kb.reports.len())
        .filter(|&r| report.is_none_or(|only| only == r))
        .map(|r| report_coverage(desk, r))
        .collect();
    Coverage { reports }
}

fn report_coverage(desk: &Desk, r: usize) -> ReportCoverage {
    let kb = desk.knowledge();
    let report = &kb.reports[r];
    let entries: Vec<usize> = (0..kb.entries.len())
        .filter(|&i| kb.entries[i].report == r)
        .collect();
    // What each entry's answer (or gap's note and question) says, as terms.
    let analyzer = desk.matcher().analyzer();
    let keys = |text: &str| -> std::collections::BTreeSet<String> {
        analyzer.terms(text).into_iter().map(|t| t.key).collect()
    };
    let said: Vec<(usize, std::collections::BTreeSet<String>)> = entries
        .iter()
        .map(|&e| {
            let entry = &kb.entries[e];
            let text = match &entry.body {
                crate::knowledge::Body::Fact { answer, .. } => answer.clone(),
                crate::knowledge::Body::Gap { note } => format!("{note} {}", entry.question),
            };
            (e, keys(&text))
        })
        .collect();
    let restated_by = |sentence: &str| -> Option<String> {
        let own = keys(sentence);
        said.iter()
            .map(|(e, k)| (e, own.intersection(k).count()))
            .filter(|&(_, shared)| shared >= RESTATED_TERMS && 2 * shared >= own.len())
            .max_by_key(|&(_, shared)| shared)
            .map(|(&e, _)| kb.entries[e].id.clone())
    };
    let paragraphs = report
        .paragraphs
        .iter()
        .enumerate()
        .map(|(i, text)| {
            let number = i + 1;
            let citing: Vec<usize> = entries
                .iter()
                .copied()
                .filter(|&e| {
                    kb.entries[e]
                        .source()
                        .is_some_and(|s| s.paragraph == number)
                })
                .collect();
            let quoted: Vec<(usize, usize)> = citing
                .iter()
                .filter_map(|&e| {
                    let quote = &kb.entries[e].source()?.quote;
                    text.find(quote.as_str()).map(|at| (at, at + quote.len()))
                })
                .collect();
            let heading = super::scaffold::heading(&report.paragraphs, i, &report.title);
            let uncovered = sentences(text)
                .into_iter()
                .filter(|_| heading.is_none())
                .filter(|&(start, end)| !quoted.iter().any(|&(a, b)| a < end && start < b))
                .filter_map(|(start, end)| askable(&text[start..end]))
                .map(|mut sentence| {
                    sentence.restated_by = restated_by(&sentence.text);
                    sentence
                })
                .collect();
            ParagraphCoverage {
                number,
                heading,
                entries: citing.iter().map(|&e| kb.entries[e].id.clone()).collect(),
                uncovered,
            }
        })
        .collect();
    let few_phrasings = entries
        .iter()
        .map(|&e| &kb.entries[e])
        .filter(|e| !e.is_gap() && e.phrasings().count() <= FEW_PHRASINGS)
        .map(|e| e.id.clone())
        .collect();
    let gaps_without_phrasings = entries
        .iter()
        .map(|&e| &kb.entries[e])
        .filter(|e| e.is_gap() && e.variants.is_empty())
        .map(|e| e.id.clone())
        .collect();
    ReportCoverage {
        report: report.id.clone(),
        paragraphs,
        few_phrasings,
        gaps_without_phrasings,
        diagnosis: diagnose(desk, r),
    }
}

/// Words that end a sentence with their full stop only in odd cases.
const ABBREVIATIONS: [&str; 10] = [
    "Mr", "Mrs", "Ms", "Dr", "St", "Jr", "Sr", "Gen", "Sen", "Rep",
];

/// Byte ranges of the sentences in a paragraph.
pub fn sentences(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut i = 0;
    while i < chars.len() {
        let (_, c) = chars[i];
        if matches!(c, '.' | '?' | '!') {
            // Closing quotes and brackets belong to the sentence they close.
            let mut j = i + 1;
            while j < chars.len() && matches!(chars[j].1, '"' | '”' | '’' | '\'' | ')') {
                j += 1;
            }
            let next_word = chars[j..]
                .iter()
                .skip_while(|(_, c)| c.is_whitespace())
                .map(|&(_, c)| c)
                .next();
            let spaced = j < chars.len() && chars[j].1.is_whitespace();
            let word_before: String = text[start..chars[i].0]
                .rsplit(|c: char| !c.is_alphanumeric())
                .next()
                .unwrap_or("")
                .to_string();
            let abbreviation = c == '.'
                && (ABBREVIATIONS.contains(&word_before.as_str())
                    || (word_before.chars().count() == 1
                        && word_before.chars().all(char::is_uppercase)));
            let starts_sentence = next_word
                .is_some_and(|n| n.is_uppercase() || n.is_numeric() || "\"“‘'(".contains(n));
            if spaced && starts_sentence && !abbreviation {
                let end = if j < chars.len() {
                    chars[j].0
                } else {
                    text.len()
                };
                out.push((start, end));
                start = end;
                i = j;
                continue;
            }
        }
        i += 1;
    }
    if start < text.len() {
        out.push((start, text.len()));
    }
    out.into_iter()
        .map(|(a, b)| {
            let s = &text[a..b];
            let lead = s.len() - s.trim_start().len();
            (a + lead, a + lead + s.trim().len())
        })
        .filter(|(a, b)| a < b)
        .collect()
}

const NUMBER_WORDS: [&str; 8] = [
    "million", "billion", "thousand", "hundred", "dozen", "percent", "half", "twice",
];

/// The sentence, when it holds what readers ask about first.
fn askable(text: &str) -> Option<Sentence> {
    let words: Vec<&str> = text.split_whitespace().collect();
    // A wire dateline ("CARROW BEND, Minn.") names where the story was filed, not a fact.
    let (place, rest) = text.split_once(',').unwrap_or((text, ""));
    let rest: Vec<&str> = rest.split_whitespace().collect();
    let dateline = place.chars().any(char::is_alphabetic)
        && !place.chars().any(char::is_lowercase)
        && rest.len() <= 3
        && rest.iter().all(|w| w.starts_with(char::is_uppercase));
    if dateline {
        return None;
    }
    let number = text.chars().any(|c| c.is_ascii_digit())
        || words.iter().any(|w| {
            let w = w
                .trim_matches(|c: char| !c.is_alphanumeric())
                .to_lowercase();
            NUMBER_WORDS.contains(&w.as_str())
        });
    let quote = text.contains(['"', '“', '”']);
    // A capitalised word not opening the sentence (or a quote), or two capitalised words
    // in a row anywhere: a person, a place or an organisation.
    let capital = |w: &str| {
        let w = w.trim_matches(|c: char| !c.is_alphanumeric());
        w.chars().next().is_some_and(char::is_uppercase) && w != "I"
    };
    let name = words.iter().enumerate().any(|(i, w)| {
        let opens = i == 0
            || words[i - 1].ends_with(['.', ':', '“'])
            || words[i - 1] == "\""
            || w.starts_with(['"', '“', '‘']);
        capital(w) && (!opens || words.get(i + 1).is_some_and(|n| capital(n)))
    });
    (number || name || quote).then(|| Sentence {
        text: text.to_string(),
        number,
        name,
        quote,
        restated_by: None,
    })
}

impl fmt::Display for Coverage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for r in &self.reports {
            writeln!(f, "report {}", r.report)?;
            for p in &r.paragraphs {
                let entries = if let Some(heading) = p.heading.filter(|_| p.entries.is_empty()) {
                    format!("{heading} (questions about it are answered from report.toml)")
                } else if p.entries.is_empty() {
                    "no entries".to_string()
                } else {
                    p.entries.join(", ")
                };
                writeln!(f, "  paragraph {}: {entries}", p.number)?;
                for s in &p.uncovered {
                    let mut why = Vec::new();
                    if s.number {
                        why.push("number");
                    }
                    if s.name {
                        why.push("name");
                    }
                    if s.quote {
                        why.push("quote");
                    }
                    match &s.restated_by {
                        Some(id) => writeln!(
                            f,
                            "    restated by `{id}`, not quoted [{}]: {}",
                            why.join(", "),
                            s.text
                        )?,
                        None => writeln!(f, "    uncovered [{}]: {}", why.join(", "), s.text)?,
                    }
                }
            }
            let uncovered: usize = r
                .paragraphs
                .iter()
                .flat_map(|p| &p.uncovered)
                .filter(|s| s.restated_by.is_none())
                .count();
            let bare = r
                .paragraphs
                .iter()
                .filter(|p| p.entries.is_empty() && p.heading.is_none())
                .count();
            let d = &r.diagnosis;
            writeln!(
                f,
                "  to do: {uncovered} uncovered sentence(s), {bare} paragraph(s) without entries, {} entr(y/ies) with few phrasings ({FEW_PHRASINGS} or fewer in all: question, variants with phrasings.toml, keywords), {} gap(s) without phrasings, {}",
                r.few_phrasings.len(),
                r.gaps_without_phrasings.len(),
                d.count()
            )?;
            if !r.few_phrasings.is_empty() {
                writeln!(
                    f,
                    "  few phrasings ({FEW_PHRASINGS} or fewer in all): {}",
                    r.few_phrasings.join(", ")
                )?;
            }
            if !r.gaps_without_phrasings.is_empty() {
                writeln!(
                    f,
                    "  gaps without phrasings: {}",
                    r.gaps_without_phrasings.join(", ")
                )?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(text: &str) -> Vec<&str> {
        sentences(text)
            .into_iter()
            .map(|(a, b)| &text[a..b])
            .collect()
    }

    #[test]
    fn sentences_split_on_full_stops_not_abbreviations() {
        assert_eq!(
            split("Mr. Lind said “It is done.” The park cost 12 million. It opens in June! Is it?"),
            vec![
                "Mr. Lind said “It is done.”",
                "The park cost 12 million.",
                "It opens in June!",
                "Is it?"
            ]
        );
        assert_eq!(
            split("One sentence without a stop"),
            vec!["One sentence without a stop"]
        );
    }

    #[test]
    fn askable_sentences_have_a_number_a_name_or_a_quote() {
        let s = askable("The park cost 12 million euros.").unwrap();
        assert!(s.number && !s.name && !s.quote);
        let s = askable("It was approved by the Regional Water Board.").unwrap();
        assert!(s.name && !s.number);
        let s = askable("Barack Obama set the record.").unwrap();
        assert!(s.name);
        let s = askable("“It is a bargain,” she said.").unwrap();
        assert!(s.quote && !s.name);
        assert!(askable("Critics say the money should go to roads.").is_none());
        assert!(askable("CARROW BEND, Minn.").is_none());
        assert!(askable("NASA, the agency, said 12 were hurt.").is_some());
    }
}
