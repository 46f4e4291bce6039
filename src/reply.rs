//! The one reply model every front end renders: the command line, JSON and Discord.

use serde::Serialize;

use crate::knowledge::{Body, KnowledgeBase, Report};
use crate::matcher::{Match, Outcome};
use crate::metadata::Detail;

/// What the bot says to small talk, on every front end.
pub const HELP_TEXT: &str = "I answer questions about the news reports I know, with the paragraph and words that support each answer. Ask me something like \"How many people does the administration want to deport?\"";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Answered,
    Suggested,
    Declined,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Answered => "answered",
            Status::Suggested => "suggested",
            Status::Declined => "declined",
        }
    }
}

/// Why a question was not answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Decline {
    /// Nothing in the reports fits.
    NotCovered,
    /// A curated gap: readers ask this, and the report does not say.
    KnownGap,
    /// Greetings, thanks, "help": the help text is the answer.
    SmallTalk,
}

/// Where an answer comes from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Citation {
    pub report: String,
    pub title: String,
    pub attribution: String,
    pub paragraph: usize,
    pub quote: String,
    /// The report's publication date.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Set when the answer comes from the report's details (`report.toml`), not from a
    /// paragraph: then `paragraph` is 0 and `quote` is the detail as written there.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<Detail>,
}

/// A question the bot can answer, offered as a next step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Suggestion {
    pub entry: String,
    pub question: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reply {
    pub question: String,
    pub status: Status,
    /// The entry that answered, or the gap that explains a decline.
    pub entry: Option<String>,
    /// The report of that entry.
    pub report: Option<String>,
    /// Set only when answered; opens with "Yes." or "No." when it settles a yes/no question.
    pub answer: Option<String>,
    /// For an answered yes/no question the answer settles: true for yes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub settles: Option<bool>,
    /// Confidence of the best match, 0..1.
    pub confidence: f32,
    #[serde(rename = "source")]
    pub citation: Option<Citation>,
    /// Other questions about the same subject, when answered.
    pub related: Vec<Suggestion>,
    /// "Did you mean", when suggested; closest questions, when declined.
    pub suggestions: Vec<Suggestion>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decline: Option<Decline>,
    /// What the report leaves out (for a known gap).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Topics the reports cover, when declined (at most [`DECLINE_TOPICS`]).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub topics: Vec<String>,
    /// How many more topics there are than `topics` names.
    #[serde(skip_serializing_if = "is_zero")]
    pub more_topics: usize,
    /// Answers to the other questions of a message that asks several, each with its own
    /// source (see `Desk`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub also: Vec<Reply>,
}

impl Reply {
    /// Leads the answer with "Yes." or "No." when the matcher found that the answer
    /// settles a yes/no question, unless the curated answer already opens with one.
    fn lead_with(&mut self, settles: Option<bool>) {
        let (Some(yes), Some(answer)) = (settles, self.answer.as_mut()) else {
            return;
        };
        let opening = answer
            .split(|c: char| !c.is_alphabetic())
            .next()
            .unwrap_or("")
            .to_lowercase();
        if opening == "yes" || opening == "no" {
            return;
        }
        *answer = if yes {
            format!("Yes. {answer}")
        } else {
            format!("No — the report says {}", lower_first_word(answer))
        };
        self.settles = Some(yes);
    }
}

/// Does any of `reports` state `detail` in its `report.toml`?
pub fn states_detail(kb: &KnowledgeBase, reports: &[usize], detail: Detail) -> bool {
    reports
        .iter()
        .any(|&r| detail_of(&kb.reports[r], detail).is_some())
}

/// A detail of a report, as its `report.toml` writes it.
fn detail_of(report: &Report, detail: Detail) -> Option<&str> {
    match detail {
        Detail::Byline => report.byline.as_deref(),
        Detail::Outlet => report.outlet.as_deref(),
        Detail::Published => report.date.as_deref(),
        Detail::Link => report.url.as_deref(),
    }
    .map(str::trim)
    .filter(|v| !v.is_empty())
}

