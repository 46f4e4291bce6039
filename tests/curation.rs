//! Curation from chat, in the core: phrasings and drafted entries are validated like the
//! files, written to the report's additions file atomically, and served after a reload.

mod util;

use factdesk::desk::Desk;
use factdesk::knowledge::additions::{apply, Addition, CurationError, Draft, ADDITIONS_FILE};
use factdesk::knowledge::KnowledgeBase;
use factdesk::reply::Status;
use util::knowledge_copy;

const REPORT: &str = "deport-one-million";
/// Not answered by the knowledge base as shipped (asserted below).
const NEW_WORDING: &str = "so what's the magic number";

fn additions(dir: &std::path::Path) -> std::path::PathBuf {
    dir.join(REPORT).join(ADDITIONS_FILE)
}

fn answered_entry(kb: KnowledgeBase, question: &str) -> Option<String> {
    let reply = Desk::new(kb).ask(question, None).unwrap();
    (reply.status == Status::Answered).then(|| reply.entry.unwrap())
}

fn good_draft() -> Draft {
    util::speed_up_draft()
}

#[test]
fn an_added_phrasing_makes_the_same_question_answered_from_the_folder() {
    let dir = knowledge_copy();
    let before = KnowledgeBase::load_dir(dir.path()).unwrap();
    assert_eq!(answered_entry(before, NEW_WORDING), None, "precondition");

    let applied = apply(
        dir.path(),
        &Addition::Variant {
            entry: "goal-one-million".into(),
            question: format!("  {NEW_WORDING}\n"),
        },
        "from a cluster asked 3 times",
    )
    .expect("a phrasing for a known entry is accepted");
    assert_eq!(applied.entry, "goal-one-million");
    // The returned knowledge base serves it at once ...
    assert_eq!(
        answered_entry(applied.knowledge, NEW_WORDING).as_deref(),
        Some("goal-one-million")
    );
    // ... and so does the folder, read afresh.
    let text = std::fs::read_to_string(additions(dir.path())).unwrap();
    assert!(text.contains("[[variant]]"), "{text}");
    assert!(text.contains("# from a cluster asked 3 times"), "{text}");
    let reloaded = KnowledgeBase::load_dir(dir.path()).unwrap();
    assert_eq!(
        answered_entry(reloaded, NEW_WORDING).as_deref(),
        Some("goal-one-million")
    );
    // No temporary file is left behind.
    let leftovers: Vec<_> = std::fs::read_dir(dir.path().join(REPORT))
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty());
}

#[test]
fn a_draft_whose_quote_is_not_in_the_paragraph_is_refused_with_the_reason() {
    let dir = knowledge_copy();
    let mut draft = good_draft();
    draft.quote = "deportations can be sped up at will".into();
    let err = apply(dir.path(), &Addition::Entry(draft), "draft").unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, CurationError::Invalid { .. }), "{text}");
    assert!(
        text.contains("not found verbatim in paragraph 15"),
        "{text}"
    );
    assert!(text.contains(ADDITIONS_FILE), "names the file: {text}");
    assert!(!additions(dir.path()).exists(), "nothing written");
    KnowledgeBase::load_dir(dir.path()).expect("the folder is untouched");
}

#[test]
fn a_valid_draft_becomes_an_entry_with_a_topic_and_related_entries() {
    let dir = knowledge_copy();
    let draft = good_draft();
    let applied = apply(dir.path(), &Addition::Entry(draft.clone()), "draft").unwrap();
    assert!(
        applied
            .entry
            .starts_with("added-can-the-government-speed-deportations"),
        "{}",
        applied.entry
    );
    let kb = KnowledgeBase::load_dir(dir.path()).unwrap();
    let i = kb
        .entry_index(&applied.entry)
        .expect("the new entry is in the folder");
    let e = &kb.entries[i];
    assert_eq!(e.source().unwrap().paragraph, 15);
    assert_eq!(e.variants.len(), 3);
    assert!(!e.topic.is_empty());
    // Its own question is answered with it.
    assert_eq!(
        answered_entry(kb, &draft.question).as_deref(),
        Some(applied.entry.as_str())
    );
    // The same draft again gets a fresh id, and is refused only for repeating questions.
    let err = apply(dir.path(), &Addition::Entry(draft), "again").unwrap_err();
    assert!(err.to_string().contains("is also in entry"), "{err}");
}

#[test]
fn drafts_are_checked_like_files() {
    let dir = knowledge_copy();
    let mut draft = good_draft();
    draft.paragraph = "five".into();
    let err = apply(dir.path(), &Addition::Entry(draft), "").unwrap_err();
    assert!(
        err.to_string().contains("must be a number from 1 to"),
        "{err}"
    );

    let mut draft = good_draft();
    draft.variants.truncate(1);
    draft.quote = "x".repeat(10);
    draft.answer = "a".repeat(400);
    let err = apply(dir.path(), &Addition::Entry(draft), "").unwrap_err();
    let text = err.to_string();
    assert!(text.contains("at least 3 alternate phrasings"), "{text}");
    assert!(text.contains("the limit is 300"), "{text}");
    assert!(text.contains("not found verbatim"), "{text}");
    assert!(!additions(dir.path()).exists());

    let err = apply(
        dir.path(),
        &Addition::Variant {
            entry: "no-such-entry".into(),
            question: "hello there".into(),
        },
        "",
    )
    .unwrap_err();
    assert!(matches!(err, CurationError::UnknownEntry(_)), "{err}");
}

#[test]
fn a_broken_folder_is_not_written_to() {
    let dir = knowledge_copy();
    let entries = dir.path().join(REPORT).join("entries.toml");
    std::fs::write(&entries, "[[entry]\nbroken").unwrap();
    let err = apply(
        dir.path(),
        &Addition::Variant {
            entry: "goal-one-million".into(),
            question: NEW_WORDING.into(),
        },
        "",
    )
    .unwrap_err();
    assert!(matches!(err, CurationError::Broken(_)), "{err}");
    assert!(err.to_string().contains("entries.toml"), "{err}");
    assert!(!additions(dir.path()).exists());
}

#[test]
fn a_variant_for_an_unknown_entry_in_a_file_names_file_line_and_entry() {
    let dir = knowledge_copy();
    std::fs::write(
        additions(dir.path()),
        "# by hand\n\n[[variant]]\nentry = \"nope\"\nquestion = \"what now\"\n",
    )
    .unwrap();
    let err = KnowledgeBase::load_dir(dir.path()).unwrap_err().to_string();
    assert!(err.contains("additions.toml:3 [nope]"), "{err}");
}

#[test]
fn concurrent_moderators_lose_nothing() {
    let dir = knowledge_copy();
    let wordings: Vec<String> = (0..8)
        .map(|i| format!("moderator wording number {i} about the yearly target"))
        .collect();
    std::thread::scope(|s| {
        for w in &wordings {
            let root = dir.path();
            s.spawn(move || {
                apply(
                    root,
                    &Addition::Variant {
                        entry: "goal-one-million".into(),
                        question: w.clone(),
                    },
                    "",
                )
                .expect("accepted")
            });
        }
    });
    let kb = KnowledgeBase::load_dir(dir.path()).unwrap();
    let e = &kb.entries[kb.entry_index("goal-one-million").unwrap()];
    for w in &wordings {
        assert!(e.variants.contains(w), "lost: {w}");
    }
}
