//! "Adding a report" (docs/adding-a-report.md), run as written: from a plain article file to an answer
//! in the running bot (against the fake Discord), through the hot reload, no restart.

mod fake_discord;

use std::path::Path;
use std::time::{Duration, Instant};

use factdesk::knowledge::KnowledgeBase;
use fake_discord::*;

fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/walkthrough")
        .join(name)
}

/// The built binary, as an editor runs it.
fn run(args: &[&str]) -> String {
    let out = output(args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "factdesk {args:?}: {stderr}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A run that must fail, with what it printed on standard error.
fn run_failing(args: &[&str]) -> String {
    let out = output(args);
    assert!(!out.status.success(), "factdesk {args:?} succeeded");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn output(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_factdesk"))
        .args(args)
        .env_remove("FACTDESK_KNOWLEDGE")
        .output()
        .expect("run factdesk")
}

#[tokio::test(flavor = "multi_thread")]
async fn from_an_article_file_to_an_answer_in_the_running_bot() {
    within(walk_through()).await;
}

async fn walk_through() {
    let dir = knowledge_copy();
    let kb_dir = dir.path().to_str().unwrap().to_string();
    let folder = dir.path().to_path_buf();
    let bot = Bot::start_logged(KnowledgeBase::load_dir(dir.path()).unwrap(), None, |s| {
        s.knowledge_dir = Some(folder);
        s.reload_poll = Duration::from_millis(100);
        s.repeat_window = Duration::ZERO;
    })
    .await;
    let question = "How much did the river park cost?";
    let before = bot.ask(question).await;
    assert!(!embed_text(&before).contains("12 million"), "{before}");

    // 1. Scaffold from the article file.
    let article = fixture("article.txt");
    let created = run(&[
        "--knowledge",
        &kb_dir,
        "report",
        "new",
        "river-park",
        "--article",
        article.to_str().unwrap(),
        "--attribution",
        "Northvale city hall",
        "--byline",
        "By Jo Park",
        "--outlet",
        "Northvale Courier",
        "--published",
        "2026-11-20",
        "--url",
        "https://example.org/river-park",
    ]);
    assert!(created.contains("4 paragraphs"), "{created}");
    // The hint repeats the folder, so it can be run as printed.
    assert!(
        created.contains(&format!("--knowledge {kb_dir}")),
        "{created}"
    );
    // 2. Three entries, and a question set. First with a quotation mark inside a
    // "…" string, the classic slip: validation says where and how to write it.
    let report = dir.path().join("river-park");
    let scaffold = std::fs::read_to_string(report.join("entries.toml")).unwrap();
    let fixed = std::fs::read_to_string(fixture("entries.toml")).unwrap();
    let broken = fixed.replace(
        "answer = \"The river park cost 12 million euros.\"",
        "answer = \"The \"river park\" cost 12 million euros.\"",
    );
    assert_ne!(broken, fixed);
    std::fs::write(report.join("entries.toml"), format!("{scaffold}{broken}")).unwrap();
    let error = run_failing(&["--knowledge", &kb_dir, "validate"]);
    let line = scaffold.lines().count()
        + broken
            .lines()
            .position(|l| l.contains("\"river park\""))
            .unwrap()
        + 1;
    assert!(
        error.contains(&format!("river-park/entries.toml:{line}:")),
        "names the file, line and column: {error}"
    );
    assert!(error.contains("'''"), "says how to write a quote: {error}");
    assert!(
        !error.contains("unknown related"),
        "no errors that only follow from the first: {error}"
    );
    std::fs::write(report.join("entries.toml"), format!("{scaffold}{fixed}")).unwrap();
    std::fs::copy(fixture("questions.jsonl"), report.join("questions.jsonl")).unwrap();
    // 3. Validate, coverage, eval.
    assert!(run(&["--knowledge", &kb_dir, "validate"]).contains("2 report(s)"));
    let coverage = run(&[
        "--knowledge",
        &kb_dir,
        "kb",
        "coverage",
        "--report",
        "river-park",
    ]);
    assert!(
        coverage.contains("paragraph 3: park-cost, park-funding"),
        "{coverage}"
    );
    assert!(coverage.contains("uncovered [name, quote]"), "{coverage}");
    let questions = report.join("questions.jsonl");
    let eval = run(&["--knowledge", &kb_dir, "eval", questions.to_str().unwrap()]);
    assert!(eval.contains("accuracy         1.000"), "{eval}");
    // The same, from a plain file an editor writes: question, tab, entry id.
    let plain = fixture("questions.tsv");
    let eval = run(&["--knowledge", &kb_dir, "eval", plain.to_str().unwrap()]);
    assert!(eval.contains("accuracy         1.000"), "{eval}");
    assert!(
        eval.contains("park-funding"),
        "where each question went: {eval}"
    );
    // "Who wrote this?" is answered from the byline, cited as the report's details.
    let byline = run(&[
        "--knowledge",
        &kb_dir,
        "ask",
        "--report",
        "river-park",
        "Who wrote this?",
    ]);
    assert!(byline.contains("is by Jo Park"), "{byline}");
    assert!(byline.contains("the report's details (byline)"), "{byline}");
    // `explain` says which rule decided, by entry id: here, a phrasing asked as written.
    let explained = run(&[
        "--knowledge",
        &kb_dir,
        "explain",
        "--report",
        "river-park",
        "how much did the river park cost",
    ]);
    assert!(
        explained.contains("answered with `park-cost`"),
        "{explained}"
    );
    assert!(explained.contains("word for word"), "{explained}");

    // 4. The running bot picked the report up by itself.
    let deadline = Instant::now() + Duration::from_secs(15);
    let answer = loop {
        let body = bot.ask(question).await;
        if embed_text(&body).contains("12 million euros") {
            break body;
        }
        assert!(
            Instant::now() < deadline,
            "never answered after the reload: {body}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let text = embed_text(&answer);
    // A claim the report contradicts gets "No" and the report's figure.
    let claim = bot.ask("Did the river park cost 20 million euros?").await;
    let claimed = embed_text(&claim);
    assert!(
        claimed.contains("No — the report says") && claimed.contains("12 million euros"),
        "{claim}"
    );
    assert!(text.contains("Northvale city hall"), "{text}");
    assert!(text.contains("2026-11-20"), "{text}");
    assert!(
        answer
            .to_string()
            .contains("https://example.org/river-park"),
        "{answer}"
    );

    // Moderators see the same to-do list in Discord.
    let user = bot.user.clone();
    let coverage = bot
        .interact(|id, tok| admin_command(id, tok, &user, "coverage", &[], None))
        .await;
    let content = coverage["data"]["content"].as_str().unwrap_or_default();
    assert!(
        content.contains("river\\-park") || content.contains("river-park"),
        "{coverage}"
    );
    assert!(
        content.contains("¶4:"),
        "the quote left to cover: {coverage}"
    );
    bot.stop().await;
}
