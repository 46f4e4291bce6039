//! Behaviour of the matcher on the bundled knowledge base: how people really type,
//! and what must never be answered.

use factdesk::desk::Desk;
use factdesk::eval::QuestionSet;
use factdesk::knowledge::KnowledgeBase;
use factdesk::matcher::{Config, Outcome};
use factdesk::reply::{Decline, Status};
use proptest::prelude::*;

fn desk() -> Desk {
    Desk::new(KnowledgeBase::bundled().expect("bundled knowledge"))
}

/// (question, entry that must answer it). Phrasings written for this test, not taken
/// from the knowledge base or the question sets.
const ANSWERED: &[(&str, &str)] = &[
    (
        "HOW MANY MIGRANTS DO THEY WANT TO DEPORT IN YEAR ONE",
        "goal-one-million",
    ),
    (
        "ｈｏｗ ｍａｎｙ ｍｉｇｒａｎｔｓ ａｒｅ ｉｎ ｔｈｅ ＵＳ",
        "eleven-million",
    ),
    ("who’s doris meisner", "meissner-not-a-switch"),
    (
        "did they send ppl to guantanemo",
        "sent-el-salvador-guantanamo",
    ),
    ("obamas deprotation record", "record-obama"),
    ("Stephen Miller role", "miller-works-with-dhs"),
    // A phrase passes over filler ("kick them all out"); "year one" is the first year.
    (
        "they say hes gonna kick them all out, how many in year one",
        "goal-one-million",
    ),
    // The story around a question counts less than the question itself.
    (
        "My brother keeps telling me this is all made up. I read it on reddit yesterday. \
         Who are the sources for the one million figure?",
        "officials-four",
    ),
    (
        "can they deport ppl without a hearing first",
        "legal-court-right",
    ),
    // "how many yrs" asks for a duration, not an amount.
    ("how long in yrs can a court case take", "court-takes-years"),
    (
        "did the white house refuse to comment on the goal",
        "desai-declined",
    ),
    // A gap asking "how much" does not outrank the fact for a question that doesn't.
    (
        "is the admin trying to get more cash from congress",
        "congress-funding",
    ),
];

/// (question, entry that must be the first choice: answered or first "did you mean").
/// Name questions about the spokesman score below the answer bar today (see the
/// quality log), but must still point at him first.
const FIRST_CHOICE: &[(&str, &str)] = &[("what does kush desai do", "desai-declined")];

#[test]
fn a_weak_match_still_points_at_the_right_entry_first() {
    let desk = desk();
    for (question, entry) in FIRST_CHOICE {
        let reply = desk.ask(question, None).unwrap();
        let first = reply
            .entry
            .as_deref()
            .filter(|_| reply.status == Status::Answered)
            .or(reply.suggestions.first().map(|s| s.entry.as_str()));
        assert_eq!(first, Some(*entry), "{question:?}: {reply:?}");
    }
}

#[test]
fn how_people_type_still_finds_the_entry() {
    let desk = desk();
    for (question, entry) in ANSWERED {
        let reply = desk.ask(question, None).unwrap();
        assert_eq!(reply.status, Status::Answered, "{question:?}: {reply:?}");
        assert_eq!(reply.entry.as_deref(), Some(*entry), "{question:?}");
    }
}

/// Questions whose key words the report doesn't know: another country, year, a dollar
/// figure, a court ruling. None may be answered with a nearby fact.
const NEVER_ANSWERED: &[&str] = &[
    "How many people did Germany deport in 2023?",
    "What did the Supreme Court rule on the deportations?",
    "How many dollars has ICE spent on flights?",
    "What is Stephen Miller's salary?",
    "How many migrants were deported in 1998?",
    "What did Kamala Harris say about the goal?",
    // A misspelt ordinal is still a year the report has no target for.
    "whats the target for the secnd year",
    // Deported so far, not the goal.
    "how many people has trump deported so far in his second term",
    "how many migrants died in custody",
    // An unknown name gets no lower bar, and "one of" is not the number one.
    "Is Germany one of the countries in the talks?",
    // A name typed in lower case is still a name the report doesn't know.
    "how many migrants has canada deported",
    "how many deportees went to honduras",
];

#[test]
fn unknown_key_words_are_never_answered() {
    let desk = desk();
    for question in NEVER_ANSWERED {
        let reply = desk.ask(question, None).unwrap();
        assert_ne!(
            reply.status,
            Status::Answered,
            "{question:?} was answered: {:?}",
            reply.answer
        );
        assert!(reply.answer.is_none());
    }
}

