//! The README's "Adding a report", run as written: from a plain article file to an answer
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
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_factdesk"))
        .args(args)
        .env_remove("FACTDESK_KNOWLEDGE")
        .output()
        .expect("run factdesk");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "factdesk {args:?}: {stderr}");
    String::from_utf8_lossy(&out.stdout).into_owned()
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
        "--published",
        "2026-11-20",
        "--url",
        "https://example.org/river-park",
    ]);
    assert!(created.contains("4 paragraphs"), "{created}");
    // 2. Three entries, and a question set.
    let report = dir.path().join("river-park");
    let entries = std::fs::read_to_string(report.join("entries.toml")).unwrap()
        + &std::fs::read_to_string(fixture("entries.toml")).unwrap();
    std::fs::write(report.join("entries.toml"), entries).unwrap();
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
