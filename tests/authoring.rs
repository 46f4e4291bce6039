//! The editor's path: a new report from an article file, and the report metadata readers see
//! (publication date, retired reports, the default report).

mod util;

use serde_json::Value;
use util::*;

const WRAPPED_ARTICLE: &str = "Northvale's river park opens\n\nThe city of Northvale will open a 40-hectare river park\nin June, Mayor Ana Lind said on Tuesday.\n\n\"This is the biggest green space the city has built\nin a century,\" Lind said — and residents agree.\n";

fn kb_arg(f: &Fixture) -> String {
    f.path().to_str().unwrap().to_string()
}

fn ask_json(f: &Fixture, question: &str) -> Value {
    let out = factdesk(
        &["--knowledge", &kb_arg(f), "ask", "--json", question],
        None,
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    serde_json::from_str(&stdout(&out)).unwrap()
}

#[test]
fn a_new_report_is_scaffolded_validates_and_is_never_overwritten() {
    let f = Fixture::new();
    f.write("article-source.txt", WRAPPED_ARTICLE);
    let article = f.path().join("article-source.txt");
    let new = |extra: &[&str]| {
        let mut args = vec![
            "--knowledge",
            f.path().to_str().unwrap(),
            "report",
            "new",
            "river-park",
            "--article",
            article.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        factdesk(&args, None)
    };
    let out = new(&[
        "--attribution",
        "City hall",
        "--published",
        "2026-11-20",
        "--url",
        "https://example.org/park",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(
        f.read("river-park/article.txt"),
        "Northvale's river park opens\nThe city of Northvale will open a 40-hectare river park in June, Mayor Ana Lind said on Tuesday.\n\"This is the biggest green space the city has built in a century,\" Lind said — and residents agree.\n"
    );
    let meta = f.read("river-park/report.toml");
    assert!(
        meta.contains("title = \"Northvale's river park opens\""),
        "{meta}"
    );
    assert!(meta.contains("date = \"2026-11-20\""), "{meta}");
    assert!(f.read("river-park/entries.toml").contains("# [[entry]]"));
    assert!(f.read("river-park/gaps.toml").contains("# [[gap]]"));
    assert_eq!(f.read("river-park/questions.jsonl"), "");

    let out = factdesk(&["--knowledge", &kb_arg(&f), "validate"], None);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stdout(&out).contains("2 report(s)"), "{}", stdout(&out));
    let reply = ask_json(&f, "When does the river park open?");
    assert_ne!(reply["status"], "answered", "no entries yet: {reply}");

    // A second run changes nothing and says why.
    std::fs::write(f.path().join("river-park/entries.toml"), "# mine\n").unwrap();
    let out = new(&["--title", "Other"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("already exists"), "{}", stderr(&out));
    assert_eq!(f.read("river-park/entries.toml"), "# mine\n");

    // Bad input is refused before anything is written.
    let out = factdesk(
        &[
            "--knowledge",
            &kb_arg(&f),
            "report",
            "new",
            "other",
            "--article",
            article.to_str().unwrap(),
            "--published",
            "20/11/2026",
        ],
        None,
    );
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("--published"), "{}", stderr(&out));
    assert!(!f.path().join("other").exists());
}

#[test]
fn answers_show_the_publication_date() {
    let f = Fixture::new();
    f.write("town/report.toml", "id = \"town\"\ntitle = \"Eastbrook libraries\"\nattribution = \"The town council\"\nlanguage = \"en\"\ndate = \"2026-03-01\"\nurl = \"https://example.org/libraries\"\n");
    let reply = ask_json(&f, "How many libraries will Eastbrook open?");
    assert_eq!(reply["status"], "answered", "{reply}");
    assert_eq!(reply["source"]["published"], "2026-03-01");
    assert_eq!(reply["source"]["url"], "https://example.org/libraries");
    let out = factdesk(
        &[
            "--knowledge",
            &kb_arg(&f),
            "ask",
            "How many libraries will Eastbrook open?",
        ],
        None,
    );
    assert!(
        stdout(&out).contains("Published: 2026-03-01"),
        "{}",
        stdout(&out)
    );
}

/// A second town with the same questions: the two reports match them equally.
fn twin_report(f: &Fixture, meta: &str) {
    f.write("twin/report.toml", &format!("id = \"twin\"\ntitle = \"Westbrook libraries\"\nattribution = \"The other council\"\nlanguage = \"en\"\n{meta}"));
    f.write(
        "twin/article.txt",
        &ARTICLE.replace("Eastbrook", "Westbrook"),
    );
    let entries = ENTRIES
        .replace("Eastbrook", "Westbrook")
        .replace("libraries-", "twin-");
    f.write("twin/entries.toml", &entries);
}

#[test]
fn a_retired_report_validates_but_is_not_answered() {
    let f = Fixture::new();
    twin_report(&f, "retired = true\n");
    let out = factdesk(&["--knowledge", &kb_arg(&f), "validate"], None);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stdout(&out).contains("2 report(s)"));
    // Without the retired twin there is no tie to hedge over.
    let reply = ask_json(&f, "how many new libraries are planned");
    assert_eq!(reply["status"], "answered", "{reply}");
    assert_eq!(reply["report"], "town");
    let out = factdesk(
        &[
            "--knowledge",
            &kb_arg(&f),
            "ask",
            "--report",
            "twin",
            "how many libraries",
        ],
        None,
    );
    assert_eq!(
        code(&out),
        2,
        "a retired report is not offered: {}",
        stdout(&out)
    );

    // A retired report is still validated.
    f.write("twin/entries.toml", "[[entry]]\nid = \"broken\"\n");
    let out = factdesk(&["--knowledge", &kb_arg(&f), "validate"], None);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("twin/entries.toml:1 [broken]"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn the_default_report_answers_when_reports_match_equally() {
    let f = Fixture::new();
    twin_report(&f, "");
    let reply = ask_json(&f, "how many new libraries are planned");
    assert_eq!(reply["status"], "suggested", "two reports tie: {reply}");

    twin_report(&f, "default = true\n");
    let reply = ask_json(&f, "how many new libraries are planned");
    assert_eq!(reply["status"], "answered", "{reply}");
    assert_eq!(reply["report"], "twin");
    // Asking one report still answers from that report.
    let out = factdesk(
        &[
            "--knowledge",
            &kb_arg(&f),
            "ask",
            "--json",
            "--report",
            "town",
            "How many libraries will Eastbrook open?",
        ],
        None,
    );
    let reply: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(reply["report"], "town");

    // Only one default.
    f.write("town/report.toml", "id = \"town\"\ntitle = \"Eastbrook libraries\"\nattribution = \"The town council\"\nlanguage = \"en\"\ndefault = true\n");
    let out = factdesk(&["--knowledge", &kb_arg(&f), "validate"], None);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("report.toml:2: `default = true` is also set")
            || stderr(&out).contains("report.toml:5: `default = true` is also set"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn topics_say_a_new_report_has_no_questions_yet() {
    let f = Fixture::new();
    f.write("article-source.txt", WRAPPED_ARTICLE);
    let article = f.path().join("article-source.txt");
    let out = factdesk(
        &[
            "--knowledge",
            &kb_arg(&f),
            "report",
            "new",
            "river-park",
            "--article",
            article.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let kb = factdesk::knowledge::KnowledgeBase::load_dir(f.path()).unwrap();
    let page = factdesk::discord::render::topics_page(&kb, 0);
    let text = format!("{:?}", page.embeds);
    assert!(text.contains("has no questions yet"), "{text}");
    assert!(
        text.contains("How many libraries will Eastbrook open?"),
        "{text}"
    );
}

#[test]
fn coverage_lists_every_paragraph_and_the_uncovered_askable_sentences() {
    let out = factdesk(
        &["--knowledge", "knowledge", "kb", "coverage", "--json"],
        None,
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let c: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let report = &c["reports"][0];
    assert_eq!(report["report"], "deport-one-million");
    let paragraphs = report["paragraphs"].as_array().unwrap();
    let article =
        std::fs::read_to_string(repo_knowledge().join("deport-one-million/article.txt")).unwrap();
    assert_eq!(paragraphs.len(), article.lines().count());
    assert!(paragraphs[0]["entries"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e == "goal-one-million"));
    // Paragraph 7 is a subhead quote no entry cites.
    assert_eq!(paragraphs[6]["entries"].as_array().unwrap().len(), 0);
    assert_eq!(paragraphs[6]["uncovered"][0]["quote"], true);

    let text = stdout(&factdesk(
        &["--knowledge", "knowledge", "kb", "coverage"],
        None,
    ));
    for n in 1..=paragraphs.len() {
        assert!(text.contains(&format!("  paragraph {n}: ")), "{text}");
    }
}

#[test]
fn coverage_marks_quoted_sentences_covered_and_finds_thin_and_colliding_entries() {
    let f = Fixture::new();
    f.write("town/article.txt", "The town of Eastbrook will open 3 new libraries next year. The mayor, Jo Park, chose the sites.\nThe mayor, Jo Park, said the plan costs 2 million euros.\nCritics say the money should go to roads.\n");
    // A phrasing of the cost entry that is really the count question; the count entry
    // without its keyword is left with four phrasings, the least `validate` accepts.
    f.write(
        "town/entries.toml",
        &ENTRIES
            .replace(
                "\"how expensive is the plan\"",
                "\"how expensive is the plan\", \"new libraries next year\"",
            )
            .replace("keywords = [\"libraries\"]\n", ""),
    );
    let out = factdesk(
        &["--knowledge", &kb_arg(&f), "kb", "coverage", "--json"],
        None,
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let c: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let r = &c["reports"][0];
    let p1 = &r["paragraphs"][0];
    assert_eq!(p1["entries"], serde_json::json!(["libraries-count"]));
    let uncovered: Vec<&str> = p1["uncovered"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["text"].as_str().unwrap())
        .collect();
    assert_eq!(uncovered, vec!["The mayor, Jo Park, chose the sites."]);
    assert_eq!(
        r["paragraphs"][2]["uncovered"],
        serde_json::json!([]),
        "nothing to ask first"
    );
    assert_eq!(r["few_phrasings"], serde_json::json!(["libraries-count"]));
    let collision = r["collisions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["entry"] == "libraries-cost")
        .expect("the cost entry's count phrasing collides");
    assert_eq!(collision["phrasing"], "new libraries next year");
    assert_eq!(collision["lands_on"], "libraries-count");
}

#[test]
fn coverage_lists_a_sentence_a_gap_restates_without_counting_it_left_to_do() {
    let f = Fixture::new();
    f.write(
        "town/article.txt",
        "The town of Eastbrook will open 3 new libraries next year.\nThe mayor, Jo Park, said the plan costs 2 million euros.\nThe council declined to say which 3 neighbourhoods get the libraries.\n",
    );
    f.write(
        "town/gaps.toml",
        "[[gap]]\nid = \"which-neighbourhoods\"\ntopic = \"The plan\"\nquestion = \"Which neighbourhoods get the libraries?\"\nvariants = [\"where are the new libraries\", \"which areas get a library\", \"library locations\"]\nnote = \"The council declined to say which neighbourhoods.\"\n",
    );
    let run = |json: bool| {
        let mut args = vec!["--knowledge", f.path().to_str().unwrap(), "kb", "coverage"];
        if json {
            args.push("--json");
        }
        let out = factdesk(&args, None);
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        stdout(&out)
    };
    let c: Value = serde_json::from_str(&run(true)).unwrap();
    let p3 = &c["reports"][0]["paragraphs"][2]["uncovered"];
    assert_eq!(p3[0]["restated_by"], "which-neighbourhoods", "{p3}");
    // The other two sentences are quoted: nothing is left to do.
    let text = run(false);
    assert!(
        text.contains(
            "restated by `which-neighbourhoods`, not quoted [number]: The council declined"
        ),
        "{text}"
    );
    assert!(text.contains("to do: 0 uncovered sentence(s)"), "{text}");
}

/// The town fixture with a phrasing of the cost entry that asks the count question.
fn colliding_town() -> Fixture {
    let f = Fixture::new();
    f.write(
        "town/entries.toml",
        &ENTRIES.replace(
            "\"how expensive is the plan\"",
            "\"how expensive is the plan\", \"new libraries next year\"",
        ),
    );
    f
}

/// The count on lint's last line: "12 collision(s) (…), at most N allowed; …".
fn lint_count(text: &str) -> usize {
    let last = text.lines().last().unwrap_or_default();
    last.split(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no count on lint's last line: {text}"))
}

fn coverage_count(knowledge: &str, report: Option<&str>) -> (usize, Value) {
    let mut args = vec!["--knowledge", knowledge, "kb", "coverage", "--json"];
    if let Some(r) = report {
        args.extend(["--report", r]);
    }
    let out = factdesk(&args, None);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let c: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let n = c["reports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["collisions"].as_array().unwrap().len())
        .sum();
    (n, c)
}

#[test]
fn coverage_and_lint_report_the_same_collisions() {
    let f = colliding_town();
    for (knowledge, report) in [
        (kb_arg(&f), None),
        ("knowledge".to_string(), Some("deport-one-million")),
    ] {
        let (from_coverage, c) = coverage_count(&knowledge, report);
        let mut args = vec![
            "--knowledge",
            knowledge.as_str(),
            "kb",
            "lint",
            "--max-collisions",
            "100000",
        ];
        if let Some(r) = report {
            args.extend(["--report", r]);
        }
        let out = factdesk(&args, None);
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        let text = stdout(&out);
        assert!(from_coverage > 0, "{c}");
        assert_eq!(lint_count(&text), from_coverage, "{text}");
        // The same list: every collision coverage finds is a line of lint's.
        for r in c["reports"].as_array().unwrap() {
            for col in r["collisions"].as_array().unwrap() {
                let line = format!(
                    "\"{}\" ({}) ",
                    col["phrasing"].as_str().unwrap(),
                    col["entry"].as_str().unwrap()
                );
                assert!(text.contains(&line), "{line} not in lint's output");
            }
        }
        // Coverage's text says the same count.
        let mut args = vec!["--knowledge", knowledge.as_str(), "kb", "coverage"];
        if let Some(r) = report {
            args.extend(["--report", r]);
        }
        let text = stdout(&factdesk(&args, None));
        assert!(
            text.contains(&format!(", {from_coverage} collision(s) (")),
            "{text}"
        );
    }
}

#[test]
fn a_collision_names_the_words_that_pulled_it_and_what_to_change() {
    let f = colliding_town();
    let (_, c) = coverage_count(&kb_arg(&f), None);
    let r = &c["reports"][0];
    let collision = r["collisions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["phrasing"] == "new libraries next year")
        .unwrap();
    assert_eq!(collision["severity"], "error", "{collision}");
    let words: Vec<&str> = collision["words"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap())
        .collect();
    assert!(
        words.contains(&"new") && words.contains(&"year"),
        "{collision}"
    );
    assert!(
        !words.contains(&"libraries"),
        "both entries have it: {collision}"
    );
    assert_eq!(collision["advice"][0]["do"], "add_phrasing", "{collision}");
    assert_eq!(collision["advice"][0]["entry"], "libraries-cost");
    // Nothing in it is the cost entry's own: it may belong to the count entry.
    assert_eq!(collision["advice"][1]["do"], "move", "{collision}");
    assert_eq!(collision["advice"][1]["to"], "libraries-count");

    // Every entry has an estimate, worst first, and the report has one.
    let rates: Vec<f64> = r["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["rate"].as_f64().unwrap())
        .collect();
    assert_eq!(rates.len(), 2);
    assert!(rates.windows(2).all(|w| w[0] <= w[1]), "{rates:?}");
    let rate = r["estimated_rate"].as_f64().unwrap();
    assert!(rate > 0.0 && rate < 1.0, "{rate}");

    let text = stdout(&factdesk(
        &["--knowledge", &kb_arg(&f), "kb", "coverage"],
        None,
    ));
    assert!(
        text.contains("error: \"new libraries next year\" (libraries-cost) is answered with libraries-count: pulled by \"new\""),
        "{text}"
    );
    assert!(
        text.contains("fix: add a phrasing to `libraries-cost` with \"new\""),
        "{text}"
    );
    assert!(text.contains("per entry, worst first:"), "{text}");
}

#[test]
fn lint_fails_only_over_the_collisions_allowed() {
    let f = colliding_town();
    let (n, _) = coverage_count(&kb_arg(&f), None);
    let lint = |max: usize| {
        factdesk(
            &[
                "--knowledge",
                &kb_arg(&f),
                "kb",
                "lint",
                "--max-collisions",
                &max.to_string(),
            ],
            None,
        )
    };
    let at_limit = lint(n);
    assert_eq!(code(&at_limit), 0, "{}", stderr(&at_limit));
    assert!(
        stdout(&at_limit).contains(&format!("at most {n} allowed")),
        "{}",
        stdout(&at_limit)
    );
    let over = lint(n - 1);
    assert_eq!(code(&over), 1);
    assert!(
        stderr(&over).contains(&format!("more than the {} allowed", n - 1)),
        "{}",
        stderr(&over)
    );
    // By default any collision fails, as a check in a script expects.
    let default = factdesk(&["--knowledge", &kb_arg(&f), "kb", "lint"], None);
    assert_eq!(code(&default), 1);
}

#[test]
fn lint_warns_of_a_phrasing_made_of_stop_words_alone() {
    let f = Fixture::new();
    f.write(
        "town/entries.toml",
        &ENTRIES.replace(
            "\"how expensive is the plan\"",
            "\"how expensive is the plan\", \"what is the\"",
        ),
    );
    let out = factdesk(&["--knowledge", &kb_arg(&f), "kb", "lint"], None);
    let text = stdout(&out);
    assert!(
        text.contains("\"what is the\" has no word the matcher reads"),
        "{text}"
    );
    // The entry's other phrasings each have a word to find.
    assert_eq!(
        text.matches("has no word the matcher reads").count(),
        1,
        "{text}"
    );
}

/// The commands a `next:` line names, in backticks, as argument lists without `factdesk`.
fn hinted_commands(text: &str) -> Vec<Vec<String>> {
    let line = text
        .lines()
        .find(|l| l.starts_with("next:"))
        .unwrap_or_else(|| panic!("a next: line in {text}"));
    line.split('`')
        .skip(1)
        .step_by(2)
        .map(|command| {
            let words: Vec<String> = command.split_whitespace().map(str::to_string).collect();
            assert_eq!(words[0], "factdesk", "{line}");
            words[1..].to_vec()
        })
        .collect()
}

/// The byline is who wrote the report, apart from the attribution (who its facts come
/// from); the hints after `report new` read the same folder when run as printed.
#[test]
fn report_new_writes_the_byline_and_its_hints_repeat_the_folder() {
    let f = Fixture::new();
    f.write("article-source.txt", WRAPPED_ARTICLE);
    let article = f.path().join("article-source.txt");
    let out = factdesk(
        &[
            "--knowledge",
            &kb_arg(&f),
            "report",
            "new",
            "river-park",
            "--article",
            article.to_str().unwrap(),
            "--attribution",
            "Mayor Ana Lind",
            "--byline",
            "By Jo Park, Northvale Courier",
            "--outlet",
            "Northvale Courier",
        ],
        None,
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let meta = f.read("river-park/report.toml");
    assert!(meta.contains("attribution = \"Mayor Ana Lind\""), "{meta}");
    assert!(
        meta.contains("byline = \"By Jo Park, Northvale Courier\""),
        "{meta}"
    );
    assert!(meta.contains("outlet = \"Northvale Courier\""), "{meta}");
    assert!(
        meta.contains("# `byline` is who wrote the report"),
        "the file says which is which: {meta}"
    );
    let kb = factdesk::knowledge::KnowledgeBase::load_dir(f.path()).unwrap();
    let report = &kb.reports[kb.report_index("river-park").unwrap()];
    assert_eq!(
        report.byline.as_deref(),
        Some("By Jo Park, Northvale Courier")
    );
    assert_eq!(report.outlet.as_deref(), Some("Northvale Courier"));
    assert_eq!(report.attribution, "Mayor Ana Lind");

    let text = stdout(&out);
    let folder = kb_arg(&f);
    let hints = hinted_commands(&text);
    assert_eq!(
        hints,
        vec![
            vec!["--knowledge".to_string(), folder.clone(), "validate".into()],
            vec![
                "--knowledge".to_string(),
                folder.clone(),
                "kb".into(),
                "coverage".into(),
                "--report".into(),
                "river-park".into()
            ],
        ],
        "{text}"
    );
    // Run as printed, from a folder with no ./knowledge, they read the new report.
    let elsewhere = tempfile::tempdir().unwrap();
    for args in hints {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_factdesk"))
            .args(&args)
            .env_remove("FACTDESK_KNOWLEDGE")
            .current_dir(elsewhere.path())
            .output()
            .unwrap();
        assert_eq!(code(&out), 0, "{args:?}: {}", stderr(&out));
        let said = stdout(&out);
        assert!(
            said.contains("2 report(s)") || said.contains("report river-park"),
            "{args:?}: {said}"
        );
    }

    let exported: Value = serde_json::from_str(&stdout(&factdesk(
        &["--knowledge", &folder, "kb", "export"],
        None,
    )))
    .unwrap();
    let park = exported["reports"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "river-park")
        .expect("the new report is exported");
    assert_eq!(park["byline"], "By Jo Park, Northvale Courier");
    assert_eq!(park["outlet"], "Northvale Courier");
}

#[test]
fn byline_and_outlet_are_optional_but_never_empty_or_overlong() {
    let f = Fixture::new();
    let base = "id = \"town\"\ntitle = \"Eastbrook libraries\"\nattribution = \"The town council\"\nlanguage = \"en\"\n";
    let validate = |f: &Fixture| factdesk(&["--knowledge", &kb_arg(f), "validate"], None);
    let out = validate(&f);
    assert_eq!(code(&out), 0, "neither is required: {}", stderr(&out));

    f.write("town/report.toml", &format!("{base}byline = \"  \"\n"));
    let out = validate(&f);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("town/report.toml:5: field `byline` is empty"),
        "{}",
        stderr(&out)
    );

    let long = "Riverside ".repeat(21).trim().to_string();
    f.write("town/report.toml", &format!("{base}outlet = \"{long}\"\n"));
    let out = validate(&f);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("town/report.toml:5: `outlet` has 209 characters; the limit is 200"),
        "{}",
        stderr(&out)
    );
}

/// `report new ID --article ARTICLE` into `folder`.
fn report_new(
    folder: &std::path::Path,
    id: &str,
    article: &std::path::Path,
) -> std::process::Output {
    factdesk(
        &[
            "--knowledge",
            folder.to_str().unwrap(),
            "report",
            "new",
            id,
            "--article",
            article.to_str().unwrap(),
        ],
        None,
    )
}

#[test]
fn report_new_with_no_folder_given_or_found_starts_one_where_it_runs() {
    let f = Fixture::new();
    f.write("article-source.txt", WRAPPED_ARTICLE);
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_factdesk"))
            .args(args)
            .env_remove("FACTDESK_KNOWLEDGE")
            .current_dir(f.path())
            .output()
            .unwrap()
    };
    let out = run(&[
        "report",
        "new",
        "river-park",
        "--article",
        "article-source.txt",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(f.path().join("knowledge/vocabulary.toml").is_file());
    assert!(f.path().join("knowledge/river-park/report.toml").is_file());
    // Found there from then on, beside the built-in reports.
    let validated = run(&["validate"]);
    assert_eq!(code(&validated), 0, "{}", stderr(&validated));
    let reports = factdesk::knowledge::bundled_files().report_folders().len() + 1;
    assert!(
        stdout(&validated).contains(&format!("ok: {reports} report(s)")),
        "{}",
        stdout(&validated)
    );
    // The new report's own counts, apart from the built-in ones beside it.
    assert!(
        stdout(&validated).contains("\n  river-park: 0 entries (0.0 phrasings each), 0 gaps\n"),
        "{}",
        stdout(&validated)
    );
}

#[test]
fn starting_a_folder_never_overwrites_what_is_already_in_it() {
    let f = Fixture::new();
    f.write("article-source.txt", WRAPPED_ARTICLE);
    let article = f.path().join("article-source.txt");
    let folder = f.path().join("kb");
    // An editor's copy of a built-in report, without the shared vocabulary yet.
    let built_in = factdesk::knowledge::bundled_files();
    let report = built_in.report_folders()[0].clone();
    std::fs::create_dir_all(folder.join(&report)).unwrap();
    std::fs::write(folder.join(&report).join("notes.txt"), "mine").unwrap();
    let out = report_new(&folder, "river-park", &article);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(
        std::fs::read_to_string(folder.join(&report).join("notes.txt")).unwrap(),
        "mine"
    );
    // Its folder was the editor's: none of the built-in report's files were added to it.
    assert!(!folder.join(&report).join("entries.toml").exists());
    assert!(folder.join("vocabulary.toml").is_file());
}

#[test]
fn a_first_report_starts_the_knowledge_folder_with_the_shared_vocabulary() {
    let f = Fixture::new();
    f.write("article-source.txt", WRAPPED_ARTICLE);
    let article = f.path().join("article-source.txt");
    let folder = f.path().join("newsroom").join("knowledge");
    let out = report_new(&folder, "river-park", &article);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stdout(&out).contains("started the knowledge folder"),
        "{}",
        stdout(&out)
    );
    let shared = std::fs::read_to_string(folder.join("vocabulary.toml")).unwrap();
    let built_in = factdesk::knowledge::bundled_files();
    assert_eq!(
        Some(shared.as_str()),
        built_in.get(std::path::Path::new("vocabulary.toml"))
    );
    let validated = factdesk(&["--knowledge", folder.to_str().unwrap(), "validate"], None);
    assert_eq!(code(&validated), 0, "{}", stderr(&validated));
    // The built-in reports came along, so the bot still serves them beside the new one.
    for (path, text) in built_in.iter() {
        assert_eq!(
            std::fs::read_to_string(folder.join(path)).ok().as_deref(),
            Some(text),
            "{}",
            path.display()
        );
    }
    let reports = built_in.report_folders().len() + 1;
    assert!(
        stdout(&validated).contains(&format!("ok: {reports} report(s)")),
        "{}",
        stdout(&validated)
    );
    // The shared vocabulary is what makes "when" ask for a date.
    let explained = factdesk(
        &[
            "--knowledge",
            folder.to_str().unwrap(),
            "explain",
            "when does the park open",
        ],
        None,
    );
    assert!(
        stdout(&explained).contains("asks for: date"),
        "{}",
        stdout(&explained)
    );
    // A second report leaves the folder's vocabulary as it is.
    std::fs::write(
        folder.join("vocabulary.toml"),
        shared.replace("[[answer_types]]", "# edited\n[[answer_types]]"),
    )
    .unwrap();
    let again = report_new(&folder, "river-park-2", &article);
    assert_eq!(code(&again), 0, "{}", stderr(&again));
    assert!(!stdout(&again).contains("started the knowledge folder"));
    assert!(std::fs::read_to_string(folder.join("vocabulary.toml"))
        .unwrap()
        .contains("# edited"));
}

#[test]
fn coverage_leaves_the_headline_byline_date_and_dateline_to_report_toml() {
    let f = Fixture::new();
    f.write(
        "article-source.txt",
        "Northvale's river park opens in June\n\nBy Jo Park, Northvale Courier\n\nNovember 20, 2026\n\nNORTHVALE, Ore. (NC) — The city will open a 40-hectare river park in June, Mayor Ana Lind said.\n",
    );
    let article = f.path().join("article-source.txt");
    let kb = f.path().join("kb");
    let made = report_new(&kb, "river-park", &article);
    assert_eq!(code(&made), 0, "{}", stderr(&made));
    let coverage = |json: &[&str]| {
        let mut args = vec!["--knowledge", kb.to_str().unwrap(), "kb", "coverage"];
        args.extend(["--report", "river-park"]);
        args.extend(json);
        stdout(&factdesk(&args, None))
    };
    let c: Value = serde_json::from_str(&coverage(&["--json"])).unwrap();
    let paragraphs = c["reports"][0]["paragraphs"].as_array().unwrap().clone();
    let headings: Vec<&Value> = paragraphs.iter().map(|p| &p["heading"]).collect();
    assert_eq!(
        headings,
        [
            &Value::from("the headline"),
            &Value::from("the byline"),
            &Value::from("the date line"),
            &Value::Null
        ]
    );
    assert!(paragraphs[..3]
        .iter()
        .all(|p| p["uncovered"].as_array().unwrap().is_empty()));
    let news: Vec<&str> = paragraphs[3]["uncovered"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["text"].as_str().unwrap())
        .collect();
    assert!(!news.iter().any(|s| s.starts_with("NORTHVALE")), "{news:?}");
    assert!(news.iter().any(|s| s.contains("40-hectare")), "{news:?}");
    let text = coverage(&[]);
    assert!(text.contains("1 paragraph(s) without entries"), "{text}");
}

#[test]
fn lint_shows_one_entry_s_collisions_or_only_errors_and_keeps_the_whole_count() {
    let f = colliding_town();
    let (n, json) = coverage_count(&kb_arg(&f), None);
    let collisions = json["reports"][0]["collisions"].as_array().unwrap().clone();
    let lint = |extra: &[&str]| {
        let mut args = vec!["--knowledge", f.path().to_str().unwrap(), "kb", "lint"];
        args.extend_from_slice(extra);
        args.extend(["--max-collisions", "1000"]);
        let out = factdesk(&args, None);
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        stdout(&out)
    };
    let shown = |text: &str| {
        text.lines()
            .filter(|l| l.starts_with("  error: ") || l.starts_with("  warning: \""))
            .count()
    };
    let entry = collisions[0]["entry"].as_str().unwrap().to_string();
    let theirs = collisions
        .iter()
        .filter(|c| c["entry"] == entry.as_str() || c["lands_on"] == entry.as_str())
        .count();
    let focused = lint(&["--entry", &entry]);
    assert_eq!(shown(&focused), theirs, "{focused}");
    assert!(
        focused.contains(&format!(
            "showing {theirs} of {n} collision(s), those of `{entry}`"
        )),
        "{focused}"
    );
    assert_eq!(lint_count(&focused), n, "the count stays the report's");
    let errors = collisions
        .iter()
        .filter(|c| c["severity"] == "error")
        .count();
    let only_errors = lint(&["--errors"]);
    assert_eq!(shown(&only_errors), errors, "{only_errors}");
    let unknown = factdesk(
        &[
            "--knowledge",
            &kb_arg(&f),
            "kb",
            "lint",
            "--entry",
            "no-such-entry",
        ],
        None,
    );
    assert_eq!(code(&unknown), 2);
    assert!(
        stderr(&unknown).contains("no-such-entry"),
        "{}",
        stderr(&unknown)
    );
}

#[test]
fn lint_warns_of_a_report_synonym_of_several_words() {
    let f = colliding_town();
    let text = lint_with_report_synonyms(
        &f,
        "[[synonyms]]\ncanonical = \"library\"\nterms = [\"library\", \"branch\", \"reading room\"]\n",
    );
    assert!(
        text.contains("the report synonym \"reading room\" (group `library`, town/vocabulary.toml) has several words"),
        "{text}"
    );
    assert!(!text.contains("the report synonym \"branch\""), "{text}");
}

/// `kb lint`'s output once the town report has these synonym groups.
fn lint_with_report_synonyms(f: &Fixture, groups: &str) -> String {
    f.write("town/vocabulary.toml", groups);
    let out = factdesk(
        &[
            "--knowledge",
            &kb_arg(f),
            "kb",
            "lint",
            "--max-collisions",
            "1000",
        ],
        None,
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    stdout(&out)
}

#[test]
fn lint_warns_of_a_report_synonym_that_is_a_word_of_a_shared_group() {
    let f = colliding_town();
    // "ship" a word of a shared group `send`, as in the built-in vocabulary.
    let shared = std::fs::read_to_string(f.path().join("vocabulary.toml")).unwrap();
    f.write(
        "vocabulary.toml",
        &format!("{shared}\n[[synonyms]]\ncanonical = \"send\"\nterms = [\"send\", \"sent\", \"ship\"]\n"),
    );
    let text = lint_with_report_synonyms(
        &f,
        "[[synonyms]]\ncanonical = \"vessel\"\nterms = [\"vessel\", \"ship\", \"boat\"]\n",
    );
    assert!(
        text.contains("the report synonym \"ship\" (group `vessel`, town/vocabulary.toml) is a word of the shared group `send`"),
        "{text}"
    );
    assert!(!text.contains("the report synonym \"boat\""), "{text}");
}

#[test]
fn a_gap_row_counts_its_phrasings_declined_without_its_note_apart() {
    let f = Fixture::new();
    f.write(
        "town/gaps.toml",
        "[[gap]]\nid = \"opening-hours\"\ntopic = \"The plan\"\nquestion = \"What hours will the new libraries keep?\"\nvariants = [\"library opening hours\", \"when do they open each day\", \"are they open on sundays\", \"weekend hours\"]\nnote = \"The report does not say what hours the libraries will keep.\"\n",
    );
    let (_, c) = coverage_count(&kb_arg(&f), None);
    let row = |id: &str| {
        c["reports"][0]["entries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["entry"] == id)
            .unwrap()
            .clone()
    };
    let gap = row("opening-hours");
    // Five phrasings: two declined with its note, one answered by the count entry (an
    // error), and two declined plainly: no wrong answer, yet not the gap's own reply.
    assert_eq!(
        (&gap["kept"], &gap["declined"], &gap["phrasings"]),
        (&Value::from(2), &Value::from(2), &Value::from(5)),
        "{gap}"
    );
    let out = factdesk(&["--knowledge", &kb_arg(&f), "kb", "lint"], None);
    assert!(
        stdout(&out).contains("0.40 (2/5) opening-hours (gap; 2 more declined, without its note)"),
        "{}",
        stdout(&out)
    );
    // An entry that is not a gap has no such count.
    let count = row("libraries-count");
    assert!(count.get("declined").is_none(), "{count}");
}

#[test]
fn a_word_of_the_reports_title_is_never_the_word_to_add() {
    // An evaluation report whose editor was told to add "port", "alder" (the town in its
    // title, "Coastal town of Port Alder votes to cap short-term rentals…") to entries.
    let f = Fixture::new();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    f.write(
        "vocabulary.toml",
        &std::fs::read_to_string(root.join("knowledge/vocabulary.toml")).unwrap(),
    );
    for file in ["report.toml", "article.txt", "entries.toml", "gaps.toml"] {
        let text = std::fs::read_to_string(root.join("eval/reports/rentals").join(file)).unwrap();
        f.write(&format!("rentals/{file}"), &text);
    }
    let out = factdesk(
        &[
            "--knowledge",
            &kb_arg(&f),
            "kb",
            "lint",
            "--report",
            "rentals",
        ],
        None,
    );
    let text = stdout(&out);
    let advice: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("fix: add phrasings to"))
        .collect();
    assert!(!advice.is_empty(), "{text}");
    for word in ["\"port\"", "\"alder\"", "\"short\"", "\"rentals\""] {
        assert!(
            !advice.iter().any(|l| l.contains(word)),
            "{word}: {advice:#?}"
        );
    }
}
