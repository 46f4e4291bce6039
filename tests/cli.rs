//! The command line, run as a real process: exit codes, messages and output formats.

mod util;

use serde_json::Value;
use util::*;

fn validate(f: &Fixture) -> std::process::Output {
    factdesk(
        &["--knowledge", f.path().to_str().unwrap(), "validate"],
        None,
    )
}

#[test]
fn a_valid_folder_validates() {
    let f = Fixture::new();
    let out = validate(&f);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stdout(&out).contains("1 report(s), 2 entries"),
        "{}",
        stdout(&out)
    );
}

/// Each broken folder must exit 2 and name the file, the line and the entry.
#[test]
fn broken_knowledge_is_reported_with_file_line_and_entry() {
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "malformed TOML",
            ENTRIES.replace("answer = \"Eastbrook", "answer = Eastbrook"),
            "town/entries.toml:7",
        ),
        (
            "missing answer",
            ENTRIES.replace(
                "answer = \"Eastbrook plans to open 3 new libraries next year.\"\n",
                "",
            ),
            "[libraries-count]: missing field `answer`",
        ),
        (
            "empty topic",
            ENTRIES.replacen("topic = \"The plan\"", "topic = \"  \"", 1),
            "town/entries.toml:3 [libraries-count]: field `topic` is empty",
        ),
        (
            "duplicate id",
            ENTRIES.replace("id = \"libraries-cost\"", "id = \"libraries-count\""),
            "town/entries.toml:12 [libraries-count]: duplicate id",
        ),
        (
            "same question twice",
            ENTRIES.replace("\"cost of the libraries\"", "\"number of new libraries\""),
            "is also in entry `libraries-count`",
        ),
        (
            "quote not verbatim",
            ENTRIES.replace(
                "the plan costs 2 million euros",
                "the plan costs two million euros",
            ),
            "town/entries.toml:17 [libraries-cost]: the quote is not found verbatim in paragraph 2",
        ),
        (
            "paragraph out of range",
            ENTRIES.replace("paragraph = 2", "paragraph = 9"),
            "[libraries-cost]: paragraph 9 is out of range: the report has paragraphs 1 to 3",
        ),
        (
            "unknown related id",
            ENTRIES.replace(
                "related = [\"libraries-count\"]",
                "related = [\"libraries-colour\"]",
            ),
            "town/entries.toml:18 [libraries-cost]: unknown related id `libraries-colour`",
        ),
        (
            "answer too long",
            ENTRIES.replace("put the cost at 2 million euros.", &"very ".repeat(70)),
            "[libraries-cost]: `answer` has",
        ),
        (
            "too few variants",
            ENTRIES.replace(", \"how expensive is the plan\"", ""),
            "[libraries-cost]: needs at least 3 alternate phrasings",
        ),
    ];
    for (name, entries, expected) in cases {
        let f = Fixture::new();
        f.write("town/entries.toml", &entries);
        let out = validate(&f);
        assert_eq!(code(&out), 2, "{name}: exit code; stdout {}", stdout(&out));
        assert!(
            stderr(&out).contains(expected),
            "{name}: expected {expected:?} in:\n{}",
            stderr(&out)
        );
    }
}

#[test]
fn every_problem_is_reported_at_once() {
    let f = Fixture::new();
    let broken = ENTRIES
        .replace("paragraph = 2", "paragraph = 0")
        .replace("related = [\"libraries-cost\"]", "related = [\"nowhere\"]")
        .replace(
            "topic = \"The plan\"\nquestion = \"How much",
            "question = \"How much",
        );
    f.write("town/entries.toml", &broken);
    let out = validate(&f);
    assert_eq!(code(&out), 2);
    let err = stderr(&out);
    assert!(err.contains("3 problem(s)"), "{err}");
    assert!(err.contains("paragraph 0 is out of range"), "{err}");
    assert!(err.contains("unknown related id `nowhere`"), "{err}");
    assert!(err.contains("missing field `topic`"), "{err}");
}

