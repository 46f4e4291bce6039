//! Shared helpers for the integration tests: fresh knowledge folders and a wrapper
//! around the built binary with readable assertions.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use std::io::Write as _;

pub fn repo_knowledge() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge")
}

pub fn second_report_fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/second-report/city-bikes")
}

/// A small, valid knowledge folder in a temporary directory, to be broken by a test.
pub struct Fixture {
    pub dir: tempfile::TempDir,
}

pub const ARTICLE: &str = "The town of Eastbrook will open 3 new libraries next year.\nThe mayor, Jo Park, said the plan costs 2 million euros.\nCritics say the money should go to roads.\n";

pub const ENTRIES: &str = r#"[[entry]]
id = "libraries-count"
topic = "The plan"
question = "How many libraries will Eastbrook open?"
variants = ["number of new libraries", "how many new libraries are planned", "libraries opening next year"]
keywords = ["libraries"]
answer = "Eastbrook plans to open 3 new libraries next year."
source = { paragraph = 1, quote = "will open 3 new libraries next year" }
related = ["libraries-cost"]

[[entry]]
id = "libraries-cost"
topic = "The plan"
question = "How much do the libraries cost?"
variants = ["what is the price of the library plan", "cost of the libraries", "how expensive is the plan"]
answer = "The mayor, Jo Park, put the cost at 2 million euros."
source = { paragraph = 2, quote = "the plan costs 2 million euros" }
related = ["libraries-count"]
"#;

pub const VOCABULARY: &str = r#"stop_words = ["the", "a", "how", "what", "is", "of", "do", "will"]
chitchat = ["hi", "thanks"]
[[answer_types]]
name = "amount"
required = true
cues = ["how many", "how much"]
[[synonyms]]
canonical = "cost"
terms = ["cost", "price", "expensive"]
"#;

impl Fixture {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let f = Fixture { dir };
        f.write("vocabulary.toml", VOCABULARY);
        f.write("town/report.toml", "id = \"town\"\ntitle = \"Eastbrook libraries\"\nattribution = \"The town council\"\nlanguage = \"en\"\n");
        f.write("town/article.txt", ARTICLE);
        f.write("town/entries.toml", ENTRIES);
        f
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn write(&self, rel: &str, text: &str) {
        let path = self.dir.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.dir.path().join(rel)).unwrap()
    }
}

/// Runs the factdesk binary with `args`, optional stdin, and no inherited knowledge setting.
pub fn factdesk(args: &[&str], stdin: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_factdesk"));
    cmd.args(args)
        .env_remove("FACTDESK_KNOWLEDGE")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("run factdesk");
    let mut pipe = child.stdin.take().unwrap();
    let input = stdin.unwrap_or("").to_string();
    let writer = std::thread::spawn(move || {
        let _ = pipe.write_all(input.as_bytes());
    });
    let out = child.wait_with_output().expect("wait for factdesk");
    writer.join().unwrap();
    out
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

/// A writable copy of the repository's knowledge folder.
pub fn knowledge_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary folder");
    copy_dir(&repo_knowledge(), dir.path());
    dir
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// A valid new entry for the bundled report, as a moderator would draft it.
pub fn speed_up_draft() -> factdesk::knowledge::additions::Draft {
    factdesk::knowledge::additions::Draft {
        report: "deport-one-million".into(),
        question: "Can the government speed deportations up at will?".into(),
        variants: vec![
            "can they just flip a switch and deport faster".into(),
            "is it possible to make deportations quick".into(),
            "how fast can removals be ramped up".into(),
        ],
        answer: "Not easily: a former migration commissioner said deporting people takes time and cannot simply be switched on.".into(),
        paragraph: "15".into(),
        quote: "That is not just a switch you can turn on".into(),
    }
}