/// A byline without its "By": "By Ana Ruiz" reads "is by Ana Ruiz", not "by By".
fn without_by(byline: &str) -> &str {
    match byline.get(..3) {
        Some(head) if head.eq_ignore_ascii_case("by ") => byline[3..].trim_start(),
        _ => byline,
    }
}

/// Most topics named in a decline: enough to orient, short enough to read.
pub const DECLINE_TOPICS: usize = 5;

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// The sentence a decline opens with: "The report doesn't say." or, for a known gap,
/// "The report doesn't say: <what it leaves out>", however the note itself opens.
/// `escape` makes the note safe for where it is shown.
pub fn decline_sentence(note: Option<&str>, escape: impl Fn(&str) -> String) -> String {
    let Some(note) = note.map(str::trim).filter(|n| !n.is_empty()) else {
        return "The report doesn't say.".to_string();
    };
    let rest = strip_doesnt_say(note);
    if rest.is_empty() {
        return "The report doesn't say.".to_string();
    }
    let mut rest = lower_first_word(&rest);
    if !rest.ends_with(['.', '!', '?', '…']) {
        rest.push('.');
    }
    format!("The report doesn't say: {}", escape(&rest))
}

/// The note without an opening that says again that the report doesn't say.
fn strip_doesnt_say(note: &str) -> String {
    crate::knowledge::after_not_said(note).unwrap_or_else(|| note.to_string())
}

/// A sentence continued after a colon: its first word loses its capital unless it is a
/// name ("It gives no figure" → "it gives no figure"; "Ms Ruiz" stays).
fn lower_first_word(text: &str) -> String {
    const COMMON: &[&str] = &[
        "The", "It", "Its", "There", "No", "Nothing", "Whether", "When", "How", "Who", "What",
        "Which", "Why", "Where", "Neither", "None", "A", "An", "This", "That", "These", "Those",
        "Any", "If", "Only", "Not", "Nor", "Nobody",
    ];
    let first = text
        .split(|c: char| !c.is_alphanumeric())
        .next()
        .unwrap_or("");
    if COMMON.contains(&first) {
        let mut chars = text.chars();
        let head = chars.next().map(|c| c.to_lowercase().collect::<String>());
        head.unwrap_or_default() + chars.as_str()
    } else {
        text.to_string()
    }
}

/// "It covers: a; b; c." with how many more there are, given topics ready to show.
pub fn covers_sentence(topics: &[String], more: usize) -> String {
    match more {
        0 => format!("It covers: {}.", topics.join("; ")),
        n => format!(
            "It covers: {}; and {n} more topic{}.",
            topics.join("; "),
            if n == 1 { "" } else { "s" }
        ),
    }
}

fn suggestion(kb: &KnowledgeBase, index: usize) -> Suggestion {
    let e = &kb.entries[index];
    Suggestion {
        entry: e.id.clone(),
        question: e.question.clone(),
    }
}

