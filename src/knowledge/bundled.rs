//! The knowledge folder as it was when the binary was built (see `build.rs`), so an
//! installed binary answers from any working directory.

use super::SourceFiles;

include!(concat!(env!("OUT_DIR"), "/bundled_knowledge.rs"));

pub fn files() -> SourceFiles {
    SourceFiles::from_pairs(
        BUNDLED
            .iter()
            .map(|(path, text)| (path.into(), text.to_string())),
    )
}
