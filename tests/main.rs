//! The integration test suite: the real binary on the project's fixtures and on the shared corpus,
//! the CLI contracts, generated docs, and property tests of the lossless editor.

mod carriers;
mod check;
mod cli;
mod corpus;
mod docs;
mod doctor;
mod eks;
mod fixtures;
mod fuzz_regressions;
mod guard_table;
mod live;
mod migrate;
mod oracle;
mod props;
mod safety;
mod support;
mod verify;
