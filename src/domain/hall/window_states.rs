//! The windows' live states (open, paused, who is signed in, the ticket in hand) and which of
//! them changed since the last commit. Shared copy-on-write, so the read model's copy of the
//! hall costs one reference count here.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use jiff::Timestamp;

use super::WindowState;
use crate::domain::plan::Plan;

/// Every window of the plan, by number.
#[derive(Debug, Clone)]
pub(super) struct Windows {
    states: Arc<BTreeMap<u32, WindowState>>,
    touched: BTreeSet<u32>,
}

impl Windows {
    /// The plan's windows, closed since `now`, then the stored states of those still planned.
    pub(super) fn restore(plan: &Plan, now: Timestamp, stored: Vec<WindowState>) -> Windows {
        let mut states: BTreeMap<u32, WindowState> = plan
            .windows
            .iter()
            .map(|w| (w.number, WindowState::closed(w.number, now)))
            .collect();
        for w in stored {
            if let Some(s) = states.get_mut(&w.number) {
                *s = w;
            }
        }
        Windows {
            states: Arc::new(states),
            touched: BTreeSet::new(),
        }
    }

    pub(super) fn get(&self, number: u32) -> Option<&WindowState> {
        self.states.get(&number)
    }

    /// The window to change; say `touch` once it changed.
    pub(super) fn get_mut(&mut self, number: u32) -> Option<&mut WindowState> {
        Arc::make_mut(&mut self.states).get_mut(&number)
    }

    /// Record that `number` changed, for the next commit.
    pub(super) fn touch(&mut self, number: u32) {
        self.touched.insert(number);
    }

    pub(super) fn values(&self) -> impl Iterator<Item = &WindowState> {
        self.states.values()
    }

    /// The rows changed since the last call.
    pub(super) fn take_changes(&mut self) -> Vec<WindowState> {
        std::mem::take(&mut self.touched)
            .into_iter()
            .filter_map(|n| self.states.get(&n).cloned())
            .collect()
    }
}
