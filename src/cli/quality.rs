//! The answer-quality commands: `eval` (with the reliability table), `calibrate` and
//! `kb lint`.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context as _;

use super::CliError;
use crate::authoring::diagnose;
use crate::desk::Desk;
use crate::eval::plain::{Did, PlainEvaluation, Routed};
use crate::eval::{self, Evaluation, QuestionSet, Verdict};
use crate::matcher::{Boosted, Calibration, Config, Features, Growth, Reliability};

/// Bins of the reliability table.
pub(super) const BINS: usize = 10;

/// Calibration rows: what the scorer measured, whether answering was right, and weight.
pub(super) type Rows = Vec<(Features, bool, f32)>;

pub struct EvalOptions<'a> {
    pub report: Option<&'a str>,
    pub config: &'a Config,
    pub json: bool,
    pub failures: bool,
}

pub fn print_evaluation(
    file: &Path,
    result: &Evaluation,
    options: &EvalOptions<'_>,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    if options.json {
        serde_json::to_writer(&mut *out, result).context("writing output")?;
        writeln!(out).context("writing output")?;
        return Ok(());
    }
    writeln!(out, "== {}", file.display()).context("writing output")?;
    write_evaluation(result, options.failures, out).context("writing output")?;
    Ok(())
}

/// A plain file scored: with `--json` one object per question, then one with the figures.
pub fn print_plain(
    file: &Path,
    result: &PlainEvaluation,
    options: &EvalOptions<'_>,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let mut text = Vec::new();
    if options.json {
        for routed in &result.routed {
            serde_json::to_writer(&mut text, routed).context("writing output")?;
            writeln!(text).context("writing output")?;
        }
        let summary = serde_json::json!({"file": file.display().to_string(), "metrics": result.evaluation.metrics});
        writeln!(text, "{summary}").context("writing output")?;
    } else {
        write_plain(file, result, options.failures, &mut text).context("writing output")?;
    }
    out.write_all(&text).context("writing output")?;
    Ok(())
}

fn write_plain(
    file: &Path,
    result: &PlainEvaluation,
    failures: bool,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    writeln!(out, "== {}", file.display())?;
    write_metrics(&result.evaluation.metrics, out)?;
    let (reached, declined) = result.gaps_reached();
    if declined > 0 {
        writeln!(
            out,
            "  gaps reached   {reached} of the {declined} declined with a gap expected"
        )?;
    }
    write_reliability(&result.evaluation.reliability(BINS), out)?;
    if !failures {
        return Ok(());
    }
    writeln!(out, "\nwhere each question went:")?;
    for r in &result.routed {
        let verdict = match r.verdict {
            Verdict::Correct => "right",
            Verdict::Wrong => "WRONG",
            Verdict::Missed => "missed",
        };
        writeln!(
            out,
            "  {verdict:<6} line {:<4} {}  → {}",
            r.line,
            r.question,
            did(&r.did)
        )?;
    }
    let failed: Vec<_> = result.failures().collect();
    if failed.is_empty() {
        return Ok(());
    }
    writeln!(out, "\nfailures:")?;
    for r in failed {
        write_routed_failure(r, out)?;
    }
    Ok(())
}

/// What the bot did, in a few words.
fn did(d: &Did) -> String {
    match d {
        Did::Answered { entry, confidence } => format!("answered `{entry}` at {confidence:.2}"),
        Did::Suggested { entries } => format!("suggested {}", ids(entries)),
        Did::Declined { gap: Some(gap) } => format!("declined with gap `{gap}`"),
        Did::Declined { gap: None } => "declined".into(),
    }
}

