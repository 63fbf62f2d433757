//! Running a hall for years: backups (on demand, nightly, before an upgrade), restore, the lock
//! that tells a restore a server holds the database, and the operational health the floor and
//! `/readyz` show. SQL stays in `store::backup`; status codes stay in `http/`.

pub mod access;
pub mod archive;
pub mod backup;
pub mod clock;
pub mod lock;
pub mod metrics;
pub mod status;