#[test]
fn a_broken_knowledge_base_is_never_served() {
    let f = Fixture::new();
    f.write(
        "town/entries.toml",
        &ENTRIES.replace("paragraph = 2", "paragraph = 9"),
    );
    let out = factdesk(
        &[
            "--knowledge",
            f.path().to_str().unwrap(),
            "ask",
            "How many libraries?",
        ],
        None,
    );
    assert_eq!(code(&out), 2);
    assert!(
        stdout(&out).is_empty(),
        "nothing answered from a broken base: {}",
        stdout(&out)
    );
    let hint = format!("factdesk --knowledge {} validate", f.path().display());
    assert!(stderr(&out).contains(&hint), "{}", stderr(&out));
    assert!(
        !stderr(&out).contains("unknown related id `libraries-cost`"),
        "an entry with a problem of its own is not unknown too: {}",
        stderr(&out)
    );
}

#[test]
fn missing_vocabulary_and_article_are_named() {
    let f = Fixture::new();
    std::fs::remove_file(f.path().join("vocabulary.toml")).unwrap();
    f.write("town/article.txt", "");
    let out = validate(&f);
    assert_eq!(code(&out), 2);
    let err = stderr(&out);
    assert!(err.contains("vocabulary.toml: missing"), "{err}");
    assert!(err.contains("town/article.txt: missing or empty"), "{err}");
}

#[test]
fn a_missing_folder_exits_2_with_its_name() {
    let out = factdesk(
        &["--knowledge", "/nonexistent/factdesk-kb", "validate"],
        None,
    );
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("/nonexistent/factdesk-kb"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn ask_answers_with_its_source() {
    let out = factdesk(
        &[
            "ask",
            "How many people does the administration want to deport?",
        ],
        None,
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("one million"), "{text}");
    assert!(text.contains("paragraph 1"), "{text}");
}

#[test]
fn ask_json_has_the_documented_fields() {
    let out = factdesk(
        &[
            "ask",
            "--json",
            "how many migrants are in the US right now?",
        ],
        None,
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let v: Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    assert_eq!(v["status"], "answered");
    assert_eq!(v["report"], "deport-one-million");
    assert_eq!(v["source"]["report"], "deport-one-million");
    assert_eq!(v["source"]["paragraph"], 16);
    assert!(v["answer"].as_str().unwrap().contains("11 million"));
    assert!(v["confidence"].as_f64().unwrap() > 0.0);
    assert!(v["suggestions"].is_array());
    assert!(v["entry"].is_string());
}

#[test]
fn ask_reads_stdin_and_answers_in_order() {
    let questions = "how many does the administration want to deport\n\nwho won the champions league\n\u{1F921}\u{1F921}\nwho is doris meissner\n";
    for args in [&["ask", "--json"][..], &["ask", "--json", "-"][..]] {
        let out = factdesk(args, Some(questions));
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        let replies: Vec<Value> = stdout(&out)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(replies.len(), 5);
        let statuses: Vec<&str> = replies
            .iter()
            .map(|r| r["status"].as_str().unwrap())
            .collect();
        assert_eq!(
            statuses,
            ["answered", "declined", "declined", "declined", "answered"]
        );
        assert_eq!(replies[2]["question"], "who won the champions league");
        assert!(replies[1]["answer"].is_null());
    }
}

#[test]
fn bad_input_never_crashes() {
    let huge = "deport ".repeat(15_000);
    let inputs = [
        "\u{1}\u{7f}\u{1b}[31m",
        "🤡🤡🤡",
        &huge,
        "＠ｅｖｅｒｙｏｎｅ",
        "\"\"\"''' ```",
        "١٢٣٤",
    ];
    for q in inputs {
        let out = factdesk(&["ask", "--json", q], None);
        assert_eq!(
            code(&out),
            0,
            "input {:?}: {}",
            &q[..q.len().min(20)],
            stderr(&out)
        );
        let v: Value = serde_json::from_str(stdout(&out).trim()).unwrap();
        assert!(v["status"].is_string());
    }
    // NUL cannot be an argument; through standard input it is just another character.
    let out = factdesk(&["ask", "--json"], Some("\u{0}deport\u{0}\n\u{0}\n"));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(stdout(&out).lines().count(), 2);
    let out = factdesk(&["ask", ""], None);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("the question is empty"));
}

#[test]
fn unknown_report_is_bad_input() {
    let out = factdesk(&["ask", "--report", "nope", "how many?"], None);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("unknown report `nope`; the reports are: `deport-one-million`"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn chat_ends_cleanly_on_end_of_input() {
    let out = factdesk(&["chat"], Some("who is the white house spokesman\nhi\n"));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("spokesman"), "{text}");
    assert!(text.contains("I answer questions"), "{text}");
}

#[test]
fn export_lists_reports_and_entries() {
    let out = factdesk(&["kb", "export"], None);
    assert_eq!(code(&out), 0);
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["reports"][0]["id"], "deport-one-million");
    assert_eq!(v["reports"][0]["paragraphs"].as_array().unwrap().len(), 16);
    let entries = v["entries"].as_array().unwrap();
    assert!(entries.len() >= 30);
    for e in entries {
        for field in ["id", "report", "question", "variants", "keywords", "answer"] {
            assert!(!e[field].is_null(), "{field} in {e}");
        }
        assert!(e["source"]["paragraph"].is_u64());
        assert!(e["source"]["quote"].is_string());
    }
}

#[test]
fn built_in_knowledge_serves_from_any_folder() {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_factdesk"))
        .args(["ask", "--json", "who is stephen miller"])
        .env_remove("FACTDESK_KNOWLEDGE")
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let v: Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    assert_eq!(v["report"], "deport-one-million");
}

/// Each set scored by a model fitted without it: a line per threshold, then the pooled
/// reliability of the confidence on sets the model never saw.
#[test]
fn calibrate_scores_each_set_left_out() {
    let root = env!("CARGO_MANIFEST_DIR");
    let dev = format!("{root}/knowledge/deport-one-million/questions.jsonl");
    let b20 = format!("{root}/eval/deport-one-million/blind-b20.jsonl");
    let b21 = format!("{root}/eval/deport-one-million/blind-b21.jsonl");
    let out = factdesk(
        &[
            "calibrate",
            "--fit",
            &dev,
            "--check",
            &b20,
            &b21,
            "--each-left-out",
        ],
        None,
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("each of 2 sets scored by a model fitted without it"),
        "{text}"
    );
    let thresholds: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("answer at P ≥"))
        .collect();
    assert_eq!(thresholds.len(), 6, "{text}");
    // 128 questions, nearly all of them answered right: accuracy is a real figure.
    let accuracy: f64 = thresholds[2]
        .split("accuracy ")
        .nth(1)
        .and_then(|r| r.split(',').next())
        .and_then(|a| a.parse().ok())
        .expect("an accuracy");
    assert!((0.7..=1.0).contains(&accuracy), "{text}");
    let ece: f64 = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("expected calibration error "))
        .and_then(|e| e.parse().ok())
        .expect("an expected calibration error");
    assert!((0.0..0.2).contains(&ece), "{text}");
    assert!(!text.contains("\"trees\""), "no model is printed: {text}");
}

