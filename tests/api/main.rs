//! API and websocket integration tests against a real server on port 0.

mod helpers;

mod appointments;
mod cli;
mod durability;
mod errors;
mod events;
mod fanout;
mod loopback;
mod openapi;
mod printing;
mod ratings;
mod reports;
mod security;
mod sim;
mod tickets;
mod voice;
mod windows;