#[test]
fn small_talk_gets_the_help_text() {
    let desk = desk();
    for question in ["hi", "thanks!", "help", "who are you?", "hello there"] {
        let reply = desk.ask(question, None).unwrap();
        assert_eq!(reply.status, Status::Declined, "{question}");
        assert_eq!(reply.decline, Some(Decline::SmallTalk), "{question}");
    }
}

#[test]
fn declines_name_topics_the_report_covers() {
    let desk = desk();
    assert_ne!(
        desk.ask("what's the best pizza topping", None)
            .unwrap()
            .status,
        Status::Answered
    );
    let reply = desk
        .ask("recommend a quiet mechanical keyboard", None)
        .unwrap();
    assert_eq!(reply.status, Status::Declined);
    assert_eq!(reply.decline, Some(Decline::NotCovered));
    assert!(!reply.topics.is_empty());
}

#[test]
fn suggestions_are_offered_not_asserted() {
    let desk = desk();
    // A bare keyword shared by several entries is ambiguous.
    let found = desk.matcher().ask("deportation", None);
    match found.outcome {
        Outcome::Suggested { entries } => assert!(!entries.is_empty() && entries.len() <= 3),
        other => panic!("expected suggestions, got {other:?}"),
    }
    let reply = desk.ask("deportation", None).unwrap();
    assert!(reply.answer.is_none());
}

#[test]
fn newsroom_answers_only_above_its_higher_bar() {
    let desk = desk();
    let newsroom = Config::newsroom();
    assert!(newsroom.answer_probability > Config::DEFAULT.answer_probability);
    let set = QuestionSet::load(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("knowledge/deport-one-million/holdout-own.jsonl"),
    )
    .unwrap();
    let (mut normal_only, mut both) = (0, 0);
    for (item, _) in &set.items {
        let normal = desk.ask_timed(&item.q, None, &Config::DEFAULT).unwrap();
        let strict = desk.ask_timed(&item.q, None, &newsroom).unwrap();
        // Same scorer, same confidence: only the bar differs.
        assert_eq!(
            normal.found.probability, strict.found.probability,
            "{}",
            item.q
        );
        match (normal.reply.status, strict.reply.status) {
            (Status::Answered, Status::Answered) => both += 1,
            (Status::Answered, _) => {
                // A message asking several questions may have its parts answered
                // at the default bar only.
                assert!(
                    !normal.reply.also.is_empty()
                        || normal.found.probability < newsroom.answer_probability
                );
                normal_only += 1;
            }
            (_, Status::Answered) => {
                panic!("newsroom answered what the default did not: {}", item.q)
            }
            _ => {}
        }
    }
    assert!(
        both > 0 && normal_only > 0,
        "both {both}, default only {normal_only}"
    );
}

#[test]
fn a_message_asking_two_questions_gets_both_answers_with_their_sources() {
    let desk = desk_once();
    let reply = desk
        .ask(
            "ok two things. who is stephen miller working with every day, \
             and how many migrants are in the US illegally?",
            None,
        )
        .unwrap();
    assert_eq!(reply.status, Status::Answered, "{reply:?}");
    let answers: Vec<&str> = reply.answers().collect();
    assert_eq!(answers.len(), 2, "{answers:?}");
    assert!(answers[0].contains("Homeland Security"), "{answers:?}");
    assert!(answers[1].contains("11 million"), "{answers:?}");
    assert!(reply.also[0].citation.is_some());
    // One question is one answer, however long.
    let one = desk
        .ask(
            "How many migrants does the administration want to deport?",
            None,
        )
        .unwrap();
    assert!(one.also.is_empty());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]
    /// Any text at all: no panic, a confidence in 0..1, and an answer only with a citation.
    #[test]
    fn any_input_gives_a_well_formed_reply(q in "\\PC{0,300}") {
        let desk = desk_once();
        let reply = desk.ask(&q, None).unwrap();
        prop_assert!((0.0..=1.0).contains(&reply.confidence));
        prop_assert_eq!(reply.answer.is_some(), reply.status == Status::Answered);
        prop_assert_eq!(reply.citation.is_some(), reply.status == Status::Answered);
        prop_assert!(reply.suggestions.len() <= 3);
    }
}

fn desk_once() -> &'static Desk {
    static DESK: std::sync::OnceLock<Desk> = std::sync::OnceLock::new();
    DESK.get_or_init(desk)
}
