//! When each device last showed itself (its `GET /api/v1/devices/me` heartbeat, once at load
//! and then every minute), on the hall clock, so the admin's device list can say which kiosk,
//! screen or evaluator has gone quiet. Kept in memory: after a restart a device reads
//! "not seen since the server started" until its next heartbeat, within a minute.

use std::collections::HashMap;
use std::sync::Mutex;

use jiff::Timestamp;
use serde::Serialize;

/// A heartbeat is due every minute; three missed ones make a device silent.
pub const SILENT_AFTER_S: i64 = 180;

#[derive(Default)]
pub struct DeviceSeen {
    last: Mutex<HashMap<String, Timestamp>>,
}

/// A device's health as the list shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeviceHealth {
    /// Seen within the last three minutes.
    Online,
    /// Seen since the server started, but not lately.
    Silent,
    /// Not seen since the server started.
    Unseen,
    /// Its token is revoked.
    Revoked,
}

impl DeviceSeen {
    pub fn touch(&self, id: &str, now: Timestamp) {
        if let Ok(mut m) = self.last.lock() {
            m.insert(id.to_string(), now);
        }
    }

    /// When `id` was last seen, and what that makes its health at `now`.
    pub fn health(
        &self,
        id: &str,
        revoked: bool,
        now: Timestamp,
    ) -> (Option<Timestamp>, DeviceHealth) {
        let seen = self.last.lock().ok().and_then(|m| m.get(id).copied());
        let health = match seen {
            _ if revoked => DeviceHealth::Revoked,
            None => DeviceHealth::Unseen,
            Some(t) if now.as_second() - t.as_second() <= SILENT_AFTER_S => DeviceHealth::Online,
            Some(_) => DeviceHealth::Silent,
        };
        (seen, health)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn health_follows_the_last_heartbeat() {
        let seen = DeviceSeen::default();
        let t0 = Timestamp::from_second(1_800_000_000).expect("t");
        let later = |s: i64| Timestamp::from_second(1_800_000_000 + s).expect("t");
        assert_eq!(seen.health("k", false, t0), (None, DeviceHealth::Unseen));
        seen.touch("k", t0);
        assert_eq!(
            seen.health("k", false, later(SILENT_AFTER_S)).1,
            DeviceHealth::Online
        );
        assert_eq!(
            seen.health("k", false, later(SILENT_AFTER_S + 1)).1,
            DeviceHealth::Silent
        );
        assert_eq!(seen.health("k", true, t0).1, DeviceHealth::Revoked);
    }
}
