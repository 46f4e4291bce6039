//! Curation from the shell: `factdesk unanswered --json` lists the clusters, `factdesk curate
//! phrase|dismiss` acts on them through the same core as the Discord buttons (same
//! additions file, same store records), and `factdesk kb merge-additions` moves accepted
//! additions into the report's own files, keeping comments and order, atomically, and
//! only when the knowledge base then answers exactly as before.

mod util;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, SystemTime};

use factdesk::curation::Curator;
use factdesk::desk::Desk;
use factdesk::knowledge::additions::{apply, Addition, Draft, ADDITIONS_FILE};
use factdesk::knowledge::merge::{merge_additions, staging_path, MergeError};
use factdesk::knowledge::KnowledgeBase;
use factdesk::reply::{Decline, Status};
use factdesk::store::{QuestionLog, Store, StoreConfig};
use serde_json::Value;
use util::{code, knowledge_copy, stderr, stdout};

const REPORT: &str = "deport-one-million";
/// Not answered by the shipped knowledge base (asserted below).
const WORDING: &str = "so what's the magic number";
const MARS: &str = "what is the weather on mars tomorrow";

/// The binary, with the knowledge folder and question log given, nothing inherited.
fn run(knowledge: Option<&Path>, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_factdesk"));
    if let Some(k) = knowledge {
        cmd.arg("--knowledge").arg(k);
    }
    let cwd = tempfile::tempdir().unwrap();
    cmd.args(args)
        .env_remove("FACTDESK_KNOWLEDGE")
        .env_remove("FACTDESK_DB")
        .env_remove("FACTDESK_DATABASE_URL")
        .env_remove("FACTDESK_RETENTION_DAYS")
        .env_remove("FACTDESK_HASH_KEY")
        .current_dir(cwd.path())
        .stdin(Stdio::null())
        .output()
        .expect("run factdesk")
}

/// A question log holding unanswered questions: `WORDING` three times, `MARS` once.
fn question_log(dir: &Path) -> PathBuf {
    let path = dir.join("factdesk.db");
    let store = Store::open(StoreConfig::new(&path)).unwrap();
    for (question, user) in [(WORDING, 1), (WORDING, 2), (WORDING, 3), (MARS, 4)] {
        store.log_question(QuestionLog {
            at: SystemTime::now() - Duration::from_secs(60),
            guild: Some(1),
            channel: Some(2),
            user: Some(user),
            question: question.to_string(),
            status: Status::Declined,
            decline: Some(Decline::NotCovered),
            entry: None,
            suggested: Vec::new(),
            report: None,
            confidence: 0.2,
            matching: Duration::from_micros(40),
        });
    }
    store.flush(Duration::from_secs(10)).unwrap();
    path
}

