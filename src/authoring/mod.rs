//! The editor's tools around the knowledge base: starting a new report from an article,
//! and seeing what it still lacks. Pure library code: every front end
//! calls these and renders the result its own way.

pub mod coverage;
pub mod diagnosis;
pub mod scaffold;

pub use coverage::{coverage, Coverage};
pub use diagnosis::{diagnose, Diagnosis};
pub use scaffold::{normalize_article, NewReport, ScaffoldError, Scaffolded};
