//! The pure hall: tickets, windows, routing, numbering, quotas and hours.
//! Nothing in here does IO, awaits, or knows about SQL or HTTP: time comes in as `now`,
//! randomness (ticket tokens) comes in with the command.

pub mod accounts;
pub mod announce;
pub mod appointments;
pub mod audience;
pub mod error;
pub mod estimate;
pub mod event;
pub mod feedback;
pub mod hall;
pub mod idcard;
pub mod notify;
pub mod plan;
pub mod policy;
pub mod rating;
pub mod reason;
pub mod recent;
pub mod rota;
pub mod routing;
pub mod scope;
pub mod staff_card;
pub mod ticket;
pub mod view;

pub use accounts::{DeviceKind, Role};
pub use error::DomainError;
pub use event::{Event, EventRecord};
pub use hall::{Actor, Command, Hall, Reply};
pub use plan::Plan;
pub use ticket::{Outcome, Priority, Ticket, TicketId, TicketState};
