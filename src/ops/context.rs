//! What an operation uses of the session it runs in, and nothing more: the
//! configuration, the one etcd client (its endpoint health and the endpoint
//! that answered last are shared with the sources), the model and the
//! clusters in scope. The console and the runbook commands each hold a
//! `Session`; the ops layer sees only this.

use crate::config::Config;
use crate::dcs::Etcd;
use crate::model::ModelHandle;
use crate::session::Session;
use crate::sources::Scope;

#[derive(Clone, Copy)]
pub struct Ctx<'a> {
    pub config: &'a Config,
    pub etcd: &'a Etcd,
    pub model: &'a ModelHandle,
    pub scope: &'a Scope,
}

impl<'a> From<&'a Session> for Ctx<'a> {
    fn from(s: &'a Session) -> Self {
        Ctx {
            config: &s.config,
            etcd: &s.etcd,
            model: &s.model,
            scope: &s.scope,
        }
    }
}

/// The console holds its session in an `Arc`, shared with operation tasks.
impl<'a> From<&'a std::sync::Arc<Session>> for Ctx<'a> {
    fn from(s: &'a std::sync::Arc<Session>) -> Self {
        Ctx::from(&**s)
    }
}
