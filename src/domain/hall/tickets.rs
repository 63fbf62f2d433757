//! The hall's tickets and their indexes (by token, waiting by queue, transferred to a window,
//! held at a window), and the rows changed since the last commit. `transition` is the only way
//! a ticket's state changes: it applies `TicketState::after`, keeps the indexes and records the
//! change. Storage is copy-on-write in chunks, so the read model's copy after each commit costs
//! a few reference counts, not a copy of the day.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use crate::domain::error::DomainError;
use crate::domain::ticket::{Ticket, TicketId, TicketOp, TicketState};

/// Tickets per storage chunk (ids are consecutive, so recent tickets share a chunk).
const CHUNK: i64 = 128;
/// Shards of the token index.
const TOKEN_SHARDS: usize = 256;

type Chunk = BTreeMap<TicketId, Arc<Ticket>>;

/// Today's tickets (and earlier ones not final yet), indexed.
#[derive(Debug, Clone)]
pub(super) struct Tickets {
    chunks: BTreeMap<i64, Arc<Chunk>>,
    by_token: Vec<Arc<HashMap<String, TicketId>>>,
    /// Waiting tickets by queue, so per-queue counts need not scan the hall.
    waiting_by_queue: HashMap<String, Arc<BTreeSet<TicketId>>>,
    /// Waiting tickets transferred to one particular window: window → tickets.
    targeted: Arc<BTreeMap<u32, BTreeSet<TicketId>>>,
    /// Held tickets by the window that holds them.
    held: Arc<BTreeMap<u32, BTreeSet<TicketId>>>,
    next_id: i64,
    touched: BTreeSet<TicketId>,
    /// Rows dropped at the day change that still have to be written once more.
    evicted: Vec<Ticket>,
}

impl Tickets {
    pub(super) fn new(next_id: i64) -> Tickets {
        Tickets {
            chunks: BTreeMap::new(),
            by_token: vec![Arc::default(); TOKEN_SHARDS],
            waiting_by_queue: HashMap::new(),
            targeted: Arc::default(),
            held: Arc::default(),
            next_id: next_id.max(1),
            touched: BTreeSet::new(),
            evicted: Vec::new(),
        }
    }

    pub(super) fn get(&self, id: TicketId) -> Option<&Ticket> {
        self.chunks
            .get(&(id.0.div_euclid(CHUNK)))?
            .get(&id)
            .map(|t| &**t)
    }

    pub(super) fn by_token(&self, token: &str) -> Option<&Ticket> {
        let id = self.by_token[shard(token)].get(token)?;
        self.get(*id)
    }

    /// Every ticket, by id.
    pub(super) fn values(&self) -> impl Iterator<Item = &Ticket> {
        self.chunks.values().flat_map(|c| c.values().map(|t| &**t))
    }

    /// The id the next issued ticket gets.
    pub(super) fn next_id(&mut self) -> TicketId {
        let id = TicketId(self.next_id);
        self.next_id += 1;
        id
    }

    /// A ticket loaded back from the store (not a change).
    pub(super) fn load(&mut self, t: Ticket) {
        self.index(&t);
        self.put(t);
    }

    /// A newly issued ticket (a change).
    pub(super) fn add(&mut self, t: Ticket) {
        self.touched.insert(t.id);
        self.load(t);
    }

    /// The ticket, if `op` is allowed in its state.
    pub(super) fn check(&self, id: TicketId, op: TicketOp) -> Result<&Ticket, DomainError> {
        let t = self
            .get(id)
            .ok_or_else(|| DomainError::UnknownTicket(id.0.to_string()))?;
        if t.state.after(op).is_none() {
            return Err(DomainError::InvalidState {
                state: t.state.as_str(),
                op: op.as_str(),
            });
        }
        Ok(t)
    }

    /// The one door for a ticket's state: `op` takes it to the state the table says, `edit`
    /// sets what else the step changes (times, window, queue), the indexes follow, and the
    /// row is recorded as changed.
    pub(super) fn transition(
        &mut self,
        id: TicketId,
        op: TicketOp,
        edit: impl FnOnce(&mut Ticket),
    ) -> Result<&Ticket, DomainError> {
        let next = self
            .check(id, op)?
            .state
            .after(op)
            .expect("checked just above");
        let mut t = self.take(id).expect("checked just above");
        self.unindex(&t);
        t.state = next;
        edit(&mut t);
        debug_assert_eq!(t.state, next, "only the table sets a ticket's state");
        t.state = next;
        self.index(&t);
        self.touched.insert(id);
        self.put(t);
        Ok(self.get(id).expect("just put back"))
    }