impl Reply {
    /// The reply for a matcher's decision on `question`.
    pub fn from_match(
        kb: &KnowledgeBase,
        question: &str,
        found: &Match,
        report: Option<usize>,
    ) -> Reply {
        let confidence = (found.confidence() * 1000.0).round() / 1000.0;
        match &found.outcome {
            Outcome::Answered { entry } => {
                let mut reply = Reply::answer(kb, question, *entry, confidence);
                reply.lead_with(found.settles);
                reply
            }
            Outcome::Suggested { entries } => Reply {
                suggestions: entries.iter().map(|&i| suggestion(kb, i)).collect(),
                ..Reply::empty(question, Status::Suggested, confidence)
            },
            Outcome::Declined {
                gap,
                chitchat,
                nearest,
            } => {
                let gap_entry = gap.map(|g| &kb.entries[g]);
                let decline = if *chitchat {
                    Decline::SmallTalk
                } else if gap_entry.is_some() {
                    Decline::KnownGap
                } else {
                    Decline::NotCovered
                };
                // A gap's own related entries are what its editor chose to offer
                // instead: they come before the scored nearest entries.
                let mut offered: Vec<usize> = gap_entry
                    .map(|g| {
                        g.related
                            .iter()
                            .filter_map(|id| kb.entry_index(id))
                            .filter(|&i| !kb.entries[i].is_gap())
                            .collect()
                    })
                    .unwrap_or_default();
                for &i in nearest {
                    if !offered.contains(&i) {
                        offered.push(i);
                    }
                }
                offered.truncate(crate::matcher::MAX_SUGGESTIONS);
                let topics = kb.topics(report);
                Reply {
                    entry: gap_entry.map(|e| e.id.clone()),
                    report: gap_entry.map(|e| kb.reports[e.report].id.clone()),
                    note: gap_entry.and_then(|e| e.not_said_note().map(str::to_string)),
                    suggestions: offered.iter().map(|&i| suggestion(kb, i)).collect(),
                    decline: Some(decline),
                    more_topics: topics.len().saturating_sub(DECLINE_TOPICS),
                    topics: topics
                        .into_iter()
                        .take(DECLINE_TOPICS)
                        .map(str::to_string)
                        .collect(),
                    ..Reply::empty(question, Status::Declined, confidence)
                }
            }
        }
    }

    /// The answer of one entry, as when a person picks a suggested question.
    pub fn answer(kb: &KnowledgeBase, question: &str, index: usize, confidence: f32) -> Reply {
        let e = &kb.entries[index];
        let report = &kb.reports[e.report];
        let (answer, citation) = match &e.body {
            Body::Fact { answer, source } => (
                Some(answer.clone()),
                Some(Citation {
                    report: report.id.clone(),
                    title: report.title.clone(),
                    attribution: report.attribution.clone(),
                    paragraph: source.paragraph,
                    quote: source.quote.clone(),
                    published: report.date.clone(),
                    url: report.url.clone(),
                    detail: None,
                }),
            ),
            Body::Gap { .. } => (None, None),
        };
        // A gap offered as "related" would only decline when picked: related questions
        // are ones the report answers.
        let related = e
            .related
            .iter()
            .filter_map(|id| kb.entry_index(id))
            .filter(|&i| !kb.entries[i].is_gap())
            .map(|i| suggestion(kb, i))
            .take(crate::matcher::MAX_SUGGESTIONS)
            .collect();
        Reply {
            status: if answer.is_some() {
                Status::Answered
            } else {
                Status::Declined
            },
            entry: Some(e.id.clone()),
            report: Some(report.id.clone()),
            answer,
            citation,
            related,
            ..Reply::empty(question, Status::Answered, confidence)
        }
    }

    /// The answer to a question about the reports themselves ("who wrote this?"), from
    /// their `report.toml`: each of `reports` that states the detail, the first cited.
    /// When none states it, a decline that says which detail is missing.
    pub fn about_reports(
        kb: &KnowledgeBase,
        question: &str,
        reports: &[usize],
        detail: Detail,
    ) -> Reply {
        let stated: Vec<(&Report, &str)> = reports
            .iter()
            .map(|&r| &kb.reports[r])
            .filter_map(|r| detail_of(r, detail).map(|value| (r, value)))
            .collect();
        let Some(&(first, value)) = stated.first() else {
            let missing = match detail {
                Detail::Byline => "who wrote it; its details name no author",
                Detail::Outlet => "which outlet published it; its details name none",
                Detail::Published => "when it was published; its details give no date",
                Detail::Link => "where to read it online; its details give no link",
            };
            return Reply {
                report: (reports.len() == 1).then(|| kb.reports[reports[0]].id.clone()),
                decline: Some(Decline::KnownGap),
                note: Some(missing.to_string()),
                ..Reply::empty(question, Status::Declined, 1.0)
            };
        };
        let sentence = |r: &Report, value: &str| match detail {
            Detail::Byline => format!("“{}” is by {}.", r.title, without_by(value)),
            Detail::Outlet => format!("“{}” was published by {value}.", r.title),
            Detail::Published => format!("“{}” was published on {value}.", r.title),
            Detail::Link => format!("“{}” can be read at {value}", r.title),
        };
        let answer = stated
            .iter()
            .map(|(r, v)| sentence(r, v))
            .collect::<Vec<_>>()
            .join(" ");
        Reply {
            report: Some(first.id.clone()),
            answer: Some(answer),
            citation: Some(Citation {
                report: first.id.clone(),
                title: first.title.clone(),
                attribution: first.attribution.clone(),
                paragraph: 0,
                quote: value.to_string(),
                published: first.date.clone(),
                url: first.url.clone(),
                detail: Some(detail),
            }),
            ..Reply::empty(question, Status::Answered, 1.0)
        }
    }