/// A model written by `calibrate --out` scores a set through `eval --model`; a file that
/// is not one is named in the error.
#[test]
fn eval_scores_with_a_model_from_calibrate() {
    let root = env!("CARGO_MANIFEST_DIR");
    let dev = format!("{root}/knowledge/deport-one-million/questions.jsonl");
    let b21 = format!("{root}/eval/deport-one-million/blind-b21.jsonl");
    let dir = Fixture::new();
    let model = dir.path().join("model.json");
    let fitted = factdesk(
        &["calibrate", "--fit", &dev, "--out", model.to_str().unwrap()],
        None,
    );
    assert_eq!(code(&fitted), 0, "{}", stderr(&fitted));
    let out = factdesk(
        &[
            "eval",
            "--no-failures",
            "--model",
            model.to_str().unwrap(),
            &b21,
        ],
        None,
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stdout(&out).contains("expected calibration error"),
        "{}",
        stdout(&out)
    );

    dir.write("not-a-model.json", "{\"trees\": 3}");
    let bad = dir.path().join("not-a-model.json");
    let out = factdesk(&["eval", "--model", bad.to_str().unwrap(), &b21], None);
    assert_ne!(code(&out), 0);
    assert!(
        stderr(&out).contains("not-a-model.json"),
        "{}",
        stderr(&out)
    );
}

/// A plain file in a temporary folder; returns the folder (kept alive) and the file's path.
fn plain_file(name: &str, text: &str) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    let path = path.to_str().unwrap().to_string();
    (dir, path)
}

