//! API and websocket integration tests against a real server on port 0.

mod helpers;

mod cli;
mod deploy;
mod durability;
mod errors;
mod events;
mod fanout;
mod openapi;
mod ops;
mod printing;
mod ratings;
mod reports;
mod security;
mod sim;
mod tickets;
mod upgrade;
mod voice;
mod windows;
