//! The push domain's "mxpush" channel: a `push` frame on each connection of a device.

use std::sync::Arc;

use tidings_kernel::{AppId, DeviceSn, UserId};
use tidings_push::ports::{LiveChannel, LivePush};

use crate::{Event, Hub};

/// [`LiveChannel`] on this node's connections. Several nodes need it across nodes (the
/// cluster adapter's presence and control), as kicks do.
pub struct LivePushes {
    hub: Arc<Hub>,
}

impl LivePushes {
    pub fn new(hub: Arc<Hub>) -> Self {
        Self { hub }
    }
}

impl LiveChannel for LivePushes {
    fn is_connected(&self, app: &AppId, user: UserId, device: DeviceSn) -> bool {
        self.hub.is_connected(app, user, device)
    }

    fn deliver(&self, app: &AppId, user: UserId, device: DeviceSn, push: LivePush) -> usize {
        self.hub
            .dispatch_to_device(app, user, device, Event::Push(push))
    }
}
