//! `factdesk corpus`: the evaluation reports (`eval/reports/`), scored at first sight with
//! the model the bot ships, or each with a model fitted without it (leave one report
//! out), and the fit of the shipped model over every report.

use std::io::Write;
use std::path::Path;

use anyhow::Context as _;

use super::quality::{
    base_rows, fit_rows, write_failure, write_model, write_reliability, Rows, BINS,
};
use super::{read_model, CliError, CorpusCommand};
use crate::corpus::{self, Company, EvalReport};
use crate::desk::Desk;
use crate::eval::{self, Evaluation, Expect, QuestionSet, Tally};
use crate::knowledge::SourceFiles;
use crate::matcher::{Boosted, Calibration, Config, Growth, Reliability};

/// What every `corpus` command reads.
pub struct Corpus<'a> {
    /// The served knowledge (its vocabulary, and its reports when loaded beside).
    pub base: &'a SourceFiles,
    pub reports: Vec<EvalReport>,
    pub company: Company,
}

impl Corpus<'_> {
    fn desk(&self, report: &EvalReport, config: Config) -> Result<Desk, CliError> {
        let kb = corpus::knowledge(self.base, report, self.company)
            .map_err(|e| CliError::Input(e.to_string()))?;
        Ok(Desk::with_config(kb, config))
    }
}

/// One report's first-sight figures, in the default and the newsroom mode.
struct Scored {
    id: String,
    default: Evaluation,
    newsroom: Evaluation,
}

fn hard_negatives(e: &Evaluation) -> Tally {
    e.metrics
        .per_kind
        .get("hard_negative")
        .cloned()
        .unwrap_or_default()
}

/// Of the answerable questions, those for which `right` holds.
fn answerable(e: &Evaluation, right: impl Fn(&eval::Outcome) -> bool) -> Tally {
    let all: Vec<_> = e
        .outcomes
        .iter()
        .filter(|o| o.expect == Expect::Answer)
        .collect();
    Tally {
        correct: all.iter().filter(|o| right(o)).count(),
        total: all.len(),
    }
}

/// Answerable questions whose best candidate (the answer, or the first suggestion) is right.
fn first_choice(e: &Evaluation) -> Tally {
    answerable(e, |o| o.top_right == Some(true))
}

fn recall(e: &Evaluation) -> Tally {
    answerable(e, |o| o.verdict == eval::Verdict::Correct)
}

fn add(a: &mut Tally, b: &Tally) {
    a.correct += b.correct;
    a.total += b.total;
}

/// Pooled figures over several scored reports.
#[derive(Default)]
struct Pooled {
    items: usize,
    correct: usize,
    wrong: usize,
    recall: Tally,
    hard: Tally,
    first: Tally,
    newsroom_wrong: usize,
    newsroom_recall: Tally,
}

impl Pooled {
    fn add(&mut self, s: &Scored) {
        let m = &s.default.metrics;
        self.items += m.items;
        self.correct += correct(&s.default);
        self.wrong += m.wrong_answers;
        add(&mut self.recall, &recall(&s.default));
        add(&mut self.hard, &hard_negatives(&s.default));
        add(&mut self.first, &first_choice(&s.default));
        self.newsroom_wrong += s.newsroom.metrics.wrong_answers;
        add(&mut self.newsroom_recall, &recall(&s.newsroom));
    }
}

fn correct(e: &Evaluation) -> usize {
    e.outcomes
        .iter()
        .filter(|o| o.verdict == eval::Verdict::Correct)
        .count()
}

fn pct(n: usize, of: usize) -> f64 {
    100.0 * n as f64 / of.max(1) as f64
}

const HEADER: &str =
    "report              items  accuracy  recall  wrong        hard neg.  first choice  newsroom wrong / recall";

fn write_row(
    out: &mut dyn Write,
    id: &str,
    items: usize,
    correct: usize,
    wrong: usize,
    p: (&Tally, &Tally, &Tally, usize, &Tally),
) -> std::io::Result<()> {
    let (recall, hard, first, newsroom_wrong, newsroom_recall) = p;
    writeln!(
        out,
        "{id:<18} {items:>6}  {:>8.3}  {:>6.3}  {wrong:>3} ({:>4.1} %)  {:>3}/{:<3}    {:>5.1} %       {:>4.1} % / {:>4.1} %",
        correct as f64 / items.max(1) as f64,
        recall.rate(),
        pct(wrong, items),
        hard.correct,
        hard.total,
        100.0 * first.rate(),
        pct(newsroom_wrong, items),
        100.0 * newsroom_recall.rate(),
    )
}

