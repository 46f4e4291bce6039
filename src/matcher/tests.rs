//! The matcher's rules on a knowledge base small enough to read in full: one report
//! about a town's harbour bridge (four paragraphs, four facts and one gap) and a second
//! report of two facts, so that each outcome below can be checked by hand.
//!
//! The probabilities come from the shipped calibration (`confidence.json`), so the
//! tests assert outcomes, and probabilities only where a rule fixes them (1.0 for a
//! phrasing asked word for word, 0.0 when nothing is a candidate).

use super::{Config, Doubt, LeftOut, Matcher, Outcome, Rule, MAX_QUESTION_BYTES};
use crate::knowledge::{Body, Entry, KnowledgeBase, Report, Source, Vocabulary};

const BRIDGE: usize = 0;
const LIBRARY: usize = 1;

// Entries, in the order `knowledge_base` adds them.
const COST: usize = 0;
const DURATION: usize = 1;
const OLSEN: usize = 2;
const FERRIES: usize = 3;
const FERRY_FARES_GAP: usize = 4;
const OPENING_HOURS: usize = 5;

/// The shared vocabulary the bot runs with: stop words, small talk and the kinds of
/// fact a question asks for are rules of the matcher, not of one report.
fn vocabulary() -> Vocabulary {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/knowledge/vocabulary.toml");
    let text = std::fs::read_to_string(path).expect("knowledge/vocabulary.toml");
    toml::from_str(&text).expect("the shared vocabulary parses")
}

fn report(id: &str, title: &str, paragraphs: &[&str]) -> Report {
    Report {
        id: id.into(),
        title: title.into(),
        attribution: "Kelmouth Gazette".into(),
        language: "en".into(),
        date: None,
        url: None,
        byline: None,
        outlet: None,
        retired: false,
        default: false,
        paragraphs: paragraphs.iter().map(|p| p.to_string()).collect(),
        folder: id.into(),
        synonyms: Vec::new(),
    }
}

fn fact(
    id: &str,
    report: usize,
    topic: &str,
    question: &str,
    variants: &[&str],
    answer: &str,
    (paragraph, quote): (usize, &str),
) -> Entry {
    Entry {
        id: id.into(),
        report,
        topic: topic.into(),
        question: question.into(),
        variants: variants.iter().map(|v| v.to_string()).collect(),
        keywords: Vec::new(),
        body: Body::Fact {
            answer: answer.into(),
            source: Source {
                paragraph,
                quote: quote.into(),
            },
        },
        related: Vec::new(),
    }
}

fn knowledge_base() -> KnowledgeBase {
    let bridge = report(
        "harbour-bridge",
        "Kelmouth to rebuild its harbour bridge",
        &[
            "The Kelmouth council voted on Tuesday to rebuild the harbour bridge, closed since a storm in March.",
            "The new bridge will cost 42 million pounds, paid by the council and a government grant.",
            "Work starts in June and should take three years, said Mara Olsen, who has been the council's head of roads for 12 years.",
            "Ferries will carry foot passengers across the harbour until the bridge reopens.",
        ],
    );
    let library = report(
        "library-hours",
        "Kelmouth library opens on Sundays",
        &[
            "The town library will open at nine every morning, Sundays included, from next month.",
            "Volunteers from the Friends of the Library will staff the desk on Sundays.",
        ],
    );
    let entries = vec![
        fact(
            "bridge-cost",
            BRIDGE,
            "Cost",
            "How much will the new bridge cost?",
            &[
                "what is the price of the bridge",
                "how expensive is the harbour bridge",
            ],
            "42 million pounds, paid by the council and a government grant.",
            (2, "The new bridge will cost 42 million pounds"),
        ),
        fact(
            "works-duration",
            BRIDGE,
            "Works",
            "How long will the works take?",
            &[
                "when will the bridge be finished",
                "how many years will rebuilding take",
            ],
            "About three years, from June.",
            (3, "Work starts in June and should take three years"),
        ),
        fact(
            "who-olsen",
            BRIDGE,
            "People",
            "Who is Mara Olsen?",
            &["who is olsen", "who runs the roads at the council"],
            "The council's head of roads, for 12 years.",
            (
                3,
                "Mara Olsen, who has been the council's head of roads for 12 years",
            ),
        ),
        fact(
            "ferries",
            BRIDGE,
            "Ferries",
            "How can people cross the harbour while the bridge is closed?",
            &[
                "is there a ferry",
                "how do pedestrians get across the harbour",
            ],
            "Ferries carry foot passengers across the harbour until the bridge reopens.",
            (4, "Ferries will carry foot passengers across the harbour"),
        ),
        Entry {
            id: "ferry-fares".into(),
            report: BRIDGE,
            topic: "Ferries".into(),
            question: "How much do the ferry tickets cost?".into(),
            variants: vec![
                "what is the ferry fare".into(),
                "are the ferries free".into(),
            ],
            keywords: Vec::new(),
            body: Body::Gap {
                note: "The report does not say what the ferries charge.".into(),
            },
            related: Vec::new(),
        },
        fact(
            "opening-hours",
            LIBRARY,
            "Opening hours",
            "When does the library open?",
            &[
                "what time does the library open",
                "is the library open on sundays",
            ],
            "At nine every morning, Sundays included.",
            (
                1,
                "The town library will open at nine every morning, Sundays included",
            ),
        ),
        // A second entry, so that the library report's words are not all found in
        // exactly the same entries (which `resolve` would read as one name).
        fact(
            "sunday-staff",
            LIBRARY,
            "Staff",
            "Who will staff the library on Sundays?",
            &[
                "who works at the library on a sunday",
                "are there librarians on sundays",
            ],
            "Volunteers from the Friends of the Library.",
            (
                2,
                "Volunteers from the Friends of the Library will staff the desk on Sundays",
            ),
        ),
    ];
    KnowledgeBase {
        reports: vec![bridge, library],
        entries,
        vocabulary: vocabulary(),
        origin: "matcher unit tests".into(),
    }
}