fn ids(ids: &[String]) -> String {
    if ids.is_empty() {
        return "nothing".into();
    }
    ids.iter()
        .map(|i| format!("`{i}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// One question that went astray: expected, done, and for a wrong answer what pulled it.
fn write_routed_failure(r: &Routed, out: &mut dyn Write) -> std::io::Result<()> {
    let verdict = if r.verdict == Verdict::Wrong {
        "wrong"
    } else {
        "missed"
    };
    writeln!(out, "  line {}, {verdict}: {}", r.line, r.question)?;
    let expected = match (&r.expected, r.expect) {
        (None, _) => "declined (`-`)".to_string(),
        (Some(id), eval::Expect::Decline) => format!("declined, with gap `{id}`"),
        (Some(id), eval::Expect::Answer) => format!("answered with `{id}`"),
    };
    writeln!(out, "      expected   {expected}")?;
    writeln!(out, "      bot        {}", did(&r.did))?;
    let Did::Answered { entry, .. } = &r.did else {
        return Ok(());
    };
    let words = r
        .pulled_by
        .iter()
        .map(|w| format!("\"{w}\""))
        .collect::<Vec<_>>()
        .join(", ");
    match (&r.expected, words.is_empty()) {
        (Some(expected), false) => writeln!(
            out,
            "      pulled by  {words}: in `{entry}`'s phrasings, not in `{expected}`'s"
        )?,
        (None, false) => writeln!(out, "      pulled by  {words}: in `{entry}`'s phrasings")?,
        (Some(expected), true) => writeln!(
            out,
            "      pulled by  no word that only its phrasings have: the words it shares with `{expected}` count more for `{entry}` (more of its phrasings use them)"
        )?,
        (None, true) => writeln!(
            out,
            "      pulled by  no word of `{entry}`'s phrasings: the question matched its answer text"
        )?,
    }
    if let Some(p) = &r.closest_phrasing {
        writeln!(out, "      closest    \"{p}\" (a phrasing of `{entry}`)")?;
    }
    Ok(())
}

fn write_metrics(m: &eval::Metrics, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(out, "items            {}", m.items)?;
    writeln!(out, "accuracy         {:.3}", m.accuracy)?;
    writeln!(out, "answer recall    {:.3}", m.answer_recall)?;
    writeln!(out, "decline accuracy {:.3}", m.decline_accuracy)?;
    writeln!(
        out,
        "wrong answers    {:.3} ({})",
        m.wrong_answer_rate, m.wrong_answers
    )?;
    writeln!(
        out,
        "matching time    mean {:.1} µs, p99 {:.1} µs",
        m.mean_micros, m.p99_micros
    )?;
    writeln!(out, "\nper kind:")?;
    for (kind, t) in &m.per_kind {
        writeln!(
            out,
            "  {kind:<14} {:.2} ({}/{})",
            t.rate(),
            t.correct,
            t.total
        )?;
    }
    Ok(())
}

/// Confidence bins against the share right, and the expected calibration error.
pub fn write_reliability(r: &Reliability, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(
        out,
        "\nreliability (questions whose best candidate is an answer):"
    )?;
    writeln!(out, "  confidence   count  mean conf  share right")?;
    for (low, high, count, mean, right) in &r.bins {
        if *count == 0 {
            continue;
        }
        writeln!(
            out,
            "  {low:.1}–{high:.1}    {count:>5}  {mean:>9.3}  {right:>11.3}"
        )?;
    }
    writeln!(out, "  expected calibration error {:.3}", r.ece)
}

fn write_evaluation(
    result: &Evaluation,
    failures: bool,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    write_metrics(&result.metrics, out)?;
    write_reliability(&result.reliability(BINS), out)?;
    let failed: Vec<_> = result.failures().collect();
    if !failures || failed.is_empty() {
        return Ok(());
    }
    writeln!(out, "\nfailures:")?;
    for o in failed {
        write_failure(o, out)?;
    }
    Ok(())
}

/// One failed question: what was expected, what was given, the question and the answer.
pub(super) fn write_failure(o: &eval::Outcome, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(
        out,
        "  {} [{}] {:?} expected {:?}, got {} {} ({:.2})\n      q: {}\n      a: {}",
        o.id,
        o.kind,
        o.verdict,
        o.expect,
        o.status.as_str(),
        o.entry.as_deref().unwrap_or("-"),
        o.confidence,
        o.question,
        o.answer.as_deref().unwrap_or("-"),
    )
}

fn report_index(desk: &Desk, report: Option<&str>) -> Result<Option<usize>, CliError> {
    Ok(desk.report_filter(report)?)
}

pub fn print_leave_one_out(
    desk: &Desk,
    options: &EvalOptions<'_>,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let filter = report_index(desk, options.report)?;
    let loo = eval::leave_one_out(desk, filter, options.config);
    if options.json {
        serde_json::to_writer(&mut *out, &loo).context("writing output")?;
        writeln!(out).context("writing output")?;
        return Ok(());
    }
    let mut text = Vec::new();
    writeln!(text, "== every phrasing, left out in turn").ok();
    write_metrics(&loo.metrics, &mut text).ok();
    write_reliability(&loo.reliability(BINS), &mut text).ok();
    writeln!(text, "\nper entry (right / phrasings):").ok();
    for (entry, t) in &loo.per_entry {
        writeln!(
            text,
            "  {entry:<34} {:.2} ({}/{})",
            t.rate(),
            t.correct,
            t.total
        )
        .ok();
    }
    out.write_all(&text).context("writing output")?;
    Ok(())
}

/// What `factdesk calibrate` fits on, how, and where the model goes.
pub struct Fit<'a> {
    pub files: &'a [PathBuf],
    pub check: &'a [PathBuf],
    pub left_out_weight: f32,
    pub growth: Growth,
    pub write_to: Option<&'a Path>,
    /// Score each check file with a model fitted without it (see [`each_left_out`]).
    pub each_left_out: bool,
}

pub fn calibrate(desk: &Desk, fit: &Fit<'_>, out: &mut dyn Write) -> Result<(), CliError> {
    let Fit {
        files: fit,
        check,
        left_out_weight,
        growth,
        write_to,
        each_left_out: each,
    } = *fit;
    let config = Config::DEFAULT;
    let rows = base_rows(desk, fit, left_out_weight)?;
    if each {
        return each_left_out(desk, &rows, check, growth, out);
    }
    let model = Boosted::fit(&rows, growth);
    write_model(&model, write_to, out)?;
    writeln!(
        out,
        "fitted {} trees on {} questions' best candidates ({} right)",
        model.trees.len(),
        rows.len(),
        rows.iter().filter(|(_, r, _)| *r).count()
    )
    .context("writing output")?;
    // A one-shot command: the model lives as long as the process.
    let model: &'static Boosted = Box::leak(Box::new(model));
    let fitted = Config {
        calibration: Calibration::Model(model),
        ..config
    };
    for file in check {
        let set = QuestionSet::load(file)?;
        let result = eval::run_unseen(desk, &set, None, &fitted)?;
        writeln!(out, "\n== checked on {}", file.display()).context("writing output")?;
        write_reliability(&result.reliability(BINS), out).context("writing output")?;
        for threshold in [0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95] {
            let (answered, wrong) = answered_at(&result, threshold);
            writeln!(
                out,
                "  answer at P ≥ {threshold:.2}: {answered} answered, {wrong} wrong ({:.1} % of {})",
                100.0 * wrong as f64 / result.outcomes.len().max(1) as f64,
                result.outcomes.len()
            )
            .context("writing output")?;
        }
    }
    Ok(())
}

/// Writes a fitted model to `path`, or prints it when there is none.
pub(super) fn write_model(
    model: &Boosted,
    path: Option<&Path>,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let json = serde_json::to_string(model).context("writing the model")?;
    match path {
        Some(path) => std::fs::write(path, format!("{json}\n"))
            .with_context(|| format!("writing {}", path.display()))?,
        None => writeln!(out, "{json}").context("writing output")?,
    }
    Ok(())
}

/// The rows of question files asked against `desk`, and of its phrasings left out.
pub(super) fn base_rows(
    desk: &Desk,
    files: &[PathBuf],
    left_out_weight: f32,
) -> Result<Rows, CliError> {
    let config = Config::DEFAULT;
    let mut rows = Rows::new();
    for file in files {
        rows.extend(fit_rows(desk, file, &config)?);
    }
    // Phrasings left out are many, terse and written to one entry each: unlike what
    // people type. Weighed down, they inform the fit without outvoting the question sets.
    let loo = eval::leave_one_out(desk, None, &config);
    rows.extend(
        loo.calibration_rows()
            .into_iter()
            .map(|(f, r)| (f, r, left_out_weight)),
    );
    Ok(rows)
}

/// A question file's calibration rows, its questions asked as unseen: a set adopted as
/// phrasings would otherwise teach the model that its own questions are certain.
pub(super) fn fit_rows(desk: &Desk, file: &Path, config: &Config) -> Result<Rows, CliError> {
    let set = QuestionSet::load(file)?;
    let result = eval::run_unseen(desk, &set, None, config)?;
    Ok(result
        .calibration_rows()
        .into_iter()
        .map(|(f, r)| (f, r, 1.0))
        .collect())
}

/// Thresholds `calibrate --each-left-out` scores at.
const THRESHOLDS: [f32; 6] = [0.65, 0.7, 0.75, 0.8, 0.85, 0.9];

/// Leave one set out, exactly: each check file is scored as the bot would score it, at each
/// threshold, with a model fitted on `rows` and the other check files. What the thresholds
/// in `matcher::Config` are read from, and the reliability on sets not fitted on.
fn each_left_out(
    desk: &Desk,
    rows: &[(Features, bool, f32)],
    check: &[PathBuf],
    growth: Growth,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let config = Config::DEFAULT;
    let own: Vec<Vec<(Features, bool, f32)>> = check
        .iter()
        .map(|file| fit_rows(desk, file, &config))
        .collect::<Result<_, _>>()?;
    // Per threshold: items, correct, wrong, files meeting the bar (≥ 0.92, ≤ 2 % wrong).
    let mut totals = [(0usize, 0usize, 0usize, 0usize); THRESHOLDS.len()];
    let mut points: Vec<(f32, bool)> = Vec::new();
    for (held, file) in check.iter().enumerate() {
        let mut fitted_rows = rows.to_vec();
        for (i, r) in own.iter().enumerate() {
            if i != held {
                fitted_rows.extend_from_slice(r);
            }
        }
        // A one-shot command: one small model per set, kept until the process ends.
        let model: &'static Boosted = Box::leak(Box::new(Boosted::fit(&fitted_rows, growth)));
        let set = QuestionSet::load(file)?;
        for (t, &threshold) in THRESHOLDS.iter().enumerate() {
            let scored = Config {
                calibration: Calibration::Model(model),
                answer_probability: threshold,
                ..config
            };
            let result = eval::run(desk, &set, None, &scored)?;
            let m = &result.metrics;
            let correct = (m.accuracy * m.items as f64).round() as usize;
            let total = &mut totals[t];
            total.0 += m.items;
            total.1 += correct;
            total.2 += m.wrong_answers;
            if m.accuracy >= 0.92 && m.wrong_answer_rate <= 0.02 {
                total.3 += 1;
            }
            if threshold == config.answer_probability {
                points.extend(
                    result
                        .outcomes
                        .iter()
                        .filter_map(|o| o.top_right.map(|right| (o.confidence, right))),
                );
            }
        }
    }
    writeln!(
        out,
        "each of {} sets scored by a model fitted without it:",
        check.len()
    )
    .context("writing output")?;
    for (t, (items, correct, wrong, passing)) in totals.iter().enumerate() {
        writeln!(
            out,
            "  answer at P ≥ {:.2}: accuracy {:.3}, {wrong} wrong ({:.2} %), {passing} of {} sets at ≥ 0.92 with ≤ 2 % wrong",
            THRESHOLDS[t],
            *correct as f64 / (*items).max(1) as f64,
            100.0 * *wrong as f64 / (*items).max(1) as f64,
            check.len()
        )
        .context("writing output")?;
    }
    write_reliability(&Reliability::of(&points, BINS), out).context("writing output")?;
    Ok(())
}

/// Questions that would be answered at a probability threshold, and how many wrongly.
fn answered_at(result: &Evaluation, threshold: f32) -> (usize, usize) {
    let answered: Vec<_> = result
        .outcomes
        .iter()
        .filter(|o| o.top_right.is_some() && o.confidence >= threshold)
        .collect();
    let wrong = answered
        .iter()
        .filter(|o| o.top_right == Some(false))
        .count();
    (answered.len(), wrong)
}

/// Each report's collisions and estimated answer rates (see [`crate::authoring::diagnosis`]),
/// then the count against the limit: exit status 1 when there are more than `max_collisions`.
pub fn lint(
    desk: &Desk,
    report: Option<&str>,
    max_collisions: usize,
    focus: &crate::authoring::diagnosis::Focus,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let filter = report_index(desk, report)?;
    let kb = desk.knowledge();
    if let Some(id) = focus.entry.as_deref().filter(|id| kb.entry(id).is_none()) {
        return Err(CliError::Input(format!(
            "no entry or gap `{id}` here: `factdesk kb export` lists the ids"
        )));
    }
    let mut text = String::new();
    let (mut found, mut errors, mut kept, mut phrasings) = (0, 0, 0, 0);
    for (r, served) in kb.reports.iter().enumerate() {
        if filter.is_some_and(|only| only != r) {
            continue;
        }
        let d = diagnose(desk, r);
        text.push_str(&format!("report {}\n{}", served.id, d.focused(focus)));
        let attractors = d.attractors();
        let shown = attractors
            .iter()
            .filter(|(entry, _)| focus.entry.as_deref().is_none_or(|id| id == *entry));
        for (entry, n) in shown {
            text.push_str(&format!(
                "  warning: `{entry}` is offered or answered for {n} phrasings of other entries: give its phrasings the words that make it different, or those entries the words they lack\n"
            ));
        }
        let silent = d
            .silent
            .iter()
            .filter(|(entry, _)| focus.entry.as_deref().is_none_or(|id| id == entry));
        for (entry, phrasing) in silent {
            text.push_str(&format!(
                "  warning: `{entry}`: \"{phrasing}\" has no word the matcher reads (every word is a stop word): it never finds this entry, even typed word for word; add a word of the fact (\"when will the network be done\")\n"
            ));
        }
        let analyzer = desk.matcher().analyzer();
        // A report synonym is an alias of one term: a phrase is left out, or read as its
        // one word that is not a stop word ("put down" as "put"), so say which.
        for group in &served.synonyms {
            for term in group
                .terms
                .iter()
                .filter(|t| t.split_whitespace().count() > 1)
            {
                let read = analyzer.terms(term);
                let what = match read.as_slice() {
                    [one] if one.words.split_whitespace().count() == 1 => {
                        format!("is read as \"{}\" alone", one.words)
                    }
                    [_] => continue,
                    _ => "is not used".to_string(),
                };
                text.push_str(&format!(
                    "  warning: the report synonym \"{term}\" (group `{}`, {}/vocabulary.toml) has several words and {what}: a synonym is one word; put the phrase in a phrasing instead\n",
                    group.canonical, served.id
                ));
            }
            // A word of a shared group is read as that group: the report group then
            // joins the two, and every word of the shared one finds this group's entries.
            for term in group
                .terms
                .iter()
                .filter(|t| t.split_whitespace().count() == 1)
            {
                if let [one] = analyzer.terms(term).as_slice() {
                    if one.concept && one.key != group.canonical {
                        text.push_str(&format!(
                            "  warning: the report synonym \"{term}\" (group `{}`, {}/vocabulary.toml) is a word of the shared group `{}`: in this report every word of that group also finds `{}`'s entries (`explain \"{term}\"` shows the reading); pick another word, or keep it if the two meanings cannot meet here\n",
                            group.canonical, served.id, one.key, group.canonical
                        ));
                    }
                }
            }
        }
        found += d.collisions.len();
        errors += d.errors();
        kept += d.kept;
        phrasings += d.phrasings;
    }
    text.push_str(&format!(
        "{found} collision(s) ({errors} answer with another entry, {} offer one first), at most {max_collisions} allowed; estimated answer rate {:.2} over {phrasings} phrasings\n",
        found - errors,
        kept as f64 / phrasings.max(1) as f64
    ));
    write!(out, "{text}").context("writing output")?;
    if found > max_collisions {
        Err(CliError::Lint {
            found,
            allowed: max_collisions,
        })
    } else {
        Ok(())
    }
}