/// An editor's `question<TAB>entry-id` file is scored on where each question went; a
/// wrong expectation shows the entry expected, the one answered and the words that pulled.
#[test]
fn eval_scores_a_plain_file_and_says_what_pulled_a_wrong_answer() {
    let (_dir, file) = plain_file(
        "mine.tsv",
        "# questions an editor wrote\n\
         How many people does Trump want to deport?\tgoal-one-million\n\
         \n\
         What is the weather in Paris today?\t-\n\
         How much will all this cost?\tgap-cost\n\
         Who is Stephen Miller?\tofficials-four\n",
    );
    let out = factdesk(&["eval", &file], None);
    assert_eq!(code(&out), 0, "a measurement exits 0: {}", stderr(&out));
    let text = stdout(&out);
    for line in [
        "items            4",
        "accuracy         0.750",
        "wrong answers    0.250 (1)",
        "gaps reached   1 of the 1 declined with a gap expected",
    ] {
        assert!(text.contains(line), "{line} in\n{text}");
    }
    let went: Vec<&str> = text
        .lines()
        .filter(|l| l.trim_start().contains(" line "))
        .collect();
    assert!(
        went[0].contains("right  line 2") && went[0].contains("`goal-one-million`"),
        "{text}"
    );
    assert!(
        went[1].contains("right  line 4") && went[1].ends_with("declined"),
        "{text}"
    );
    assert!(went[2].contains("declined with gap `gap-cost`"), "{text}");
    let failures = text
        .split("\nfailures:\n")
        .nth(1)
        .expect("a failures section");
    assert!(
        failures.contains("line 6, wrong: Who is Stephen Miller?"),
        "{failures}"
    );
    assert!(
        failures.contains("expected   answered with `officials-four`"),
        "{failures}"
    );
    assert!(
        failures.contains("bot        answered `miller-works-with-dhs` at "),
        "{failures}"
    );
    let pulled = failures
        .lines()
        .find(|l| l.contains("pulled by"))
        .expect("what pulled it");
    assert!(pulled.contains("\"miller\""), "{pulled}");
    assert!(pulled.contains("not in `officials-four`'s"), "{pulled}");
    assert!(failures.contains("closest    \""), "{failures}");

    let out = factdesk(&["eval", "--no-failures", &file], None);
    assert!(!stdout(&out).contains("failures:"), "{}", stdout(&out));
}

/// With --json, one object per question, then the figures.
#[test]
fn eval_json_gives_one_object_per_plain_question() {
    let (_dir, file) = plain_file(
        "mine.txt",
        "Who is Stephen Miller?\tofficials-four\nWhat is the weather in Paris today?\t-\n",
    );
    let out = factdesk(&["eval", "--json", &file], None);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let lines: Vec<Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3, "{}", stdout(&out));
    assert_eq!(lines[0]["line"], 1);
    assert_eq!(lines[0]["expected"], "officials-four");
    assert_eq!(lines[0]["verdict"], "wrong");
    assert_eq!(lines[0]["did"], "answered");
    assert_eq!(lines[0]["entry"], "miller-works-with-dhs");
    assert!(lines[0]["pulled_by"]
        .as_array()
        .unwrap()
        .contains(&Value::from("miller")));
    assert_eq!(lines[1]["expected"], Value::Null);
    assert_eq!(lines[1]["verdict"], "correct");
    assert_eq!(lines[2]["metrics"]["items"], 2);
    assert_eq!(lines[2]["metrics"]["wrong_answers"], 1);
}

/// An id that is not in the knowledge base is refused, not scored against: the file, the
/// line and the id are named with the closest real ids.
#[test]
fn eval_refuses_a_plain_file_with_an_unknown_entry_id() {
    let (_dir, file) = plain_file(
        "mine.tsv",
        "How many people does Trump want to deport?\tgoal-one-million\n# a comment\nWho is Stephen Miller?\tmiller-works-with-dsh\n",
    );
    let out = factdesk(&["eval", &file], None);
    assert_eq!(code(&out), 2, "{}", stdout(&out));
    let err = stderr(&out);
    assert!(
        err.contains("mine.tsv:3: unknown entry id `miller-works-with-dsh`"),
        "{err}"
    );
    assert!(err.contains("closest: `miller-works-with-dhs`"), "{err}");
    assert!(stdout(&out).is_empty(), "nothing scored: {}", stdout(&out));
}