fn matcher() -> Matcher {
    Matcher::new(&knowledge_base())
}

fn answered(entry: usize) -> Outcome {
    Outcome::Answered { entry }
}

/// Declined with the ferry fares gap's note, nothing else offered.
fn declined_with_fares_gap() -> Outcome {
    Outcome::Declined {
        gap: Some(FERRY_FARES_GAP),
        chitchat: false,
        nearest: Vec::new(),
    }
}

/// Declined with nothing to offer: no gap, not small talk, no nearest entries.
fn declined_bare() -> Outcome {
    Outcome::Declined {
        gap: None,
        chitchat: false,
        nearest: Vec::new(),
    }
}

#[test]
fn a_paraphrase_is_answered_by_the_entry_it_paraphrases() {
    let m = matcher();
    for (question, entry) in [
        ("what's the price tag on the new bridge", COST),
        ("how do pedestrians cross the harbour", FERRIES),
        (
            "what time does the library open in the morning",
            OPENING_HOURS,
        ),
    ] {
        let asked = m.ask(question, None);
        assert_eq!(asked.outcome, answered(entry), "{question:?}");
        assert_eq!(asked.candidate, Some(entry), "{question:?}");
        // Scored, not recognised: no phrasing is written this way.
        assert!(
            asked.probability < 1.0,
            "{question:?}: {}",
            asked.probability
        );
        assert_eq!(m.own_phrasing(question), None, "{question:?}");
    }
}

#[test]
fn a_phrasing_asked_word_for_word_is_answered_with_certainty() {
    let m = matcher();
    // Case, punctuation and spacing are not part of the words.
    for (question, entry) in [
        ("how expensive is the harbour bridge", COST),
        ("HOW EXPENSIVE is the   harbour bridge??", COST),
        ("what is the price of the bridge", COST),
        ("Who is Mara Olsen?", OLSEN),
    ] {
        let asked = m.ask(question, None);
        assert_eq!(asked.outcome, answered(entry), "{question:?}");
        assert_eq!(asked.probability, 1.0, "{question:?}");
    }

    // Asked as if that phrasing were not written down (what `eval --leave-one-out`
    // does), the same words are only scored, and here they fall short of an answer.
    let question = "what is the price of the bridge";
    let own = m.own_phrasing(question);
    assert_eq!(
        own,
        Some(LeftOut {
            entry: COST,
            phrasing: 1
        })
    );
    assert_eq!(m.phrasing_count(COST), 3);
    let unseen = m.ask_leaving_out(question, None, &Config::DEFAULT, own);
    assert_eq!(
        unseen.outcome,
        Outcome::Suggested {
            entries: vec![COST]
        }
    );
    assert!(unseen.probability < 1.0, "{}", unseen.probability);
}