fn write_scores(scored: &[Scored], out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(out, "{HEADER}")?;
    let mut pooled = Pooled::default();
    for s in scored {
        pooled.add(s);
        let m = &s.default.metrics;
        write_row(
            out,
            &s.id,
            m.items,
            correct(&s.default),
            m.wrong_answers,
            (
                &recall(&s.default),
                &hard_negatives(&s.default),
                &first_choice(&s.default),
                s.newsroom.metrics.wrong_answers,
                &recall(&s.newsroom),
            ),
        )?;
    }
    if scored.len() > 1 {
        write_row(
            out,
            "pooled",
            pooled.items,
            pooled.correct,
            pooled.wrong,
            (
                &pooled.recall,
                &pooled.hard,
                &pooled.first,
                pooled.newsroom_wrong,
                &pooled.newsroom_recall,
            ),
        )?;
    }
    let points: Vec<(f32, bool)> = scored
        .iter()
        .flat_map(|s| &s.default.outcomes)
        .filter_map(|o| o.top_right.map(|right| (o.confidence, right)))
        .collect();
    write_reliability(&Reliability::of(&points, BINS), out)
}

fn write_failures(s: &Scored, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(out, "\n== failures of {}", s.id)?;
    for o in s.default.failures() {
        write_failure(o, out)?;
    }
    Ok(())
}

fn score_one(
    corpus: &Corpus<'_>,
    report: &EvalReport,
    calibration: Calibration,
    answer_at: Option<f32>,
) -> Result<Scored, CliError> {
    let mut config = Config {
        calibration,
        ..Config::DEFAULT
    };
    if let Some(p) = answer_at {
        config.answer_probability = p;
    }
    let newsroom = Config {
        calibration,
        ..Config::newsroom()
    };
    let desk = corpus.desk(report, config)?;
    let set = QuestionSet::load(&report.questions())?;
    Ok(Scored {
        id: report.id.clone(),
        default: eval::run(&desk, &set, None, &config)?,
        newsroom: eval::run(&desk, &set, None, &newsroom)?,
    })
}

/// `corpus score`: every report's batch, answered as the bot would answer it now.
pub fn score(
    corpus: &Corpus<'_>,
    calibration: Calibration,
    answer_at: Option<f32>,
    failures: bool,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let scored = corpus
        .reports
        .iter()
        .map(|r| score_one(corpus, r, calibration, answer_at))
        .collect::<Result<Vec<_>, _>>()?;
    write_scores(&scored, out).context("writing output")?;
    if failures {
        for s in &scored {
            write_failures(s, out).context("writing output")?;
        }
    }
    Ok(())
}

/// A report's calibration rows: its batch asked as unseen, and its phrasings left out
/// at `left_out_weight`, all weighed by `weight`.
fn report_rows(
    corpus: &Corpus<'_>,
    report: &EvalReport,
    left_out_weight: f32,
    weight: f32,
) -> Result<Rows, CliError> {
    let desk = corpus.desk(report, Config::DEFAULT)?;
    let mut rows = fit_rows(&desk, &report.questions(), &Config::DEFAULT)?;
    for r in &mut rows {
        r.2 = weight;
    }
    let loo = eval::leave_one_out(&desk, None, &Config::DEFAULT);
    rows.extend(
        loo.calibration_rows()
            .into_iter()
            .map(|(f, r)| (f, r, left_out_weight * weight)),
    );
    Ok(rows)
}

/// How the model is fitted over the served reports' sets and the evaluation reports.
pub struct FitPlan<'a> {
    /// Rows of the served reports' question sets and phrasings (see `calibrate`).
    pub base_rows: Rows,
    pub left_out_weight: f32,
    /// Weight of one evaluation report's question against one of the served reports'.
    pub report_weight: f32,
    pub growth: Growth,
    pub write_to: Option<&'a Path>,
}

fn all_report_rows(corpus: &Corpus<'_>, plan: &FitPlan<'_>) -> Result<Vec<Rows>, CliError> {
    corpus
        .reports
        .iter()
        .map(|r| report_rows(corpus, r, plan.left_out_weight, plan.report_weight))
        .collect()
}

