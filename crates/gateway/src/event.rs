//! What travels to connected devices.

use std::sync::Arc;

use tidings_groups::model::GroupEvent;
use tidings_kernel::{DeviceSn, UserId};
use tidings_messaging::model::Message;
use tidings_push::ports::LivePush;
use tidings_roster::model::RosterEvent;

/// One event for one user's connections. Cheap to clone: the payloads are shared.
#[derive(Clone, Debug)]
pub enum Event {
    /// A message in the user's inbox at `position` (0 for an `online_only` message, which
    /// has no position), in `conversation` as that user sees it.
    Message {
        message: Arc<Message>,
        position: i64,
        conversation: i64,
    },
    /// `reader` read `conversation` up to `message` (the reader's other devices clear their
    /// unread count; in a 1:1 conversation the peer sees a read receipt).
    Read {
        reader: UserId,
        conversation: i64,
        message: i64,
    },
    Roster(Arc<RosterEvent>),
    Group(Arc<GroupEvent>),
    /// A push notification (the "mxpush" channel), for one device's connections: the
    /// connection reports it with its receipt once written.
    Push(LivePush),
    /// Close the user's connections on `device` (all with `None`), telling them they were
    /// kicked. Never queued: it acts when dispatched.
    Kick {
        device: Option<DeviceSn>,
    },
}

impl Event {
    /// Roughly how many bytes the event holds for a connection while queued: a message's
    /// strings plus a fixed overhead, a fixed size for the other events. Queues are bounded
    /// by this as well as by their number of events.
    pub fn weight(&self) -> usize {
        const OVERHEAD: usize = 256;
        match self {
            Event::Message { message, .. } => {
                OVERHEAD
                    + message.content.len()
                    + message.attachment.len()
                    + message.config.len()
                    + message.ext.len()
            }
            Event::Push(push) => {
                let n = &push.notification;
                OVERHEAD
                    + n.title.len()
                    + n.body.len()
                    + n.big_text.len()
                    + n.attachment_url.len()
                    + n.ext.len()
            }
            _ => OVERHEAD,
        }
    }
}
