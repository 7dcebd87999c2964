//! Integration tests: every endpoint against DynamoDB Local, each test on its own tables.

mod auth;
mod bad_input;
mod catalog;
mod contract;
mod events;
mod listing;
mod load;
mod local_run;
mod model;
mod orders;
mod reservations;
mod stock;
mod template;
