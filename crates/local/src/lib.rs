//! Running the service on one machine: tables created from template.yaml in DynamoDB Local,
//! demo data, and a local API Gateway that calls the same handlers the Lambdas run.

pub mod auth;
pub mod bench;
pub mod docs;
pub mod gateway;
pub mod lambda;
pub mod runtime_api;
pub mod seed;
pub mod tables;
pub mod template;