/// A line without a tab names the file and line and shows the format with a real line.
#[test]
fn eval_shows_the_plain_format_for_a_line_without_a_tab() {
    let (_dir, file) = plain_file(
        "mine.tsv",
        "Who is Stephen Miller?\tmiller-works-with-dhs\nHow many people does Trump want to deport?   goal-one-million\n",
    );
    let out = factdesk(&["eval", &file], None);
    assert_eq!(code(&out), 2, "{}", stdout(&out));
    let err = stderr(&out);
    assert!(
        err.contains("mine.tsv:2: no tab between the question and the entry id"),
        "{err}"
    );
    assert!(
        err.contains("`goal-one-million` looks like the id: put a tab before it"),
        "{err}"
    );
    assert!(
        err.contains("each line is a question, a tab, then the id"),
        "{err}"
    );
    assert!(
        err.contains("<TAB>goal-one-million"),
        "an example line: {err}"
    );
}

/// A file of neither format is told both; a file without an extension is read by content.
#[test]
fn eval_tells_the_formats_for_a_file_it_cannot_parse() {
    let (_dir, file) = plain_file(
        "mine.jsonl",
        "Who is Stephen Miller?\tmiller-works-with-dhs\n",
    );
    let out = factdesk(&["eval", &file], None);
    assert_eq!(code(&out), 2);
    let err = stderr(&out);
    assert!(err.contains("mine.jsonl:1: not a question item"), "{err}");
    assert!(err.contains("name it .tsv or .txt"), "{err}");
    assert!(err.contains("a question, a tab, then the id"), "{err}");

    let (_dir, file) = plain_file(
        "questions",
        "Who is Stephen Miller?\tmiller-works-with-dhs\n",
    );
    let out = factdesk(&["eval", &file], None);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stdout(&out).contains("accuracy         1.000"),
        "{}",
        stdout(&out)
    );
}

/// The example an editor copies names real entries.
#[test]
fn the_plain_example_file_scores() {
    let example = format!("{}/docs/questions-example.tsv", env!("CARGO_MANIFEST_DIR"));
    let out = factdesk(&["eval", "--json", &example], None);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(stdout(&out).lines().count(), 7, "{}", stdout(&out));
}

const GAPS: &str = r#"[[gap]]
id = "libraries-opening-day"
topic = "The plan"
question = "On what day will the libraries open?"
variants = ["opening day of the libraries", "exact date the libraries open", "which day do they open"]
note = "The report says next year, not a date."
related = ["libraries-count", "libraries-cost"]
"#;

const PHRASINGS: &str = r#"[[phrasings]]
entry = "libraries-cost"
texts = ["what will the library plan cost the town"]

[[variant]]
entry = "libraries-count"
question = "count of libraries to be built"
"#;

/// A `"` inside a "…" string: the error names file, line and column, says why and what
/// to write instead, and the entries missing from the broken file cause no errors in the
/// files that name them.
#[test]
fn a_quote_inside_a_string_is_explained_and_does_not_cascade() {
    let f = Fixture::new();
    f.write("town/gaps.toml", GAPS);
    f.write("town/phrasings.toml", PHRASINGS);
    let out = validate(&f);
    assert_eq!(code(&out), 0, "the references are sound: {}", stderr(&out));

    let broken = ENTRIES.replace(
        "quote = \"the plan costs 2 million euros\"",
        "quote = \"the plan \"costs\" 2 million euros\"",
    );
    assert_ne!(broken, ENTRIES);
    f.write("town/entries.toml", &broken);
    let out = validate(&f);
    assert_eq!(code(&out), 2);
    let err = stderr(&out);
    // Line 17, the `c` of `costs"`: 46th character of the line.
    assert!(
        err.contains("town/entries.toml:17:46: TOML syntax: missing comma"),
        "{err}"
    );
    assert!(
        err.contains(
            "a `\"` inside a \"…\" string ends it early; write the text in single quotes '…'"
        ),
        "{err}"
    );
    assert!(err.contains("escape it as \\\""), "{err}");
    for cascade in [
        "unknown related id",
        "no entry with that id",
        "gaps.toml:",
        "phrasings.toml:",
    ] {
        assert!(
            !err.contains(cascade),
            "no error caused by the first: {cascade:?} in {err}"
        );
    }
    // Two related ids, one phrasing and one variant wait for entries.toml.
    assert!(
        err.contains("town/entries.toml: 4 cross-file check(s) skipped until this file is fixed"),
        "{err}"
    );
    assert!(err.contains("2 problem(s)"), "{err}");
    let folder = f.path().to_str().unwrap();
    assert!(
        err.contains(&format!(
            "run `factdesk --knowledge {folder} validate` again"
        )),
        "{err}"
    );

    // Once it parses, a reference that is really wrong is reported again.
    f.write("town/entries.toml", ENTRIES);
    f.write(
        "town/gaps.toml",
        &GAPS.replace("\"libraries-cost\"]", "\"libraries-colour\"]"),
    );
    let err = stderr(&validate(&f));
    assert!(
        err.contains(
            "town/gaps.toml:7 [libraries-opening-day]: unknown related id `libraries-colour`"
        ),
        "{err}"
    );
}

