//! `eval` and `calibrate`: question files scored, and the confidence model fitted.

use std::io::Write;

use super::{quality, read_model, CalibrateArgs, CliError, EvalArgs};
use crate::desk::Desk;
use crate::eval::QuestionFile;
use crate::knowledge::KnowledgeBase;
use crate::matcher::{Calibration, Config, Growth};

pub(super) fn eval(
    mut kb: KnowledgeBase,
    args: EvalArgs,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    if args.with_generated > 0 {
        crate::knowledge::synthetic::add_synthetic(&mut kb, args.with_generated, 1_000);
    }
    if args.files.is_empty() && !args.leave_one_out {
        return Err(CliError::Input(
            "give question files to score, or --leave-one-out".into(),
        ));
    }
    let desk = Desk::new(kb);
    let mut config = if args.newsroom {
        Config::newsroom()
    } else {
        Config::DEFAULT
    };
    if let Some(p) = args.answer_at {
        config.answer_probability = p;
    }
    if let Some(path) = &args.model {
        // A one-shot command: the model lives as long as the process.
        config.calibration = Calibration::Model(Box::leak(Box::new(read_model(path)?)));
    }
    let report = args.report.as_deref();
    let options = quality::EvalOptions {
        report,
        config: &config,
        json: args.json,
        failures: !args.no_failures,
    };
    for file in &args.files {
        match QuestionFile::load(file, desk.knowledge())? {
            QuestionFile::Json(set) => {
                let result = if args.unseen {
                    crate::eval::run_unseen(&desk, &set, report, &config)?
                } else {
                    crate::eval::run(&desk, &set, report, &config)?
                };
                quality::print_evaluation(file, &result, &options, out)?;
            }
            QuestionFile::Plain(set) => {
                let result = if args.unseen {
                    crate::eval::plain::run_unseen(&desk, &set, report, &config)?
                } else {
                    crate::eval::plain::run(&desk, &set, report, &config)?
                };
                quality::print_plain(file, &result, &options, out)?;
            }
        }
    }
    if args.leave_one_out {
        quality::print_leave_one_out(&desk, &options, out)?;
    }
    Ok(())
}

pub(super) fn calibrate(
    kb: KnowledgeBase,
    args: CalibrateArgs,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    quality::calibrate(
        &Desk::new(kb),
        &quality::Fit {
            files: &args.fit,
            check: &args.check,
            left_out_weight: args.left_out_weight,
            growth: Growth {
                rounds: args.rounds,
                depth: args.depth,
                learning_rate: args.learning_rate,
                ..Growth::DEFAULT
            },
            write_to: args.out.as_deref(),
            each_left_out: args.each_left_out,
        },
        out,
    )
}
