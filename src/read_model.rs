//! The read model: after each commit the engine publishes an immutable copy of the hall with
//! the last committed event `seq`. Copying is cheap (the hall's large parts are shared
//! copy-on-write). Phone pages, `/hall`, window views, wall-screen snapshots and the floor read
//! it on the caller's thread, so they never queue behind the writer's batches and fsyncs.
//! Owns nothing but the hand-over; what a view shows is the domain's business.

use std::sync::Arc;

use tokio::sync::watch;

use crate::domain::Hall;

/// The hall as committed up to event `seq`.
#[derive(Debug)]
pub struct View {
    pub hall: Hall,
    pub seq: u64,
}

/// The engine's end: replaces the published view.
pub(crate) struct Publisher(watch::Sender<Arc<View>>);

impl Publisher {
    /// A publisher with `hall` as the first view, and the readers' end.
    pub(crate) fn new(hall: &Hall, seq: u64) -> (Publisher, Reader) {
        let (tx, rx) = watch::channel(Arc::new(View {
            hall: hall.clone(),
            seq,
        }));
        (Publisher(tx), Reader(rx))
    }

    /// Publish `hall` as committed up to `seq`. Call it after the commit and before the
    /// commit's events are broadcast or its replies sent: a display that subscribes and then
    /// reads the view misses nothing, and a caller reads its own write.
    pub(crate) fn publish(&self, hall: &Hall, seq: u64) {
        let old = self.0.send_replace(Arc::new(View {
            hall: hall.clone(),
            seq,
        }));
        drop(old);
    }
}

/// The readers' end; clone freely.
#[derive(Clone)]
pub struct Reader(watch::Receiver<Arc<View>>);

impl Reader {
    /// The latest published view (held only as long as the caller keeps the `Arc`).
    pub fn current(&self) -> Arc<View> {
        Arc::clone(&self.0.borrow())
    }
}
