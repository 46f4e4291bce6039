//! The new-entry form: built from a draft (a cluster's wordings, or a refused draft to
//! fix), and read back into a draft for the core to check.

use std::collections::HashMap;

use poise::serenity_prelude as serenity;
use serenity::{CreateActionRow, CreateInputText, CreateModal, InputTextStyle};

use super::Action;
use crate::curation::Cluster;
use crate::desk::Desk;
use crate::knowledge::additions::Draft;
use crate::knowledge::{KnowledgeBase, MAX_ANSWER_CHARS, MAX_QUESTION_CHARS, MAX_QUOTE_CHARS};

/// Form field ids.
const F_QUESTION: &str = "question";
const F_VARIANTS: &str = "variants";
const F_ANSWER: &str = "answer";
const F_PARAGRAPH: &str = "paragraph";
const F_QUOTE: &str = "quote";

fn limit(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

/// A draft to start from: the cluster's wordings, and its likeliest report.
pub(super) fn draft_for(desk: &Desk, c: &Cluster) -> Draft {
    let kb = desk.knowledge();
    let report = c
        .clicked
        .iter()
        .chain(&c.suggested)
        .find_map(|e| kb.entry_index(&e.entry))
        .map_or(0, |i| kb.entries[i].report);
    Draft {
        report: kb
            .reports
            .get(report)
            .map(|r| r.id.clone())
            .unwrap_or_default(),
        question: c.questions.first().cloned().unwrap_or_default(),
        variants: c.questions.iter().skip(1).cloned().collect(),
        ..Draft::default()
    }
}

pub(super) fn draft_form(kb: &KnowledgeBase, cluster: &str, d: &Draft) -> CreateModal {
    let several = kb.reports.len() > 1;
    let paragraph = if several {
        // "report-id " leaves the cursor where the number goes.
        format!("{} {}", d.report, d.paragraph)
    } else {
        d.paragraph.clone()
    };
    let input = |style, label: &str, id: &str, value: String, max: usize| {
        let mut i = CreateInputText::new(style, label, id).max_length(max as u16);
        if !value.is_empty() {
            i = i.value(limit(&value, max));
        }
        CreateActionRow::InputText(i)
    };
    let paragraph_label = if several {
        "Report id and paragraph number"
    } else {
        "Paragraph number"
    };
    CreateModal::new(Action::Submit.id(cluster), "New entry").components(vec![
        input(
            InputTextStyle::Short,
            "Question",
            F_QUESTION,
            d.question.clone(),
            MAX_QUESTION_CHARS,
        ),
        input(
            InputTextStyle::Paragraph,
            "Other phrasings, one a line (3 or more)",
            F_VARIANTS,
            d.variants.join("\n"),
            4000,
        ),
        input(
            InputTextStyle::Paragraph,
            "Answer, in our own words",
            F_ANSWER,
            d.answer.clone(),
            MAX_ANSWER_CHARS,
        ),
        input(
            InputTextStyle::Short,
            paragraph_label,
            F_PARAGRAPH,
            paragraph,
            100,
        ),
        input(
            InputTextStyle::Paragraph,
            "Quote, exactly as in the paragraph",
            F_QUOTE,
            d.quote.clone(),
            MAX_QUOTE_CHARS,
        ),
    ])
}

/// What the moderator typed into the form.
pub(super) fn draft_from_form(kb: &KnowledgeBase, fields: &HashMap<String, String>) -> Draft {
    let field = |name: &str| fields.get(name).cloned().unwrap_or_default();
    // "report-id 5", "report-id:5" or, with one report, "5".
    let place = field(F_PARAGRAPH);
    let parts: Vec<&str> = place
        .split([' ', ':', '#'])
        .filter(|p| !p.is_empty())
        .collect();
    let (report, paragraph) = match parts.as_slice() {
        [] => (String::new(), String::new()),
        [one] => (String::new(), one.to_string()),
        [report @ .., last] => (report.join(" "), last.to_string()),
    };
    let report = if report.is_empty() {
        kb.reports.first().map(|r| r.id.clone()).unwrap_or_default()
    } else {
        report
    };
    Draft {
        report,
        question: field(F_QUESTION),
        variants: field(F_VARIANTS).lines().map(str::to_string).collect(),
        answer: field(F_ANSWER),
        paragraph,
        quote: field(F_QUOTE),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_reads_report_and_paragraph() {
        let kb = KnowledgeBase::bundled().unwrap();
        let form = |place: &str| {
            let fields = HashMap::from([(F_PARAGRAPH.to_string(), place.to_string())]);
            let d = draft_from_form(&kb, &fields);
            (d.report, d.paragraph)
        };
        let only = kb.reports[0].id.clone();
        assert_eq!(form("5"), (only.clone(), "5".into()));
        assert_eq!(form(" city-bikes 7 "), ("city-bikes".into(), "7".into()));
        assert_eq!(form("city-bikes:7"), ("city-bikes".into(), "7".into()));
        assert_eq!(form(""), (only, String::new()));
    }
}
