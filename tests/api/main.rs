//! API and websocket integration tests against a real server on port 0.

mod helpers;

mod durability;
mod errors;
mod events;
mod openapi;
mod reports;
mod tickets;
mod windows;