/// A cause is only named when the line shows it: a stray word after a string is not a quote.
#[test]
fn a_syntax_error_without_a_known_cause_gives_the_parser_message_alone() {
    let f = Fixture::new();
    f.write(
        "town/entries.toml",
        &ENTRIES.replace(
            "topic = \"The plan\"\nquestion = \"How much",
            "topic = \"The plan\" x\nquestion = \"How much",
        ),
    );
    let err = stderr(&validate(&f));
    assert!(
        err.contains("town/entries.toml:13:20: TOML syntax: "),
        "{err}"
    );
    assert!(!err.contains(" — "), "no cause claimed: {err}");
}

#[test]
fn validate_and_coverage_say_which_knowledge_they_read() {
    let f = Fixture::new();
    let folder = f.path().to_str().unwrap();
    let out = validate(&f);
    assert!(
        stdout(&out).contains(&format!("in the knowledge folder {folder}")),
        "{}",
        stdout(&out)
    );
    let out = factdesk(&["--knowledge", folder, "kb", "coverage"], None);
    assert!(
        stdout(&out).starts_with(&format!("coverage of the knowledge folder {folder}\n")),
        "{}",
        stdout(&out)
    );

    let empty = tempfile::tempdir().unwrap();
    for args in [&["validate"][..], &["kb", "coverage"][..]] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_factdesk"))
            .args(args)
            .env_remove("FACTDESK_KNOWLEDGE")
            .current_dir(empty.path())
            .output()
            .unwrap();
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        assert!(
            stdout(&out).contains(
                "the built-in knowledge base (no ./knowledge here; give --knowledge DIR)"
            ),
            "{args:?}: {}",
            stdout(&out)
        );
    }
}

/// `stats` and a curation of a cluster that is gone point to `unanswered` on the same
/// knowledge folder and question log.
#[test]
fn log_hints_repeat_the_folder_and_the_log() {
    use factdesk::reply::{Decline, Status};
    use factdesk::store::{QuestionLog, Store, StoreConfig};
    use std::time::{Duration, SystemTime};

    let f = Fixture::new();
    let db = f.path().join("log.db");
    let store = Store::open(StoreConfig::new(&db)).unwrap();
    store.log_question(QuestionLog {
        at: SystemTime::now() - Duration::from_secs(60),
        guild: Some(1),
        channel: Some(2),
        user: Some(3),
        question: "what is the weather on mars tomorrow".into(),
        status: Status::Declined,
        decline: Some(Decline::NotCovered),
        entry: None,
        suggested: Vec::new(),
        report: None,
        confidence: 0.2,
        matching: Duration::from_micros(40),
    });
    store.flush(Duration::from_secs(10)).unwrap();
    drop(store);

    let folder = f.path().to_str().unwrap();
    let db = db.to_str().unwrap();
    let command = format!("`factdesk --knowledge {folder} unanswered --db {db}`");
    let out = factdesk(&["--knowledge", folder, "stats", "--db", db], None);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stdout(&out).contains(&format!("next: {command} lists every unanswered cluster")),
        "{}",
        stdout(&out)
    );
    let out = factdesk(
        &[
            "--knowledge",
            folder,
            "curate",
            "dismiss",
            "nope",
            "--db",
            db,
        ],
        None,
    );
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains(&format!("{command} shows the current ones")),
        "{}",
        stderr(&out)
    );
}

