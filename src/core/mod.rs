//! The pure core: no I/O, no clock, no environment. Everything here is a function of its arguments.

pub mod access;
pub mod arn;
pub mod check;
pub mod doctor;
pub mod document;
pub mod gostr;
pub mod guard;
pub mod lint;
pub mod mapping;
pub mod migrate;
pub mod plan;
pub mod presign;
pub mod repair;
pub mod review;
pub mod service;
pub mod text;
pub mod token;
pub mod yaml;