#[test]
fn a_capitalised_name_the_report_never_mentions_is_suggested_not_answered() {
    let m = matcher();
    let plain = m.ask("how much did the bridge cost", None);
    assert_eq!(plain.outcome, answered(COST));
    assert_eq!(plain.features.stranger, 0.0);

    // "Dunmore" is nowhere in the report: perhaps another town's bridge, so the cost
    // is offered, not asserted.
    let named = m.ask("how much did the Dunmore bridge cost", None);
    assert_eq!(
        named.outcome,
        Outcome::Suggested {
            entries: vec![COST]
        }
    );
    assert_eq!(named.candidate, Some(COST));
    assert_eq!(named.features.stranger, 1.0);

    // A name is known by its capital (or as a number or a place): typed lower-case,
    // the same word is an ordinary word the report doesn't use, which dilutes the
    // match: the same entry, with a lower chance.
    let lower = m.ask("how much did the dunmore bridge cost", None);
    assert_eq!(lower.features.stranger, 0.0);
    assert_eq!(lower.candidate, Some(COST));
    assert!(lower.probability < plain.probability);
}

#[test]
fn small_talk_is_declined_as_chitchat() {
    let m = matcher();
    for question in ["thanks!", "thanks, that's helpful", "hello there"] {
        assert_eq!(
            m.ask(question, None).outcome,
            Outcome::Declined {
                gap: None,
                chitchat: true,
                nearest: Vec::new(),
            },
            "{question:?}"
        );
    }
    // Small talk around a question does not make it small talk.
    assert_eq!(
        m.ask("thanks, how much will the bridge cost?", None)
            .outcome,
        answered(COST)
    );
    // Nor does a small-talk word inside one ("cool" in "cool off"), while a question
    // that is small talk stays so.
    for question in ["where can i go to cool off", "when will it be nice"] {
        let asked = m.ask(question, None);
        assert!(
            !matches!(asked.outcome, Outcome::Declined { chitchat: true, .. }),
            "{question:?}: {:?}",
            asked.outcome
        );
    }
    assert!(matches!(
        m.ask("how are you", None).outcome,
        Outcome::Declined { chitchat: true, .. }
    ));
}

#[test]
fn a_question_that_fits_a_gap_best_is_declined_with_that_gap() {
    let m = matcher();
    let asked = m.ask("how much are the ferry tickets?", None);
    // The ferries entry states no amount, so for a "how much" question it ranks too low
    // to be offered beside the gap.
    assert_eq!(asked.outcome, declined_with_fares_gap());
    assert_eq!(asked.ranked[0].entry, FERRY_FARES_GAP);
    // The candidate, what an answer would give, is never a gap.
    assert_eq!(asked.candidate, Some(FERRIES));
}

#[test]
fn restricting_to_a_report_scores_only_its_entries() {
    let m = matcher();
    let question = "what time does the library open in the morning";
    assert_eq!(m.ask(question, None).outcome, answered(OPENING_HOURS));
    assert_eq!(
        m.ask(question, Some(LIBRARY)).outcome,
        answered(OPENING_HOURS)
    );
    let elsewhere = m.ask(question, Some(BRIDGE));
    assert_eq!(elsewhere.outcome, declined_bare());
    assert!(elsewhere.ranked.is_empty(), "{:?}", elsewhere.ranked);
    assert_eq!(elsewhere.candidate, None);

    // Nor does a phrasing asked word for word reach across reports.
    let verbatim = "when does the library open";
    assert_eq!(m.ask(verbatim, None).probability, 1.0);
    assert_eq!(m.ask(verbatim, Some(BRIDGE)).outcome, declined_bare());
}

