//! `factdesk explain`: how a question is read, ranked and decided, in words an editor
//! can act on: entries by id, the calibrated chance against the thresholds, and the
//! rule that decided.

use std::fmt::Write as _;

use anyhow::Context as _;

use super::{CliError, ExplainArgs};
use crate::desk::Desk;
use crate::knowledge::KnowledgeBase;
use crate::matcher::{tokenize, Config, Doubt, Match, Matcher, Outcome, Rule};

/// Candidates listed.
const SHOWN: usize = 6;

/// The `explain` subcommand: the default thresholds are the desk's own, as it answers.
pub(super) fn command(
    kb: KnowledgeBase,
    args: ExplainArgs,
    out: &mut dyn std::io::Write,
) -> Result<(), CliError> {
    let desk = Desk::new(kb);
    let filter = desk.report_filter(args.report.as_deref())?;
    let config = if args.newsroom {
        Config::newsroom()
    } else {
        desk.matcher().config()
    };
    let found = desk.matcher().ask_with(&args.question, filter, &config);
    // The bot's reply can come from beyond the matcher's outcome: the report's details,
    // several questions answered one by one, the default report. Say so where it differs.
    let differs = if args.newsroom {
        None
    } else {
        let reply = desk.ask(&args.question, args.report.as_deref())?;
        reply_beyond_the_matcher(&reply, &found, desk.knowledge())
    };
    let text = explain(
        desk.matcher(),
        desk.knowledge(),
        &args.question,
        filter,
        &found,
        &config,
        differs.as_deref(),
    );
    write!(out, "{text}").context("writing output")?;
    Ok(())
}

/// What the bot's reply does that the matcher's outcome does not show, if anything.
fn reply_beyond_the_matcher(
    reply: &crate::reply::Reply,
    found: &Match,
    kb: &KnowledgeBase,
) -> Option<String> {
    let matched = match found.outcome {
        Outcome::Answered { entry } => Some(&kb.entries[entry].id),
        _ => None,
    };
    match (&reply.citation, reply.entry.as_ref()) {
        (Some(c), _) if c.detail.is_some() => Some(format!(
            "the bot answers from the report's details instead (its {} in report.toml): a question about the piece itself is answered there first",
            c.detail.map(|d| d.label()).unwrap_or_default()
        )),
        (_, Some(e)) if reply.status == crate::reply::Status::Answered && matched != Some(e) => {
            Some(format!(
                "the bot answers with `{e}` instead (several questions answered one by one, or the default report among equals)"
            ))
        }
        _ => None,
    }
}

