//! The command line's error: what went wrong, and the exit status it deserves.

use std::process::ExitCode;

use crate::eval;
use crate::knowledge::LoadError;

/// An error with the exit status it deserves: 2 for bad input or knowledge, 1 otherwise.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("{0}")]
    Input(String),
    #[error(transparent)]
    Knowledge(#[from] LoadError),
    #[error("{found} collision(s), more than the {allowed} allowed: follow the `fix:` lines above, or pass --max-collisions {found} to accept them")]
    Lint { found: usize, allowed: usize },
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

impl CliError {
    /// Writing failed because the reader of the output went away.
    pub fn is_closed_pipe(&self) -> bool {
        let CliError::Other(err) = self else {
            return false;
        };
        // JSON output fails inside serde_json, which keeps the I/O error's kind.
        err.chain().any(|cause| {
            let kind = cause
                .downcast_ref::<std::io::Error>()
                .map(std::io::Error::kind)
                .or_else(|| {
                    cause
                        .downcast_ref::<serde_json::Error>()
                        .and_then(serde_json::Error::io_error_kind)
                });
            kind == Some(std::io::ErrorKind::BrokenPipe)
        })
    }

    pub fn exit_code(&self) -> ExitCode {
        match self {
            CliError::Input(_) | CliError::Knowledge(_) => ExitCode::from(2),
            CliError::Other(_) | CliError::Lint { .. } => ExitCode::from(1),
        }
    }
}

impl From<crate::desk::AskError> for CliError {
    fn from(e: crate::desk::AskError) -> Self {
        CliError::Input(e.to_string())
    }
}

impl From<eval::EvalError> for CliError {
    fn from(e: eval::EvalError) -> Self {
        match e {
            eval::EvalError::Io { .. } => CliError::Other(e.into()),
            _ => CliError::Input(e.to_string()),
        }
    }
}

impl From<crate::knowledge::merge::MergeError> for CliError {
    fn from(e: crate::knowledge::merge::MergeError) -> Self {
        use crate::knowledge::merge::MergeError as M;
        match e {
            M::Read { .. } | M::Write { .. } => CliError::Other(e.into()),
            _ => CliError::Input(e.to_string()),
        }
    }
}

impl From<crate::curation::CurateError> for CliError {
    fn from(e: crate::curation::CurateError) -> Self {
        use crate::curation::CurateError as C;
        use crate::knowledge::additions::CurationError as A;
        match e {
            C::Store(_) | C::Addition(A::Read { .. } | A::Write { .. }) => {
                CliError::Other(e.into())
            }
            _ => CliError::Input(e.to_string()),
        }
    }
}

impl From<crate::authoring::ScaffoldError> for CliError {
    fn from(e: crate::authoring::ScaffoldError) -> Self {
        if e.is_input() {
            CliError::Input(e.to_string())
        } else {
            CliError::Other(e.into())
        }
    }
}