/// `factdesk unanswered --json`: the clusters, as (id, main wording).
fn clusters(knowledge: &Path, db: &Path) -> Vec<(String, String)> {
    let out = run(
        Some(knowledge),
        &["unanswered", "--json", "--db", db.to_str().unwrap()],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let page: Value = serde_json::from_str(&stdout(&out)).expect("one JSON object");
    assert_eq!(
        page["total"].as_u64(),
        Some(page["clusters"].as_array().unwrap().len() as u64)
    );
    page["clusters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["id"].as_str().unwrap().to_string(),
                c["questions"][0].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn cluster_of(list: &[(String, String)], wording: &str) -> String {
    list.iter()
        .find(|(_, q)| q == wording)
        .unwrap_or_else(|| panic!("{wording} listed: {list:?}"))
        .0
        .clone()
}

fn additions(dir: &Path) -> PathBuf {
    dir.join(REPORT).join(ADDITIONS_FILE)
}

/// The additions file without its comments (the notes say when and from where).
fn without_comments(text: &str) -> String {
    text.lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .collect::<Vec<_>>()
        .join("\n")
}

fn answered_entry(kb: KnowledgeBase, question: &str) -> Option<String> {
    let reply = Desk::new(kb).ask(question, None).unwrap();
    (reply.status == Status::Answered).then(|| reply.entry.unwrap())
}

#[test]
fn unanswered_json_lists_clusters_with_ids_and_wordings() {
    let logs = tempfile::tempdir().unwrap();
    let db = question_log(logs.path());
    let dir = knowledge_copy();
    let list = clusters(dir.path(), &db);
    assert_eq!(list.len(), 2, "{list:?}");
    // Biggest first.
    assert_eq!(list[0].1, WORDING);
    assert!(list.iter().all(|(id, _)| id.len() == 12));
}

#[test]
fn curate_phrase_from_the_shell_does_what_the_discord_button_does() {
    // The shell, on one copy of the folder and log ...
    let logs = tempfile::tempdir().unwrap();
    let db = question_log(logs.path());
    let dir = knowledge_copy();
    assert_eq!(
        answered_entry(KnowledgeBase::load_dir(dir.path()).unwrap(), WORDING),
        None,
        "precondition"
    );
    let cluster = cluster_of(&clusters(dir.path(), &db), WORDING);
    let out = run(
        Some(dir.path()),
        &[
            "curate",
            "phrase",
            &cluster,
            "goal-one-million",
            "--db",
            db.to_str().unwrap(),
        ],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stdout(&out).contains("as a phrasing of `goal-one-million`"),
        "{}",
        stdout(&out)
    );
    let shell_text = std::fs::read_to_string(additions(dir.path())).unwrap();
    assert!(
        shell_text.contains("# added from the shell on"),
        "{shell_text}"
    );
    assert!(
        shell_text.contains("asked 3 time(s) by 3 people"),
        "{shell_text}"
    );
    // The cluster is handled: no longer listed; the other one still is.
    let after = clusters(dir.path(), &db);
    assert!(after.iter().all(|(_, q)| q != WORDING), "{after:?}");
    assert!(after.iter().any(|(_, q)| q == MARS), "{after:?}");
    // The folder answers the wording now.
    assert_eq!(
        answered_entry(KnowledgeBase::load_dir(dir.path()).unwrap(), WORDING).as_deref(),
        Some("goal-one-million")
    );

    // ... and the Discord path (the core the button handler calls), on another copy.
    let discord_logs = tempfile::tempdir().unwrap();
    let discord_db = question_log(discord_logs.path());
    let discord_dir = knowledge_copy();
    let store = Store::open(StoreConfig::new(&discord_db)).unwrap();
    let desk = Desk::new(KnowledgeBase::load_dir(discord_dir.path()).unwrap());
    let curator = Curator {
        store: &store,
        knowledge_dir: Some(discord_dir.path()),
        matcher: desk.matcher(),
        via: "Discord",
    };
    let done = curator.add_phrasing(&cluster, "goal-one-million").unwrap();
    assert_eq!(done.applied.entry, "goal-one-million");
    store.flush(Duration::from_secs(10)).unwrap();
    drop(store);
    let discord_text = std::fs::read_to_string(additions(discord_dir.path())).unwrap();
    assert!(
        discord_text.contains("# added from Discord on"),
        "{discord_text}"
    );
    // The same record in the same file, and the same clusters left in the log.
    assert_eq!(
        without_comments(&shell_text),
        without_comments(&discord_text)
    );
    assert_eq!(clusters(discord_dir.path(), &discord_db), after);
}

#[test]
fn curate_refuses_unknown_entries_and_clusters_without_writing() {
    let logs = tempfile::tempdir().unwrap();
    let db = question_log(logs.path());
    let dir = knowledge_copy();
    let db_arg = db.to_str().unwrap();
    let cluster = cluster_of(&clusters(dir.path(), &db), WORDING);

    let out = run(
        Some(dir.path()),
        &[
            "curate",
            "phrase",
            &cluster,
            "no-such-entry",
            "--db",
            db_arg,
        ],
    );
    assert_refused(&out, "unknown entry `no-such-entry`");
    assert!(!additions(dir.path()).exists(), "nothing written");

    let out = run(
        Some(dir.path()),
        &["curate", "dismiss", "000000000000", "--db", db_arg],
    );
    assert_refused(&out, "no unanswered cluster `000000000000`");
    // Both clusters are still listed.
    assert_eq!(clusters(dir.path(), &db).len(), 2);

    // The built-in knowledge base cannot be written to.
    let out = run(
        None,
        &[
            "curate",
            "phrase",
            &cluster,
            "goal-one-million",
            "--db",
            db_arg,
        ],
    );
    assert_refused(&out, "built-in knowledge base");
    assert_eq!(
        clusters(dir.path(), &db).len(),
        2,
        "the cluster is not marked handled"
    );

    // A missing question log is not created.
    let missing = logs.path().join("missing.db");
    let out = run(
        Some(dir.path()),
        &[
            "curate",
            "dismiss",
            &cluster,
            "--db",
            missing.to_str().unwrap(),
        ],
    );
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(stderr(&out).contains("no question log"), "{}", stderr(&out));
    assert!(!missing.exists());
}

#[test]
fn curate_dismiss_hides_the_cluster_for_good() {
    let logs = tempfile::tempdir().unwrap();
    let db = question_log(logs.path());
    let dir = knowledge_copy();
    let db_arg = db.to_str().unwrap();
    let mars = cluster_of(&clusters(dir.path(), &db), MARS);
    let out = run(
        Some(dir.path()),
        &["curate", "dismiss", &mars, "--db", db_arg, "--json"],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let done: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(done["action"], "dismiss");
    assert_eq!(done["question"], MARS);
    let after = clusters(dir.path(), &db);
    assert_eq!(after.len(), 1, "{after:?}");
    assert_eq!(after[0].1, WORDING);
    assert!(
        !additions(dir.path()).exists(),
        "dismissing writes no knowledge"
    );
    // Once dismissed, it is gone: a second dismissal is refused.
    let again = run(
        Some(dir.path()),
        &["curate", "dismiss", &mars, "--db", db_arg],
    );
    assert_eq!(code(&again), 2, "{}", stderr(&again));
}

// ---- merge-additions ----

/// The command failed as bad input (exit 2) and said `why`.
fn assert_refused(out: &std::process::Output, why: &str) {
    assert_eq!(code(out), 2, "{}", stderr(out));
    assert!(stderr(out).contains(why), "{}", stderr(out));
}

fn good_draft() -> Draft {
    util::speed_up_draft()
}

/// A knowledge folder with accepted additions: two phrasings (one for a gap) and a new
/// entry that also gets a phrasing, as curation writes them.
fn folder_with_additions() -> (tempfile::TempDir, String) {
    let dir = knowledge_copy();
    let gap = KnowledgeBase::load_dir(dir.path())
        .unwrap()
        .entries
        .iter()
        .find(|e| e.is_gap())
        .unwrap()
        .id
        .clone();
    let variant = |entry: &str, question: &str| Addition::Variant {
        entry: entry.into(),
        question: question.into(),
    };
    apply(
        dir.path(),
        &variant("goal-one-million", WORDING),
        "from a cluster",
    )
    .unwrap();
    apply(
        dir.path(),
        &variant(&gap, "and what about the weather on mars"),
        "gap",
    )
    .unwrap();
    let new = apply(dir.path(), &Addition::Entry(good_draft()), "a draft").unwrap();
    apply(
        dir.path(),
        &variant(&new.entry, "can removals be sped up on demand"),
        "more",
    )
    .unwrap();
    (dir, new.entry)
}

/// Every phrasing of every entry, the report's question set, and a few odd questions.
fn questions(dir: &Path) -> Vec<String> {
    let kb = KnowledgeBase::load_dir(dir).unwrap();
    let mut qs: Vec<String> = kb
        .entries
        .iter()
        .flat_map(|e| e.phrasings().cloned())
        .collect();
    let set = std::fs::read_to_string(dir.join(REPORT).join("questions.jsonl")).unwrap();
    for line in set.lines().filter(|l| !l.trim().is_empty()) {
        let v: Value = serde_json::from_str(line).unwrap();
        qs.push(v["q"].as_str().unwrap().to_string());
    }
    qs.extend([MARS.to_string(), "hello".into(), "who is desai".into()]);
    qs
}

fn replies(dir: &Path, questions: &[String]) -> Vec<String> {
    let desk = Desk::new(KnowledgeBase::load_dir(dir).unwrap());
    questions
        .iter()
        .map(|q| serde_json::to_string(&desk.ask(q, None).unwrap()).unwrap())
        .collect()
}

fn ids_in(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| l.strip_prefix("id = \""))
        .map(|l| l.trim_end_matches('"').to_string())
        .collect()
}

fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files: Vec<(PathBuf, Vec<u8>)> = std::fs::read_dir(dir.join(REPORT))
        .unwrap()
        .flatten()
        .filter(|e| e.path().is_file())
        .map(|e| (e.path(), std::fs::read(e.path()).unwrap()))
        .collect();
    files.sort();
    files
}

#[test]
fn merge_additions_moves_them_into_the_report_files_keeping_comments_and_order() {
    let (dir, new_entry) = folder_with_additions();
    let entries_path = dir.path().join(REPORT).join("entries.toml");
    let entries_before = std::fs::read_to_string(&entries_path).unwrap();
    let comment = entries_before.lines().next().unwrap().to_string();
    assert!(comment.starts_with('#'), "{comment}");
    let asked = questions(dir.path());
    let before = replies(dir.path(), &asked);

    let out = run(
        Some(dir.path()),
        &["kb", "merge-additions", "--report", REPORT],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stdout(&out).contains("3 phrasing(s) and 1 entry merged"),
        "{}",
        stdout(&out)
    );

    // The additions file holds nothing any more, and the folder validates.
    let left = std::fs::read_to_string(additions(dir.path())).unwrap();
    assert!(!left.contains("[["), "{left}");
    let kb = KnowledgeBase::load_dir(dir.path()).expect("validates after the merge");
    let out = run(Some(dir.path()), &["validate"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));

    // entries.toml keeps its comments and its order; the new entry comes before the old
    // ones, just below the header comment (where the bot already served it from:
    // additions.toml is read just before entries.toml); the phrasing sits in its entry's
    // own list.
    let entries_after = std::fs::read_to_string(&entries_path).unwrap();
    let header = &entries_before[..entries_before.find("[[entry]]").unwrap()];
    assert!(header.contains(&comment));
    assert!(entries_after.starts_with(header), "{entries_after}");
    let (old_ids, new_ids) = (ids_in(&entries_before), ids_in(&entries_after));
    assert_eq!(new_ids[0], new_entry);
    assert_eq!(new_ids[1..], old_ids[..]);
    assert!(
        entries_after.contains("# a draft\n[[entry]]"),
        "its note is kept"
    );
    let goal = &entries_after[entries_after.find("id = \"goal-one-million\"").unwrap()..];
    let goal = &goal[..goal.find("keywords").unwrap()];
    assert!(goal.contains(&format!("\"{WORDING}\"")), "{goal}");
    assert!(entries_after.contains("can removals be sped up on demand"));
    assert!(kb.entry(&new_entry).unwrap().variants.len() == 4);
    // Every line of the old file is still there, in order.
    let mut rest = entries_after.lines();
    for line in entries_before.lines() {
        assert!(rest.any(|l| l == line), "kept: {line}");
    }

    // It answers exactly as before.
    let after = replies(dir.path(), &asked);
    assert_eq!(after.len(), before.len());
    for (b, a) in before.iter().zip(&after) {
        assert_eq!(a, b);
    }

    // Nothing is left to merge, and no temporary file is left behind.
    let again = run(Some(dir.path()), &["kb", "merge-additions"]);
    assert_eq!(code(&again), 0, "{}", stderr(&again));
    assert!(
        stdout(&again).contains("nothing to merge"),
        "{}",
        stdout(&again)
    );
    let hidden: Vec<_> = std::fs::read_dir(dir.path().join(REPORT))
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with('.'))
        .collect();
    assert!(hidden.is_empty(), "{hidden:?}");
}

#[test]
fn a_merge_that_cannot_write_every_file_leaves_every_file_untouched() {
    let (dir, _) = folder_with_additions();
    let before = snapshot(dir.path());
    // The additions file is written last; make its temporary file impossible to create.
    let blocker = staging_path(&additions(dir.path()));
    std::fs::create_dir(&blocker).unwrap();
    let err = merge_additions(dir.path(), None).unwrap_err();
    assert!(matches!(err, MergeError::Write { .. }), "{err}");
    assert!(err.to_string().contains(ADDITIONS_FILE), "{err}");
    std::fs::remove_dir(&blocker).unwrap();
    assert_eq!(snapshot(dir.path()), before, "no file changed");
    let hidden: Vec<_> = std::fs::read_dir(dir.path().join(REPORT))
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with('.'))
        .collect();
    assert!(hidden.is_empty(), "temporary files removed: {hidden:?}");
    // Once it can write, it does.
    merge_additions(dir.path(), None).unwrap();
    assert_ne!(snapshot(dir.path()), before);
}

