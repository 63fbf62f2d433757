//! Anonymous event streams per client address (`[events] max_anonymous_per_address`): one
//! phone or laptop cannot take the anonymous pool for itself. A held share is a guard that
//! gives its place back when the stream ends; an address holding nothing has no entry, so the
//! table's memory goes with the sockets. Display devices and staff are never counted here.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

/// Streams held per address, with the cap.
#[derive(Debug)]
pub struct StreamQuota {
    max: usize,
    held: Mutex<HashMap<IpAddr, usize>>,
}

/// One stream's place in its address's share; released on drop.
#[derive(Debug)]
pub struct StreamPlace {
    quota: Arc<StreamQuota>,
    ip: IpAddr,
}

impl StreamQuota {
    pub fn new(max: usize) -> Arc<StreamQuota> {
        Arc::new(StreamQuota {
            max,
            held: Mutex::new(HashMap::new()),
        })
    }

    /// A place for one more stream from `ip`, or `None` when it holds its share already.
    pub fn take(self: &Arc<Self>, ip: IpAddr) -> Option<StreamPlace> {
        let mut held = self.held.lock().unwrap_or_else(|p| p.into_inner());
        let n = held.entry(ip).or_insert(0);
        if *n >= self.max {
            return None;
        }
        *n += 1;
        Some(StreamPlace {
            quota: Arc::clone(self),
            ip,
        })
    }

    /// Addresses holding at least one stream.
    pub fn addresses(&self) -> usize {
        self.held.lock().unwrap_or_else(|p| p.into_inner()).len()
    }
}

impl Drop for StreamPlace {
    fn drop(&mut self) {
        let mut held = self.quota.held.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = held.get_mut(&self.ip) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                held.remove(&self.ip);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_holds_its_share_and_gives_it_back() {
        let q = StreamQuota::new(2);
        let a: IpAddr = "10.0.0.7".parse().expect("ip");
        let b: IpAddr = "10.0.0.8".parse().expect("ip");
        let one = q.take(a).expect("first");
        let two = q.take(a).expect("second");
        assert!(q.take(a).is_none(), "third refused");
        let other = q.take(b).expect("another address is not held back");
        drop(one);
        let again = q.take(a).expect("a place freed");
        drop((two, again, other));
        assert_eq!(q.addresses(), 0, "no entry left once every stream ended");
    }
}
