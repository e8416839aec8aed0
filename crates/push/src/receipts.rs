//! Pushes written to connections, counted in memory and added to their tasks' `received`
//! counts in batches ([`crate::Push::flush_receipts`]), so a task to thousands of connected
//! devices costs a few writes, not one per device.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use tidings_kernel::AppId;

use crate::model::TaskId;

/// The tally of receipts not yet added to their tasks.
#[derive(Debug, Default)]
pub struct Receipts {
    counts: Mutex<HashMap<(AppId, TaskId), i64>>,
}

impl Receipts {
    /// What a push of `task` carries to report that it was written.
    pub fn receipt(self: &Arc<Self>, app: &AppId, task: TaskId) -> Receipt {
        Receipt {
            receipts: self.clone(),
            app: app.clone(),
            task,
        }
    }

    /// The tally so far, emptied.
    pub(crate) fn take(&self) -> Vec<(AppId, TaskId, i64)> {
        let mut counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        counts
            .drain()
            .map(|((app, task), n)| (app, task, n))
            .collect()
    }

    /// Counts `n` more written pushes of `task` (also to put back what could not be stored).
    pub(crate) fn add(&self, app: AppId, task: TaskId, n: i64) {
        let mut counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        *counts.entry((app, task)).or_default() += n;
    }
}

/// Reports one push of one task as written to a connection.
#[derive(Clone)]
pub struct Receipt {
    receipts: Arc<Receipts>,
    app: AppId,
    task: TaskId,
}

impl Receipt {
    /// The push was written to its connection.
    pub fn written(&self) {
        self.receipts.add(self.app.clone(), self.task, 1);
    }
}

impl fmt::Debug for Receipt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receipt")
            .field("app", &self.app)
            .field("task", &self.task)
            .finish_non_exhaustive()
    }
}