pub fn explain(
    matcher: &Matcher,
    kb: &KnowledgeBase,
    question: &str,
    report: Option<usize>,
    found: &Match,
    config: &Config,
    reply: Option<&str>,
) -> String {
    let id = |i: usize| format!("`{}`", kb.entries[i].id);
    let mut text = String::new();

    let mut terms = String::new();
    for t in matcher.terms(question) {
        let _ = write!(
            terms,
            " {}{}{}",
            t.key,
            if t.specific { "!" } else { "" },
            if t.credit < 1.0 { "~" } else { "" }
        );
    }
    let _ = writeln!(
        text,
        "terms:{}",
        if terms.is_empty() { " (none)" } else { &terms }
    );
    let _ = writeln!(
        text,
        "       (! a name or number, ~ corrected from a typo; stop words are left out)"
    );
    let analyzer = matcher.analyzer();
    let tokens = tokenize(question);
    // A report's own synonyms widen its entries, not the question: say which apply.
    let stems: Vec<String> = tokens.iter().map(|t| analyzer.stem(&t.surface)).collect();
    for (r, rep) in kb.reports.iter().enumerate() {
        if report.is_some_and(|only| only != r) {
            continue;
        }
        for group in &rep.synonyms {
            let used = group
                .terms
                .iter()
                .find(|term| stems.contains(&analyzer.stem(&crate::matcher::fold(term))));
            if let Some(word) = used {
                let _ = writeln!(
                    text,
                    "report synonyms ({}/vocabulary.toml): \"{word}\" also finds {}",
                    rep.folder.display(),
                    group
                        .terms
                        .iter()
                        .filter(|t| *t != word)
                        .map(|t| format!("\"{t}\""))
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
        }
    }
    let asked = analyzer.asked_types(&tokens);
    if asked != 0 {
        let required = analyzer.type_names(asked & analyzer.required_types());
        let soft = analyzer.type_names(asked & !analyzer.required_types());
        let mut kinds = Vec::new();
        if !required.is_empty() {
            kinds.push(format!("{} (an answer must state it)", required.join(", ")));
        }
        if !soft.is_empty() {
            kinds.push(format!(
                "{} (an answer that states it ranks higher)",
                soft.join(", ")
            ));
        }
        let _ = writeln!(text, "asks for: {}", kinds.join("; "));
    }

    let _ = writeln!(text, "\ncandidates (ranking score, best first):");
    if found.ranked.is_empty() {
        let _ = writeln!(text, "  none: no entry shares a word with the question");
    }
    for (n, r) in found.ranked.iter().take(SHOWN).enumerate() {
        let e = &kb.entries[r.entry];
        let kind = if e.is_gap() { "gap  " } else { "entry" };
        let chance = if found.candidate == Some(r.entry) {
            format!("  chance {:.2}", found.probability)
        } else {
            String::new()
        };
        let report_note = if kb.reports.len() > 1 {
            format!(" ({})", kb.reports[e.report].id)
        } else {
            String::new()
        };
        let states = matcher.stated_kinds(r.entry);
        let states = if e.is_gap() || states.is_empty() {
            String::new()
        } else {
            format!("  states: {}", states.join(", "))
        };
        let _ = writeln!(
            text,
            "  {}. {:.3} {kind} {}{report_note}{chance}{states}",
            n + 1,
            r.score,
            id(r.entry)
        );
    }

    // When the bot's reply is not the matcher's, the reply comes first: it is what a
    // reader gets, and the matcher's outcome below it only explains the candidates.
    let label = match reply {
        Some(reply) => {
            let _ = writeln!(text, "\nreply: {reply}");
            "the matcher alone"
        }
        None => "\noutcome",
    };
    let _ = writeln!(text, "{label}: {}", outcome(found, &id));
    let _ = writeln!(text, "why: {}", why(found, kb, config, &id));
    if let (Some(doubt), Some(c)) = (&found.doubt, found.candidate) {
        let _ = writeln!(text, "held back: {}", held_back(doubt, kb, &id(c)));
    }
    let _ = writeln!(
        text,
        "\nthresholds: answer at chance ≥ {:.2}; suggest at chance ≥ {:.2} or score ≥ {:.2}; \
         a gap ranked first declines from score {:.2}, or from {:.2} when it shares two words of the question",
        config.answer_probability,
        config.suggest_probability,
        config.suggest_threshold,
        config.gap_threshold,
        config.gap_shared_threshold
    );
    text
}

fn outcome(found: &Match, id: &dyn Fn(usize) -> String) -> String {
    let list = |entries: &[usize]| entries.iter().map(|&e| id(e)).collect::<Vec<_>>();
    match &found.outcome {
        Outcome::Answered { entry } => match found.settles {
            Some(true) => format!("answered with {} (\"Yes\")", id(*entry)),
            Some(false) => format!("answered with {} (\"No\")", id(*entry)),
            None => format!("answered with {}", id(*entry)),
        },
        Outcome::Suggested { entries } => {
            format!("suggested {} (\"did you mean\")", list(entries).join(", "))
        }
        Outcome::Declined { chitchat: true, .. } => "small talk: the help text".into(),
        Outcome::Declined {
            gap: Some(gap),
            nearest,
            ..
        } => {
            let mut s = format!("declined with the gap {}", id(*gap));
            if !nearest.is_empty() {
                let _ = write!(s, ", suggesting {}", list(nearest).join(", "));
            }
            s
        }
        Outcome::Declined { nearest, .. } => {
            let mut s = "declined: \"the report doesn't say\"".to_string();
            if !nearest.is_empty() {
                let _ = write!(s, ", naming {}", list(nearest).join(", "));
            }
            s
        }
    }
}

fn why(found: &Match, kb: &KnowledgeBase, config: &Config, id: &dyn Fn(usize) -> String) -> String {
    let chance = found.probability;
    let best_gap = found
        .ranked
        .iter()
        .position(|r| kb.entries[r.entry].is_gap());
    let candidate = found.candidate.map(id).unwrap_or_default();
    match found.rule {
        Rule::SmallTalk => {
            "the message is small talk (greetings, thanks, help): the help text answers, whatever words it shares with a phrasing".into()
        }
        Rule::NothingShared => "no entry shares a word with the question".into(),
        Rule::OwnPhrasing => format!(
            "the question repeats a phrasing of {candidate} word for word: a phrasing an editor wrote down always answers with its entry"
        ),
        Rule::GapPhrasing => {
            let gap = match &found.outcome {
                Outcome::Declined { gap: Some(g), .. } => id(*g),
                _ => String::new(),
            };
            format!(
                "the question repeats a phrasing of the gap {gap} word for word: a gap's own phrasing always declines with it"
            )
        }
        Rule::Chance => {
            let mut s = format!(
                "{candidate} has chance {chance:.2} ≥ {:.2}, the answer threshold",
                config.answer_probability
            );
            if let Some(at) = best_gap.filter(|&at| {
                config.gap_explains(&found.ranked[at])
                    && found.candidate.is_some_and(|c| {
                        found.ranked.iter().position(|r| r.entry == c) > Some(at)
                    })
            }) {
                let _ = write!(
                    s,
                    "; it answers before the gap {} ranked {} (score {:.3}), because an entry that reaches the answer chance answers first. \
                     The chance already counts how far the gap leads; to make the gap win, add this question to the gap's phrasings",
                    id(found.ranked[at].entry),
                    at + 1,
                    found.ranked[at].score
                );
            }
            s
        }
        Rule::GapFirst => {
            let gap = &found.ranked[0];
            let (from, sharing) = if gap.score >= config.gap_threshold {
                (config.gap_threshold, String::new())
            } else {
                (
                    config.gap_shared_threshold,
                    format!(" sharing {} words of the question", gap.matched),
                )
            };
            let mut s = format!(
                "the gap {} ranks first at score {:.3} ≥ {from:.2}{sharing}, and no entry reaches the answer chance",
                id(gap.entry),
                gap.score,
            );
            if found.candidate.is_some() {
                let _ = write!(
                    s,
                    " (the best, {candidate}, has {chance:.2}{})",
                    if found.doubt.is_some() {
                        " and is held back (below)"
                    } else {
                        ""
                    }
                );
            }
            s
        }
        Rule::Contradicted => format!(
            "the question claims a figure, and {candidate} states every other word of it with another figure: \
             it answers \"No\" with the report's figure (a claim about a year is never contradicted this way)"
        ),
        Rule::Unsure if found.doubt.is_some() => format!(
            "{candidate} has chance {chance:.2}, but a rule holds it back from answering (below): it is only suggested"
        ),
        Rule::Unsure => format!(
            "{candidate} has chance {chance:.2}, below the answer threshold {:.2}: plausible entries are suggested, nothing is asserted",
            config.answer_probability
        ),
        Rule::NothingClose => format!(
            "no entry scores {:.2} or more, and the best chance ({chance:.2}) is below {:.2}: nothing is close enough to suggest",
            config.suggest_threshold, config.suggest_probability
        ),
    }
}

fn held_back(doubt: &Doubt, kb: &KnowledgeBase, candidate: &str) -> String {
    match doubt {
        Doubt::UnknownWord { word } => format!(
            "the question uses \"{}\", a name, number or word the report never mentions, so it is probably about something else; \
             if the report does say it in other words, add the word to a phrasing or to the report's vocabulary.toml [[synonyms]]",
            word
        ),
        Doubt::MissingName { word } => format!(
            "the question names \"{}\", which the report mentions but {candidate} never does, so another fact is probably meant; \
             if {candidate} is right, use the name in one of its phrasings",
            word
        ),
        Doubt::KindMissing { kinds } => format!(
            "the question asks for {}; {candidate} states none. If the report gives it, state it in the answer; if not, add a gap for it",
            kinds
                .iter()
                .map(|k| with_article(k))
                .collect::<Vec<_>>()
                .join(" and ")
        ),
        Doubt::OneWord => format!(
            "the question shares one common word with {candidate}: too little to answer on; a phrasing with that word and one more would do"
        ),
        Doubt::TiedAcrossReports { other } => format!(
            "an entry of the report `{}` scores as well as {candidate}: the question doesn't say which report it means (ask with --report)",
            kb.reports[*other].id
        ),
    }
}

fn with_article(kind: &str) -> String {
    match kind {
        "amount" | "opinion" => format!("an {kind}"),
        "money" => "a sum of money".into(),
        "name" => "a name".into(),
        other => format!("a {other}"),
    }
}
