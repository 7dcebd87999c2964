//! Locations: warehouses, stores, online and dropship stock points. Admins write them; every
//! back-office role reads them. Delete is soft: the location turns inactive.

use crate::auth::Caller;
use crate::db::{check_locations_cursor, LocationFields, LocationWrite};
use crate::domain::{
    Address, InvalidValue, Limit, Location, LocationName, LocationType, NextToken, StoreId,
};
use crate::http::{self, ApiError, FromRequest, Reply};
use crate::App;
use lambda_http::http::StatusCode;
use lambda_http::Request;
use serde::{Deserialize, Serialize};
use serde_json::json;

fn location_id(req: &Request) -> Result<StoreId, ApiError> {
    http::path(req, "location_id", |raw| {
        StoreId::parse(raw).map_err(|e| InvalidValue::new("location_id", e.problem))
    })
}

fn location_type(raw: String) -> Result<LocationType, InvalidValue> {
    LocationType::parse(&raw)
}

fn location_not_found(id: &StoreId) -> ApiError {
    ApiError::not_found("location_not_found", format!("no location has id {id}"))
}

/// A page of locations.
#[derive(Serialize)]
struct Locations {
    count: usize,
    locations: Vec<Location>,
    next_token: Option<String>,
}

/// `GET /api/v1/locations?type&include_inactive&limit&next_token` and
/// `GET /api/v1/locations/types/{type}?include_inactive&limit&next_token`
pub struct ListLocations {
    location_type: Option<LocationType>,
    include_inactive: bool,
    limit: Limit,
    start: Option<NextToken>,
}

impl ListLocations {
    fn parse(req: &Request, location_type: Option<LocationType>) -> Result<Self, ApiError> {
        let start = http::optional_query(req, "next_token", |t| NextToken::parse(&t))?;
        if let Some(token) = &start {
            check_locations_cursor(location_type, token)?;
        }
        Ok(Self {
            location_type,
            include_inactive: http::bool_query(req, "include_inactive")?.unwrap_or(false),
            limit: Limit::parse(http::query(req, "limit").as_deref())?,
            start,
        })
    }
}

impl FromRequest for ListLocations {
    fn from_request(req: &Request) -> Result<Self, ApiError> {
        let location_type = http::optional_query(req, "type", location_type)?;
        Self::parse(req, location_type)
    }
}

/// The same listing with the type in the path.
pub struct ListLocationsOfType(ListLocations);

impl FromRequest for ListLocationsOfType {
    fn from_request(req: &Request) -> Result<Self, ApiError> {
        let location_type = http::path(req, "type", location_type)?;
        ListLocations::parse(req, Some(location_type)).map(Self)
    }
}

pub async fn list_locations(
    app: &App,
    _caller: &Caller,
    cmd: ListLocations,
) -> Result<Reply, ApiError> {
    let page = app
        .db
        .locations(
            cmd.location_type,
            cmd.include_inactive,
            cmd.limit.get(),
            cmd.start,
        )
        .await?;
    Reply::ok(&Locations {
        count: page.items.len(),
        locations: page.items,
        next_token: page.next.map(|t| t.encode()),
    })
}

pub async fn list_locations_of_type(
    app: &App,
    caller: &Caller,
    cmd: ListLocationsOfType,
) -> Result<Reply, ApiError> {
    list_locations(app, caller, cmd.0).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateBody {
    location_id: StoreId,
    #[serde(rename = "type")]
    location_type: LocationType,
    name: LocationName,
    address: Address,
}

/// `POST /api/v1/locations`
pub struct CreateLocation(CreateBody);

impl FromRequest for CreateLocation {
    fn from_request(req: &Request) -> Result<Self, ApiError> {
        http::json_body(req).map(Self)
    }
}

pub async fn create_location(
    app: &App,
    _caller: &Caller,
    cmd: CreateLocation,
) -> Result<Reply, ApiError> {
    let body = cmd.0;
    let fields = LocationFields {
        location_type: body.location_type,
        name: body.name,
        address: body.address,
    };
    match app
        .db
        .create_location(body.location_id, fields, app.now())
        .await?
    {
        LocationWrite::Written(location) => {
            tracing::info!(location_id = %location.location_id, "location created");
            Reply::with_status(StatusCode::CREATED, &location)
        }
        LocationWrite::Exists(existing) => Err(ApiError::conflict(
            "location_exists",
            format!("location {} already exists", existing.location_id),
            json!({ "location": existing }),
        )),
        LocationWrite::Missing => Err(ApiError::Internal("a create found nothing".into())),
    }
}

/// `GET /api/v1/locations/{location_id}`: inactive ones too, so their history stays readable.
pub struct GetLocation {
    location_id: StoreId,
}

impl FromRequest for GetLocation {
    fn from_request(req: &Request) -> Result<Self, ApiError> {
        Ok(Self {
            location_id: location_id(req)?,
        })
    }
}

pub async fn get_location(
    app: &App,
    _caller: &Caller,
    cmd: GetLocation,
) -> Result<Reply, ApiError> {
    match app.db.location(&cmd.location_id).await? {
        Some(location) => Reply::ok(&location),
        None => Err(location_not_found(&cmd.location_id)),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateBody {
    #[serde(rename = "type")]
    location_type: LocationType,
    name: LocationName,
    address: Address,
    /// `true` brings back a deleted location; left out, `active` is unchanged.
    active: Option<bool>,
}

/// `PUT /api/v1/locations/{location_id}`: replaces type, name and address.
pub struct UpdateLocation {
    location_id: StoreId,
    body: UpdateBody,
}

impl FromRequest for UpdateLocation {
    fn from_request(req: &Request) -> Result<Self, ApiError> {
        Ok(Self {
            location_id: location_id(req)?,
            body: http::json_body(req)?,
        })
    }
}

pub async fn update_location(
    app: &App,
    _caller: &Caller,
    cmd: UpdateLocation,
) -> Result<Reply, ApiError> {
    let fields = LocationFields {
        location_type: cmd.body.location_type,
        name: cmd.body.name,
        address: cmd.body.address,
    };
    match app
        .db
        .update_location(&cmd.location_id, Some(fields), cmd.body.active, app.now())
        .await?
    {
        LocationWrite::Written(location) => Reply::ok(&location),
        _ => Err(location_not_found(&cmd.location_id)),
    }
}

/// `DELETE /api/v1/locations/{location_id}`: a soft delete; repeating it changes nothing more.
pub struct DeleteLocation {
    location_id: StoreId,
}

impl FromRequest for DeleteLocation {
    fn from_request(req: &Request) -> Result<Self, ApiError> {
        Ok(Self {
            location_id: location_id(req)?,
        })
    }
}

pub async fn delete_location(
    app: &App,
    _caller: &Caller,
    cmd: DeleteLocation,
) -> Result<Reply, ApiError> {
    match app
        .db
        .update_location(&cmd.location_id, None, Some(false), app.now())
        .await?
    {
        LocationWrite::Written(location) => {
            tracing::info!(location_id = %location.location_id, "location deactivated");
            Reply::ok(&location)
        }
        _ => Err(location_not_found(&cmd.location_id)),
    }
}