#[test]
fn empty_blank_and_oversized_questions_are_declined_without_panicking() {
    let m = matcher();
    // 10,001 bytes whose byte MAX_QUESTION_BYTES falls inside a two-byte character.
    let multibyte = format!("a{}", "ü".repeat(5_000));
    assert!(!multibyte.is_char_boundary(MAX_QUESTION_BYTES));
    let clipped = super::clip(&multibyte);
    assert_eq!(clipped.len(), MAX_QUESTION_BYTES - 1);
    assert!(multibyte.starts_with(clipped));
    let unknown_words = "zzkx ".repeat(2_100);

    for question in ["", "   \n\t ", "?!", &multibyte, &unknown_words] {
        let asked = m.ask(question, None);
        let shown: String = question.chars().take(20).collect();
        assert_eq!(asked.outcome, declined_bare(), "{shown:?}");
        assert_eq!(asked.candidate, None, "{shown:?}");
        assert_eq!(asked.probability, 0.0, "{shown:?}");
        assert_eq!(asked.settles, None, "{shown:?}");
        assert_eq!(m.own_phrasing(question), None, "{shown:?}");
        let _ = m.terms(question);
        let _ = m.completions(question, 5);
    }

    // Only the start of a huge paste is read: a question there is still answered.
    let repeated = "How much will the new bridge cost? ".repeat(300);
    assert!(repeated.len() > 10_000);
    assert_eq!(m.ask(&repeated, None).outcome, answered(COST));
}

#[test]
fn how_many_is_not_answered_by_an_entry_that_states_no_amount() {
    let m = matcher();
    // The ferries entry says how people cross, not how many do.
    let how = m.ask("how do pedestrians cross the harbour", None);
    assert_eq!(how.outcome, answered(FERRIES));
    let how_many = m.ask("how many pedestrians cross the harbour", None);
    assert_eq!(how_many.candidate, Some(FERRIES));
    assert_eq!(how_many.features.type_missing, 1.0);
    assert_eq!(
        how_many.outcome,
        Outcome::Suggested {
            entries: vec![FERRIES, COST]
        }
    );

    // "how many years" asks for a duration, which "about three years" states.
    assert_eq!(
        m.ask("how many years will the bridge works last", None)
            .outcome,
        answered(DURATION)
    );
}

#[test]
fn a_yes_no_question_is_settled_only_by_what_the_answer_states() {
    let m = matcher();
    for (question, settles) in [
        // Everything it claims is in the answer and quote: "Yes."
        ("will the works take three years?", Some(true)),
        // Numbers in one form: 3 is three.
        ("will the works take 3 years?", Some(true)),
        // A number the report knows (Olsen's 12 years) against the answer's three: "No."
        ("will the works take 12 years?", Some(false)),
        // A choice asks for more than yes or no: the answer speaks for itself.
        ("will the works take three years or more?", None),
    ] {
        let asked = m.ask(question, None);
        assert_eq!(asked.outcome, answered(DURATION), "{question:?}");
        assert_eq!(asked.settles, settles, "{question:?}");
    }
}

#[test]
fn an_answer_that_says_not_never_gets_a_yes() {
    let mut kb = knowledge_base();
    let Body::Fact { answer, .. } = &mut kb.entries[FERRIES].body else {
        panic!("ferries is a fact");
    };
    *answer = "Foot passengers will not be carried by the ferries until the bridge reopens.".into();
    let m = Matcher::new(&kb);
    let asked = m.ask(
        "will ferries carry foot passengers across the harbour?",
        None,
    );
    assert_eq!(asked.outcome, answered(FERRIES));
    assert_eq!(asked.settles, None);
    // The same question against the answer as written: "Yes."
    let asked = matcher().ask(
        "will ferries carry foot passengers across the harbour?",
        None,
    );
    assert_eq!(asked.outcome, answered(FERRIES));
    assert_eq!(asked.settles, Some(true));
}

#[test]
fn a_when_question_is_not_answered_by_an_entry_that_states_no_date() {
    let m = matcher();
    // Olsen's entry says how long she has run the roads, never when anything happened.
    let asked = m.ask("when did mara olsen start running the roads?", None);
    assert_eq!(asked.candidate, Some(OLSEN));
    assert_eq!(asked.features.type_missing, 1.0);
    assert!(
        !matches!(asked.outcome, Outcome::Answered { .. }),
        "{:?}",
        asked.outcome
    );
    // The works entry states a month, so it answers when the works start.
    assert_eq!(
        m.ask("when will the bridge be finished", None).outcome,
        answered(DURATION)
    );
}

#[test]
fn a_figure_the_question_gives_does_not_answer_how_much() {
    let m = matcher();
    // The cost entry's one figure is the 42 million the question already gives: it
    // cannot say how much of it the grant pays.
    let asked = m.ask(
        "how much of the 42 million pounds does the grant pay?",
        None,
    );
    assert_eq!(asked.candidate, Some(COST));
    assert_eq!(asked.features.type_missing, 1.0);
    assert!(
        !matches!(asked.outcome, Outcome::Answered { .. }),
        "{:?}",
        asked.outcome
    );
    // Without the figure in the question, the same entry states the amount asked.
    let asked = m.ask("how much will the new bridge cost?", None);
    assert_eq!(asked.features.type_missing, 0.0);
    assert_eq!(asked.outcome, answered(COST));
}