/// `corpus left-out`: each report scored as the bot would score it, by a model fitted on
/// the served reports' sets and every other evaluation report, never itself.
pub fn left_out(
    corpus: &Corpus<'_>,
    plan: &FitPlan<'_>,
    answer_at: Option<f32>,
    failures: bool,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let own = all_report_rows(corpus, plan)?;
    let mut scored = Vec::new();
    for (held, report) in corpus.reports.iter().enumerate() {
        let mut rows = plan.base_rows.clone();
        for (i, r) in own.iter().enumerate() {
            if i != held {
                rows.extend_from_slice(r);
            }
        }
        // A one-shot command: one small model per report, kept until the process ends.
        let model: &'static Boosted = Box::leak(Box::new(Boosted::fit(&rows, plan.growth)));
        scored.push(score_one(
            corpus,
            report,
            Calibration::Model(model),
            answer_at,
        )?);
    }
    writeln!(
        out,
        "each of {} reports scored by a model fitted without it:",
        scored.len()
    )
    .context("writing output")?;
    write_scores(&scored, out).context("writing output")?;
    if failures {
        for s in &scored {
            write_failures(s, out).context("writing output")?;
        }
    }
    Ok(())
}

/// `corpus fit`: the model over the served reports' sets and every evaluation report.
pub fn fit(corpus: &Corpus<'_>, plan: &FitPlan<'_>, out: &mut dyn Write) -> Result<(), CliError> {
    let mut rows = plan.base_rows.clone();
    for r in all_report_rows(corpus, plan)? {
        rows.extend(r);
    }
    let model = Boosted::fit(&rows, plan.growth);
    write_model(&model, plan.write_to, out)?;
    writeln!(
        out,
        "fitted {} trees on {} rows ({} right) from the served reports and {} evaluation reports",
        model.trees.len(),
        rows.len(),
        rows.iter().filter(|(_, r, _)| *r).count(),
        corpus.reports.len()
    )
    .context("writing output")?;
    Ok(())
}

/// The evaluation reports under `dir`, or only those named.
pub fn discover(dir: &Path, only: &[String]) -> Result<Vec<EvalReport>, CliError> {
    let mut found = corpus::discover(dir).map_err(|e| CliError::Input(e.to_string()))?;
    if !only.is_empty() {
        for id in only {
            if !found.iter().any(|r| &r.id == id) {
                return Err(CliError::Input(format!(
                    "no evaluation report `{id}` in {}",
                    dir.display()
                )));
            }
        }
        found.retain(|r| only.contains(&r.id));
    }
    Ok(found)
}

/// The served knowledge's files: the folder given or found, else the built-in copy.
pub fn base_files(flag: Option<&Path>) -> Result<SourceFiles, CliError> {
    match crate::desk::knowledge_location(flag) {
        Some(dir) => SourceFiles::read_dir(&dir)
            .with_context(|| format!("reading {}", dir.display()))
            .map_err(CliError::Other),
        None => Ok(crate::knowledge::bundled_files()),
    }
}

/// Runs before the served knowledge is loaded: each report brings its own.
pub fn run(
    flag: Option<&Path>,
    command: CorpusCommand,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let base = base_files(flag)?;
    let (args, fit, write_to) = match &command {
        CorpusCommand::Score { corpus, .. } => (corpus, None, None),
        CorpusCommand::LeftOut { corpus, fit, .. } => (corpus, Some(fit), None),
        CorpusCommand::Fit { corpus, fit, out } => (corpus, Some(fit), out.as_deref()),
    };
    let reports = discover(&args.reports, &args.only)?;
    let set = Corpus {
        base: &base,
        reports,
        company: if args.beside {
            Company::Beside
        } else {
            Company::Alone
        },
    };
    let plan = match fit {
        Some(fit) => {
            let served = Desk::new(crate::desk::load_knowledge(flag)?);
            Some(FitPlan {
                base_rows: base_rows(&served, &fit.fit, fit.left_out_weight)?,
                left_out_weight: fit.left_out_weight,
                report_weight: fit.report_weight,
                growth: Growth {
                    rounds: fit.rounds,
                    depth: fit.depth,
                    ..Growth::DEFAULT
                },
                write_to,
            })
        }
        None => None,
    };
    match (&command, plan) {
        (
            CorpusCommand::Score {
                model, answer_at, ..
            },
            _,
        ) => {
            let calibration = match model {
                Some(path) => Calibration::Model(Box::leak(Box::new(read_model(path)?))),
                None => Calibration::Fitted,
            };
            score(&set, calibration, *answer_at, args.failures, out)
        }
        (CorpusCommand::LeftOut { answer_at, .. }, Some(plan)) => {
            left_out(&set, &plan, *answer_at, args.failures, out)
        }
        (CorpusCommand::Fit { .. }, Some(plan)) => self::fit(&set, &plan, out),
        _ => unreachable!("a plan is made for every fitting command"),
    }
}