/// `explain` names entries by id, says which rule decided, and shows the report's own
/// synonyms that a question's words bring in.
#[test]
fn explain_names_the_rule_the_entry_and_the_report_synonyms() {
    let f = Fixture::new();
    f.write(
        "town/vocabulary.toml",
        "[[synonyms]]\ncanonical = \"library\"\nterms = [\"library\", \"branch\"]\n",
    );
    let dir = f.path().to_str().unwrap();
    let out = factdesk(
        &[
            "--knowledge",
            dir,
            "explain",
            "how many new branches will open",
        ],
        None,
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("report synonyms (town/vocabulary.toml): \"branch\" also finds \"library\""),
        "{text}"
    );
    assert!(text.contains("asks for: amount"), "{text}");
    assert!(text.contains("outcome: "), "{text}");
    assert!(text.contains("why: "), "{text}");
    assert!(
        text.contains("thresholds: answer at chance ≥ 0.70"),
        "{text}"
    );
    // Candidates are named by id, never by index.
    assert!(text.contains("entry `libraries-"), "{text}");
}

/// `factdesk ask --json - | head -1`: the reader leaves after one line; that ends the
/// command quietly, with 0.
#[test]
fn a_closed_pipe_ends_quietly_with_success() {
    use std::io::{BufRead, BufReader, Write};
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_factdesk"))
        .args(["ask", "--json", "-"])
        .env_remove("FACTDESK_KNOWLEDGE")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run factdesk");
    let mut input = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        for _ in 0..20_000 {
            if input.write_all(b"who is stephen miller\n").is_err() {
                break;
            }
        }
    });
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.starts_with('{'), "{first}");
    // The reader is gone.
    let out = child.wait_with_output().expect("wait");
    writer.join().unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(stderr(&out), "", "no message for a closed pipe");
}

/// A pasted megabyte is answered, and the reply does not repeat it in full.
#[test]
fn a_huge_question_is_not_echoed_in_full() {
    let huge = "why ".repeat(2_500_000);
    let out = factdesk(&["ask", "--json", "-"], Some(&format!("{huge}\n")));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let reply: Value = serde_json::from_str(stdout(&out).trim()).expect("one JSON reply");
    let echoed = reply["question"].as_str().unwrap();
    assert!(echoed.len() <= 4_100, "{} bytes echoed", echoed.len());
    assert!(echoed.ends_with('…'), "says it was cut");
}

/// Under a file-size limit a write past it fails with a message and exit 1; the process
/// is never killed by SIGXFSZ.
#[cfg(unix)]
#[test]
fn a_file_size_limit_is_an_error_not_a_kill() {
    let dir = tempfile::tempdir().unwrap();
    let out_file = dir.path().join("out.jsonl");
    let script = format!(
        "ulimit -f 1; for i in $(seq 1 300); do echo 'who is stephen miller'; done | '{}' ask --json - > '{}'",
        env!("CARGO_BIN_EXE_factdesk"),
        out_file.display()
    );
    let out = std::process::Command::new("bash")
        .args(["-c", &script])
        .env_remove("FACTDESK_KNOWLEDGE")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run bash");
    // Killed by a signal, bash reports 128 + the signal's number (SIGXFSZ: 153).
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("File too large"), "{}", stderr(&out));
}

#[test]
fn explain_says_when_the_bot_answers_from_the_report_s_details() {
    let f = Fixture::new();
    let meta = f.read("town/report.toml");
    f.write(
        "town/report.toml",
        &format!("{meta}\nbyline = \"By Jo Park, Northvale Courier\"\n"),
    );
    let out = factdesk(
        &[
            "--knowledge",
            f.path().to_str().unwrap(),
            "explain",
            "who wrote this article",
        ],
        None,
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains(
            "reply: the bot answers from the report's details instead (its byline in report.toml)"
        ),
        "{text}"
    );
    // What the reader gets comes first; the matcher's own outcome is labelled as such.
    let (reply_at, matcher_at) = (text.find("reply: "), text.find("the matcher alone: "));
    assert!(reply_at.is_some() && reply_at < matcher_at, "{text}");
    assert!(!text.contains("outcome: "), "{text}");
    // An ordinary question's reply is the matcher's: no such line.
    let plain = stdout(&factdesk(
        &[
            "--knowledge",
            f.path().to_str().unwrap(),
            "explain",
            "how many new branches will open",
        ],
        None,
    ));
    assert!(!plain.contains("reply: "), "{plain}");
    assert!(plain.contains("\noutcome: "), "{plain}");
}