#[test]
fn years_state_dates_percentages_state_rates_and_where_asks_only_first() {
    let a = super::Analyzer::new(&vocabulary());
    let asks = |q: &str| a.asked_types(&super::tokenize(q));
    let date = asks("when was it built");
    let rate = asks("what percentage voted");
    assert_ne!(date, 0);
    assert_ne!(rate, 0);
    assert_ne!(a.stated_types("It opened in 2019.") & date, 0);
    assert_eq!(a.stated_types("It cost $2019.") & date, 0);
    assert_eq!(a.stated_types("It cost 2,019 pounds.") & date, 0);
    assert_ne!(a.stated_types("Turnout was 6.5%.") & rate, 0);
    assert_ne!(a.stated_types("Turnout was 41 percent.") & rate, 0);
    assert_eq!(a.stated_types("About 41 people voted.") & rate, 0);
    // "where" asks for a place when it opens a question, not inside one.
    let place = asks("where is the new bridge");
    assert_ne!(place, 0);
    assert_eq!(asks("so where is it") & place, place);
    assert_eq!(
        asks("how much do people pay in the town where he lives") & place,
        0
    );
}

#[test]
fn a_figure_the_entry_never_states_is_asked_about_another_fact() {
    let m = matcher();
    // 12 is in the report (Olsen's years in the job) but not in the cost entry.
    let asked = m.ask("how much will the bridge cost after 12 years?", None);
    assert_eq!(asked.candidate, Some(COST));
    assert_eq!(asked.features.misses_name, 1.0);
    assert!(
        !matches!(asked.outcome, Outcome::Answered { .. }),
        "{:?}",
        asked.outcome
    );
    // A claim being checked is still settled: the answer states another figure.
    let claim = m.ask("will the works take 12 years?", None);
    assert_eq!(claim.outcome, answered(DURATION));
    assert_eq!(claim.settles, Some(false));
}

#[test]
fn a_reports_own_synonyms_index_its_entries_under_every_word_of_the_group() {
    let question = "how much will the new span cost";
    let plain = Matcher::new(&knowledge_base()).ask(question, None);
    let mut kb = knowledge_base();
    kb.reports[BRIDGE].synonyms = vec![crate::knowledge::SynonymGroup {
        canonical: "bridge_any".into(),
        terms: vec!["bridge".into(), "span".into()],
    }];
    let with_group = Matcher::new(&kb).ask(question, None);
    assert_eq!(plain.ranked[0].entry, COST);
    assert_eq!(with_group.ranked[0].entry, COST);
    assert!(
        with_group.ranked[0].score > plain.ranked[0].score,
        "{} against {}",
        with_group.ranked[0].score,
        plain.ranked[0].score
    );
    // The other report does not learn the word.
    let library = Matcher::new(&kb).ask("is the span open on sundays", Some(LIBRARY));
    let plain_library =
        Matcher::new(&knowledge_base()).ask("is the span open on sundays", Some(LIBRARY));
    assert_eq!(library.ranked[0].score, plain_library.ranked[0].score);
}

#[test]
fn each_outcome_names_the_rule_that_decided_it() {
    let m = matcher();
    let asked = m.ask("how much did the bridge cost", None);
    assert_eq!((asked.rule, asked.doubt), (Rule::Chance, None));
    assert_eq!(
        m.ask("how expensive is the harbour bridge", None).rule,
        Rule::OwnPhrasing
    );
    assert_eq!(m.ask("thanks!", None).rule, Rule::SmallTalk);
    assert_eq!(m.ask("zzzz qqqq", None).rule, Rule::NothingShared);

    // A name the report never mentions holds the candidate back, and says which.
    let named = m.ask("how much did the Dunmore bridge cost", None);
    assert_eq!(named.rule, Rule::Unsure);
    assert_eq!(
        named.doubt,
        Some(Doubt::UnknownWord {
            word: "dunmore".into()
        })
    );
}

