//! See the module docs of `tests/lab_hostile.rs`.
use crate::lab as _lab;
