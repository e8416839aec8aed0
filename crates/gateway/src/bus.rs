//! The fan-out bus: the outbound port every live event goes through, whichever node the
//! receiving connection is on.

use std::sync::Arc;

use async_trait::async_trait;
use tidings_kernel::{AppId, UserId};

use crate::{Event, Hub};

/// Carries events to every connection of their users. Publishing never waits for a
/// receiver: a connection that cannot keep up is closed and catches up by sync.
///
/// [`LocalBus`] serves one node. Several nodes need an adapter that publishes to a shared
/// broker (NATS) and, on every node, hands what arrives to that node's [`Hub`].
#[async_trait]
pub trait Bus: Send + Sync {
    async fn publish(&self, app: &AppId, batch: Vec<(UserId, Event)>);
}

/// The in-process bus: every connection is on this node's hub.
pub struct LocalBus {
    hub: Arc<Hub>,
}

impl LocalBus {
    pub fn new(hub: Arc<Hub>) -> Self {
        Self { hub }
    }
}

#[async_trait]
impl Bus for LocalBus {
    async fn publish(&self, app: &AppId, batch: Vec<(UserId, Event)>) {
        for (user, event) in batch {
            self.hub.dispatch(app, user, event);
        }
    }
}