#[test]
fn a_gaps_own_phrasing_declines_with_that_gap() {
    let m = matcher();
    // Written down as the gap's phrasing, so the gap declines, whatever else scores.
    let asked = m.ask("are the ferries free", None);
    assert_eq!(asked.rule, Rule::GapPhrasing);
    assert!(
        matches!(
            asked.outcome,
            Outcome::Declined {
                gap: Some(FERRY_FARES_GAP),
                ..
            }
        ),
        "{:?}",
        asked.outcome
    );
    // Left out, the same words are only scored like any question.
    let left_out = LeftOut {
        entry: FERRY_FARES_GAP,
        phrasing: 2,
    };
    let unseen = m.ask_leaving_out(
        "are the ferries free",
        None,
        &Config::DEFAULT,
        Some(left_out),
    );
    assert_ne!(unseen.rule, Rule::GapPhrasing);
}

#[test]
fn a_kind_of_fact_the_entry_does_not_state_is_named() {
    let m = matcher();
    // Mara Olsen's entry names her role; it states no date.
    let asked = m.ask("when did Mara Olsen start", None);
    assert!(
        !matches!(asked.outcome, Outcome::Answered { .. }),
        "{:?}",
        asked.outcome
    );
    assert_eq!(
        asked.doubt,
        Some(Doubt::KindMissing {
            kinds: vec!["date".into()]
        })
    );
}

#[test]
fn a_pull_names_the_words_and_the_kind_of_fact_that_took_a_question_elsewhere() {
    let m = matcher();
    // "price" is the cost entry's word, "harbour" both entries'; "ferries" the ferry entry's.
    let pull = m.pull(
        "price of the ferries across the harbour",
        Some(FERRIES),
        COST,
        None,
    );
    assert_eq!(pull.words, vec!["price"]);
    assert_eq!(pull.own, vec!["ferries"]);
    assert!(pull.unstated.is_empty());
    // A "when" question asks for a date that the works entry states and Olsen's does not.
    let pull = m.pull(
        "when did mara olsen start the works",
        Some(OLSEN),
        DURATION,
        None,
    );
    assert_eq!(pull.unstated, vec!["date"]);
    assert!(pull.own.contains(&"olsen".to_string()), "{pull:?}");
    // Left out, a word only that phrasing gave its entry is the entry's no more.
    let left = LeftOut {
        entry: FERRIES,
        phrasing: 1,
    };
    assert!(m
        .pull("is there a ferry", Some(FERRIES), COST, None)
        .own
        .contains(&"ferry".to_string()));
    let without = m.pull("is there a ferry", Some(COST), FERRIES, Some(left));
    assert!(without.words.contains(&"ferry".to_string()), "{without:?}");
}

#[test]
fn a_figure_the_entry_contradicts_is_answered_no_and_one_it_does_not_is_not() {
    let m = matcher();
    // 50 million is nowhere in the report, which would hold any entry back; the cost
    // entry states every other word with its own figure: "No".
    let asked = m.ask("will the new bridge cost 50 million pounds?", None);
    assert_eq!(asked.outcome, answered(COST));
    assert_eq!(asked.settles, Some(false));
    assert_eq!(asked.rule, Rule::Contradicted);
    // Negated, the claim is not checked: no "No" to "won't it cost…".
    let negated = m.ask("won't the new bridge cost 50 million pounds?", None);
    assert_ne!(negated.rule, Rule::Contradicted);
    // A word the entry does not state ("ferry") means another claim: not contradicted.
    let other = m.ask("will the new ferry cost 50 million pounds?", None);
    assert_ne!(other.rule, Rule::Contradicted);
    // A year is not a figure to contradict: the report may say nothing of 2031.
    let year = m.ask("will the new bridge cost 42 million pounds in 2031?", None);
    assert_ne!(year.rule, Rule::Contradicted);
    // A figure of another kind (a rate against a sum) is another claim: "50%" is not
    // contradicted by 42 million pounds.
    let rate = m.ask("will the new bridge cost 50%?", None);
    assert_ne!(rate.rule, Rule::Contradicted);
    assert_eq!(rate.settles, None);
}