    /// Waiting tickets of `queue`.
    pub(super) fn waiting_in<'a>(&'a self, queue: &str) -> impl Iterator<Item = &'a Ticket> {
        self.waiting_by_queue
            .get(queue)
            .into_iter()
            .flat_map(|s| s.iter())
            .filter_map(|id| self.get(*id))
    }

    /// Every waiting ticket, queue by queue.
    pub(super) fn waiting(&self) -> impl Iterator<Item = &Ticket> {
        self.waiting_by_queue
            .values()
            .flat_map(|s| s.iter())
            .filter_map(|id| self.get(*id))
    }

    /// How many tickets wait in `queue`.
    pub(super) fn waiting_count(&self, queue: &str) -> u32 {
        self.waiting_by_queue.get(queue).map_or(0, |s| s.len()) as u32
    }

    /// Waiting tickets transferred to one window, by window.
    pub(super) fn targeted(&self) -> impl Iterator<Item = (u32, &Ticket)> {
        self.targeted
            .iter()
            .flat_map(|(w, s)| s.iter().map(move |id| (*w, id)))
            .filter_map(|(w, id)| Some((w, self.get(*id)?)))
    }

    /// Waiting tickets of `queue` not sent to one particular window.
    pub(super) fn untargeted_waiting(&self, queue: &str) -> u32 {
        // Transfers to a window are few: count them rather than keep a second index.
        let targeted = self.targeted().filter(|(_, t)| t.queue == queue).count() as u32;
        self.waiting_count(queue).saturating_sub(targeted)
    }

    /// Tickets held at `window`, by id.
    pub(super) fn held_at(&self, window: u32) -> impl Iterator<Item = &Ticket> {
        self.held
            .get(&window)
            .into_iter()
            .flat_map(|s| s.iter())
            .filter_map(|id| self.get(*id))
    }

    /// Forget the tickets of days before `day` (final by now); those changed since the last
    /// commit are kept to be written once more.
    pub(super) fn evict_before(&mut self, day: jiff::civil::Date) {
        let old: Vec<TicketId> = self
            .values()
            .filter(|t| t.service_day < day)
            .map(|t| t.id)
            .collect();
        for id in old {
            if let Some(t) = self.take(id) {
                self.unindex(&t);
                self.by_token_mut(&t.token).remove(&t.token);
                if self.touched.remove(&id) {
                    self.evicted.push(t);
                }
            }
        }
    }

    /// The rows changed since the last call.
    pub(super) fn take_changes(&mut self) -> Vec<Ticket> {
        let mut rows = std::mem::take(&mut self.evicted);
        for id in std::mem::take(&mut self.touched) {
            rows.extend(self.get(id).cloned());
        }
        rows
    }

    fn put(&mut self, t: Ticket) {
        self.by_token_mut(&t.token).insert(t.token.clone(), t.id);
        let chunk = self.chunks.entry(t.id.0.div_euclid(CHUNK)).or_default();
        Arc::make_mut(chunk).insert(t.id, Arc::new(t));
    }

    fn take(&mut self, id: TicketId) -> Option<Ticket> {
        let key = id.0.div_euclid(CHUNK);
        let chunk = Arc::make_mut(self.chunks.get_mut(&key)?);
        let t = chunk.remove(&id)?;
        if chunk.is_empty() {
            self.chunks.remove(&key);
        }
        Some(Arc::unwrap_or_clone(t))
    }

    fn by_token_mut(&mut self, token: &str) -> &mut HashMap<String, TicketId> {
        Arc::make_mut(&mut self.by_token[shard(token)])
    }

    fn index(&mut self, t: &Ticket) {
        match t.state {
            TicketState::Waiting => {
                let set = self.waiting_by_queue.entry(t.queue.clone()).or_default();
                Arc::make_mut(set).insert(t.id);
                if let Some(w) = t.target_window {
                    Arc::make_mut(&mut self.targeted)
                        .entry(w)
                        .or_default()
                        .insert(t.id);
                }
            }
            TicketState::Held => {
                if let Some(w) = t.window {
                    Arc::make_mut(&mut self.held)
                        .entry(w)
                        .or_default()
                        .insert(t.id);
                }
            }
            _ => {}
        }
    }

    fn unindex(&mut self, t: &Ticket) {
        match t.state {
            TicketState::Waiting => {
                if let Some(set) = self.waiting_by_queue.get_mut(&t.queue) {
                    Arc::make_mut(set).remove(&t.id);
                }
                if let Some(w) = t.target_window {
                    remove_from(&mut self.targeted, w, t.id);
                }
            }
            TicketState::Held => {
                if let Some(w) = t.window {
                    remove_from(&mut self.held, w, t.id);
                }
            }
            _ => {}
        }
    }
}

fn remove_from(index: &mut Arc<BTreeMap<u32, BTreeSet<TicketId>>>, w: u32, id: TicketId) {
    let index = Arc::make_mut(index);
    if let Some(set) = index.get_mut(&w) {
        set.remove(&id);
        if set.is_empty() {
            index.remove(&w);
        }
    }
}

fn shard(token: &str) -> usize {
    // FNV-1a: tokens are random, any spread will do; stable across runs.
    let h = token.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    (h % TOKEN_SHARDS as u64) as usize
}
