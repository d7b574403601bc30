//! One module per kind of hostility; each test takes the lab from
//! `crate::lab()`.

mod credentials;
mod escapes;