#[test]
fn a_keyword_is_one_more_phrasing_of_its_entry() {
    let plain = knowledge_base();
    let mut with_keyword = plain.clone();
    with_keyword.entries[COST].keywords = vec!["grant".into()];
    let (before, after) = (Matcher::new(&plain), Matcher::new(&with_keyword));
    assert_eq!(after.phrasing_count(COST), before.phrasing_count(COST) + 1);

    // Asked word for word, it is the entry's own phrasing, like a variant.
    assert_eq!(before.own_phrasing("grant"), None);
    let own = after
        .own_phrasing("grant")
        .expect("the keyword is a phrasing");
    assert_eq!((own.entry, own.phrasing), (COST, 3));
    assert_eq!(after.ask("grant", None).outcome, answered(COST));

    // A question that merely contains the word repeats that whole phrasing, so the
    // entry ranks higher for it: a one-word keyword pulls every question with its word.
    let question = "is there a grant for the ferries";
    let score = |m: &Matcher| {
        let asked = m.ask(question, Some(BRIDGE));
        asked
            .ranked
            .iter()
            .find(|r| r.entry == COST)
            .map_or(0.0, |r| r.score)
    };
    assert!(
        score(&after) > score(&before) + 0.05,
        "{} vs {}",
        score(&after),
        score(&before)
    );
}

#[test]
fn an_entry_whose_answer_says_the_report_does_not_say_declines_like_a_gap() {
    let mut kb = knowledge_base();
    kb.entries.push(fact(
        "grant-size",
        BRIDGE,
        "Cost",
        "How big is the government grant?",
        &["how much does the government give"],
        "Unclear. The council did not say how much of the cost the grant covers.",
        (2, "paid by the council and a government grant"),
    ));
    let grant = kb.entries.len() - 1;
    let m = Matcher::new(&kb);
    let asked = m.ask("how big is the government grant", None);
    assert!(
        matches!(asked.outcome, Outcome::Declined { gap: Some(g), .. } if g == grant),
        "{:?}",
        asked.outcome
    );
    assert_ne!(asked.candidate, Some(grant), "never the answer");
    assert_eq!(
        kb.entries[grant].not_said_note(),
        Some("Unclear. The council did not say how much of the cost the grant covers.")
    );
    // An answer that only mentions the word later is a fact like any other.
    assert_eq!(
        crate::knowledge::after_not_said("Unclearly worded, the plan passed."),
        None
    );
    assert_eq!(
        crate::knowledge::after_not_said("The report doesn\u{2019}t say: no figure is given.")
            .as_deref(),
        Some("no figure is given.")
    );
}

#[test]
fn a_gap_ranked_first_below_its_threshold_explains_the_decline_when_it_shares_two_words() {
    let m = matcher();
    let config = Config::DEFAULT;
    // "ferry" and "tickets": below the gap threshold, yet two words the gap's phrasings
    // have; the reader is told what the report leaves out.
    let asked = m.ask("ferry tickets for kids", None);
    assert!(asked.ranked[0].score < config.gap_threshold);
    assert_eq!(asked.ranked[0].entry, FERRY_FARES_GAP);
    assert_eq!(asked.outcome, declined_with_fares_gap());
    assert_eq!(asked.rule, Rule::GapFirst);
    // "concert tickets" shares one word with it, and a score as high: no note.
    let asked = m.ask("concert tickets", None);
    assert!(asked.ranked[0].score >= config.gap_shared_threshold);
    assert_eq!(asked.ranked[0].entry, FERRY_FARES_GAP);
    assert_eq!(asked.outcome, declined_bare());
}

#[test]
fn what_someone_said_asks_for_an_opinion() {
    let m = matcher();
    let a = m.analyzer();
    let asks = |q: &str| a.type_names(a.asked_types(&super::normalize::tokenize(q)));
    assert_eq!(asks("what did the nurses union say"), ["opinion"]);
    assert_eq!(asks("what does olsen think of the plan"), ["opinion"]);
    // "say" far from "what did" is not the cue; what is asked stays what it was.
    assert_eq!(asks("what did the bridge cost"), Vec::<&str>::new());
    assert_eq!(asks("how much did the council say"), ["amount"]);
}

#[test]
fn a_claim_of_one_word_and_a_figure_the_report_knows_elsewhere_is_contradicted() {
    let m = matcher();
    // "12" is a figure of the report (Olsen's years), so nothing is a stranger; "cost" is
    // the only other word, too little to answer on, yet it is all the claim says.
    let asked = m.ask("is the cost 12", None);
    assert_eq!(asked.doubt, Some(Doubt::OneWord));
    assert_eq!(asked.outcome, answered(COST));
    assert_eq!(asked.rule, Rule::Contradicted);
}
