//! Reload under load: questions asked without pause while the knowledge base is reloaded
//! 100 times (every fifth time from a broken folder) are all answered, never from a
//! half-loaded or broken knowledge base.

mod util;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use arc_swap::ArcSwap;
use factdesk::desk::Desk;
use factdesk::discord::admin::reload_knowledge;
use factdesk::knowledge::KnowledgeBase;
use factdesk::reply::Status;
use util::*;

const RELOADS: usize = 100;
const QUESTIONS: [&str; 3] = [
    "How many people does the administration want to deport?",
    "who is doris meissner",
    "how many migrants are in the US right now?",
];

#[test]
fn questions_during_100_reloads_are_all_answered() {
    let dir = tempfile::tempdir().unwrap();
    for rel in [
        "vocabulary.toml",
        "deport-one-million/report.toml",
        "deport-one-million/article.txt",
        "deport-one-million/entries.toml",
        "deport-one-million/gaps.toml",
    ] {
        let target = dir.path().join(rel);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::copy(repo_knowledge().join(rel), target).unwrap();
    }
    let entries = dir.path().join("deport-one-million/entries.toml");
    let good = std::fs::read_to_string(&entries).unwrap();
    let desk = Arc::new(ArcSwap::from_pointee(Desk::new(
        KnowledgeBase::load_dir(dir.path()).unwrap(),
    )));
    let stop = Arc::new(AtomicBool::new(false));
    let asked = Arc::new(AtomicUsize::new(0));

    let askers: Vec<_> = (0..2)
        .map(|n| {
            let (desk, stop, asked) = (desk.clone(), stop.clone(), asked.clone());
            std::thread::spawn(move || {
                let mut i = n;
                while !stop.load(Ordering::Relaxed) {
                    let q = QUESTIONS[i % QUESTIONS.len()];
                    let reply = desk.load().ask(q, None).unwrap();
                    assert_eq!(
                        reply.status,
                        Status::Answered,
                        "{q:?} during a reload: {reply:?}"
                    );
                    asked.fetch_add(1, Ordering::Relaxed);
                    i += 1;
                }
            })
        })
        .collect();

    let mut refused = 0;
    for n in 0..RELOADS {
        if n % 5 == 4 {
            std::fs::write(&entries, good.replace("paragraph = 2", "paragraph = 99")).unwrap();
            assert!(
                reload_knowledge(&desk, dir.path()).is_err(),
                "a broken folder must be refused"
            );
            refused += 1;
        } else {
            std::fs::write(&entries, &good).unwrap();
            reload_knowledge(&desk, dir.path()).expect("a valid folder reloads");
        }
    }
    stop.store(true, Ordering::Relaxed);
    for a in askers {
        a.join().expect("no question failed during reloads");
    }
    assert_eq!(refused, RELOADS / 5);
    assert!(
        asked.load(Ordering::Relaxed) > RELOADS,
        "questions kept flowing: {}",
        asked.load(Ordering::Relaxed)
    );
    // After a refused reload the last good knowledge base still serves.
    std::fs::write(&entries, good.replace("paragraph = 2", "paragraph = 99")).unwrap();
    assert!(reload_knowledge(&desk, dir.path()).is_err());
    assert_eq!(
        desk.load().ask(QUESTIONS[0], None).unwrap().status,
        Status::Answered
    );
}