    fn empty(question: &str, status: Status, confidence: f32) -> Reply {
        Reply {
            question: question.to_string(),
            status,
            entry: None,
            report: None,
            answer: None,
            settles: None,
            confidence,
            citation: None,
            related: Vec::new(),
            suggestions: Vec::new(),
            decline: None,
            note: None,
            topics: Vec::new(),
            more_topics: 0,
            also: Vec::new(),
        }
    }

    /// Every answer the reply gives, the lead one first (one for most questions).
    pub fn answers(&self) -> impl Iterator<Item = &str> {
        self.answer
            .as_deref()
            .into_iter()
            .chain(self.also.iter().filter_map(|a| a.answer.as_deref()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_decline_says_once_that_the_report_does_not_say() {
        assert_eq!(
            decline_sentence(None, str::to_string),
            "The report doesn't say."
        );
        assert_eq!(
            decline_sentence(
                Some("The report does not say whether the council will vote again."),
                str::to_string
            ),
            "The report doesn't say: whether the council will vote again."
        );
        assert_eq!(
            decline_sentence(
                Some("The report doesn’t say. It gives no figure for 2027"),
                str::to_string
            ),
            "The report doesn't say: it gives no figure for 2027."
        );
        assert_eq!(
            decline_sentence(Some("Ms Ruiz gave no date for the vote."), str::to_string),
            "The report doesn't say: Ms Ruiz gave no date for the vote."
        );
        assert_eq!(
            decline_sentence(Some("  "), str::to_string),
            "The report doesn't say."
        );
        assert_eq!(
            decline_sentence(Some("The report does not say."), str::to_string),
            "The report doesn't say."
        );
        // Never panics on text that is not ASCII where an opening would be.
        assert_eq!(
            decline_sentence(Some("İt"), str::to_string),
            "The report doesn't say: İt."
        );
    }

    #[test]
    fn a_gap_named_as_related_is_not_offered_with_an_answer() {
        let mut kb = KnowledgeBase::bundled().expect("the bundled knowledge loads");
        let gap = kb.entries.iter().position(|e| e.is_gap()).unwrap();
        let fact = kb.entries.iter().position(|e| !e.is_gap()).unwrap();
        let gap_id = kb.entries[gap].id.clone();
        kb.entries[fact].related.insert(0, gap_id.clone());
        let reply = Reply::answer(&kb, "q", fact, 1.0);
        assert!(!reply.related.is_empty());
        assert!(
            reply.related.iter().all(|s| s.entry != gap_id),
            "{:?}",
            reply.related
        );
    }

    #[test]
    fn the_topic_list_says_how_many_it_leaves_out() {
        let topics = vec!["Cost".to_string(), "Vote".to_string()];
        assert_eq!(covers_sentence(&topics, 0), "It covers: Cost; Vote.");
        assert_eq!(
            covers_sentence(&topics, 1),
            "It covers: Cost; Vote; and 1 more topic."
        );
        assert_eq!(
            covers_sentence(&topics, 8),
            "It covers: Cost; Vote; and 8 more topics."
        );
    }
}
