//! The evaluation reports (`eval/reports/`): `factdesk corpus` scores them alone and
//! beside the served report, leaves one out of the fit, and writes a model; and the
//! pooled figures are guarded just under what the shipped matcher scores on them.

mod util;

use util::*;

/// Regression guard over every evaluation report, alone: just under what the shipped
/// matcher scores on these (now fitted-on) reports. Not a measure of quality; the first
/// scores in docs/quality-log.md are.
const MIN_POOLED_ACCURACY: f64 = 0.70;
const MAX_POOLED_WRONG: f64 = 0.07;

/// The `pooled` row of `corpus score`: (items, accuracy, wrong answers).
fn pooled(text: &str) -> (usize, f64, usize) {
    let row = text
        .lines()
        .find(|l| l.starts_with("pooled"))
        .unwrap_or_else(|| panic!("no pooled row in:\n{text}"));
    let cols: Vec<&str> = row.split_whitespace().collect();
    let wrong = cols[4].parse().unwrap();
    (cols[1].parse().unwrap(), cols[2].parse().unwrap(), wrong)
}

#[test]
fn every_evaluation_report_scores_alone_and_beside_the_served_report() {
    let reports = std::fs::read_dir(format!("{}/eval/reports", env!("CARGO_MANIFEST_DIR")))
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().join("blind.jsonl").is_file())
        .count();
    assert!(
        reports >= 6,
        "at least six evaluation reports, found {reports}"
    );
    for beside in [false, true] {
        let mut args = vec!["corpus", "score"];
        if beside {
            args.push("--beside");
        }
        let out = factdesk(&args, None);
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        let text = stdout(&out);
        let (items, accuracy, wrong) = pooled(&text);
        assert_eq!(items, reports * 80, "{text}");
        assert!(
            accuracy >= MIN_POOLED_ACCURACY,
            "beside {beside}: accuracy {accuracy}\n{text}"
        );
        assert!(
            wrong as f64 / items as f64 <= MAX_POOLED_WRONG,
            "beside {beside}: {wrong} wrong\n{text}"
        );
        assert!(text.contains("expected calibration error"), "{text}");
    }
}

#[test]
fn one_report_is_scored_by_a_model_fitted_without_it() {
    let out = factdesk(
        &[
            "corpus",
            "left-out",
            "--only",
            "health",
            "--only",
            "sport",
            "--fit",
            "knowledge/deport-one-million/questions.jsonl",
        ],
        None,
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.starts_with("each of 2 reports scored by a model fitted without it"),
        "{text}"
    );
    assert!(text.lines().any(|l| l.starts_with("health ")), "{text}");
    assert!(text.lines().any(|l| l.starts_with("sport ")), "{text}");
    let (items, accuracy, _) = pooled(&text);
    assert_eq!(items, 160);
    assert!(accuracy > 0.5, "{text}");
}

#[test]
fn a_fitted_model_is_written_and_scores_as_the_bot_would() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("model.json");
    let model_arg = model.to_str().unwrap();
    let out = factdesk(
        &[
            "corpus",
            "fit",
            "--only",
            "court",
            "--fit",
            "knowledge/deport-one-million/questions.jsonl",
            "--out",
            model_arg,
        ],
        None,
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stdout(&out).contains("1 evaluation reports"),
        "{}",
        stdout(&out)
    );
    let written = std::fs::read_to_string(&model).unwrap();
    assert!(written.starts_with('{'), "{written}");
    let out = factdesk(
        &["corpus", "score", "--only", "court", "--model", model_arg],
        None,
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stdout(&out).lines().any(|l| l.starts_with("court ")));
}

#[test]
fn an_unknown_report_or_folder_is_named_in_the_error() {
    let out = factdesk(&["corpus", "score", "--only", "nowhere"], None);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("`nowhere`"), "{}", stderr(&out));
    let dir = tempfile::tempdir().unwrap();
    let out = factdesk(
        &["corpus", "score", "--reports", dir.path().to_str().unwrap()],
        None,
    );
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("no evaluation report"),
        "{}",
        stderr(&out)
    );
}
