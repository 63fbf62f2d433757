//! API and websocket integration tests against a real server on port 0.

mod helpers;

mod durability;
mod errors;
mod events;
mod openapi;
mod ratings;
mod sim;
mod tickets;
mod windows;