#[test]
fn a_merge_that_would_change_an_answer_or_lose_something_is_refused() {
    // A phrasing file sorting before additions.toml adds a phrasing to the same entry:
    // moving the addition into the entry would change the order its phrasings are read in.
    let (dir, _) = folder_with_additions();
    std::fs::write(
        dir.path().join(REPORT).join("a-extra.toml"),
        "# kept apart\n[[variant]]\nentry = \"goal-one-million\"\nquestion = \"the headline deportation figure\"\n",
    )
    .unwrap();
    KnowledgeBase::load_dir(dir.path()).expect("valid before");
    let before = snapshot(dir.path());
    let out = run(Some(dir.path()), &["kb", "merge-additions"]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    let text = stderr(&out);
    assert!(
        text.contains("[goal-one-million]"),
        "names the entry: {text}"
    );
    assert!(text.contains("nothing was merged"), "{text}");
    assert_eq!(snapshot(dir.path()), before, "nothing written");

    // Something the merge does not know how to move is never dropped.
    let (dir, _) = folder_with_additions();
    let mut text = std::fs::read_to_string(additions(dir.path())).unwrap();
    text.push_str(
        "\n[[phrasings]]\nentry = \"goal-one-million\"\ntexts = [\"a million a year\"]\n",
    );
    std::fs::write(additions(dir.path()), text).unwrap();
    KnowledgeBase::load_dir(dir.path()).expect("valid before");
    let before = snapshot(dir.path());
    let out = run(Some(dir.path()), &["kb", "merge-additions"]);
    assert_refused(&out, "additions.toml: `phrasings` cannot be merged");
    assert_eq!(snapshot(dir.path()), before, "nothing written");

    // A folder that does not validate is not touched.
    let (dir, _) = folder_with_additions();
    std::fs::write(
        dir.path().join(REPORT).join("a-broken.toml"),
        "[[variant]]\nentry = \"no-such-entry\"\nquestion = \"x\"\n",
    )
    .unwrap();
    let before = snapshot(dir.path());
    let out = run(Some(dir.path()), &["kb", "merge-additions"]);
    assert_refused(&out, "problems already");
    assert_eq!(snapshot(dir.path()), before);

    // The built-in knowledge base is never a target.
    let out = run(None, &["kb", "merge-additions"]);
    assert_refused(&out, "knowledge folder");
}
