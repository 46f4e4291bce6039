//! factdesk: answers questions about news reports from a curated knowledge base,
//! with the source quoted, and says so when the report does not answer.

pub mod authoring;
pub mod cli;
pub mod corpus;
pub mod curation;
pub mod desk;
pub mod discord;
pub mod eval;
pub mod knowledge;
pub mod matcher;
pub mod metadata;
pub mod metrics;
pub mod reply;
pub mod shutdown;
pub mod store;
