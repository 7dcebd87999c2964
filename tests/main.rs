//! Integration tests: every endpoint against DynamoDB Local, each test on its own tables.

mod auth;
mod bad_input;
mod bounded_reads;
mod catalog;
mod contract;
mod existing_rows;
mod listing;
mod load;
mod local_run;
mod model;
mod orders;
mod reservations;
mod stock;
mod views;
