//! Who is calling and what they may do, decided here once for every endpoint.
//!
//! On protected routes API Gateway's JWT authorizer (or the local gateway, which checks tokens
//! the same way) validates the token and its claims reach the function in the request context.
//! Public routes have no authorizer, so there the function checks a bearer token itself
//! ([`jwt::JwtVerifier`]) to tell signed-in staff from the storefront. This module turns claims
//! into a [`Principal`] and answers two questions: may this principal use this endpoint at all
//! (checked before anything is read, so a 403 reveals nothing), and may it act for this store.

pub mod jwt;

use crate::domain::{Actor, CustomerId, StoreId};
use std::collections::{BTreeSet, HashMap};

/// Why a caller may not do what it asked. Mapped to 401 and 403 in one place (`api::errors`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// No token where one is needed, or a token without a usable identity.
    #[error("{0}")]
    Unauthenticated(&'static str),
    /// A valid token whose roles or stores do not cover the request.
    #[error("{0}")]
    Forbidden(&'static str),
}

/// The claim listing the caller's roles. `cognito:groups` is read too, so Cognito groups can
/// carry roles without a custom claim.
pub const ROLES_CLAIM: &str = "roles";
pub const COGNITO_GROUPS_CLAIM: &str = "cognito:groups";
/// The claim listing the store ids a scoped caller may act for.
pub const STORES_CLAIM: &str = "store_ids";
/// Cognito puts custom user-pool attributes in tokens under `custom:`; read it too, so a pool
/// needs no pre-token-generation trigger to rename the claim.
pub const COGNITO_STORES_CLAIM: &str = "custom:store_ids";

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// Everything, for every store, including catalog and location writes.
    Admin,
    /// Every permission but `Administer`, only for the stores in their token: staff's rights plus completing
    /// reservations.
    StoreManager,
    /// Back-office reads, change stock, adjust, reserve and release, for their stores.
    Staff,
    /// The order system: back-office reads, reserve, complete and release, for any store; and
    /// the checkout: places and confirms orders.
    Service,
    /// A shopper (`sub` is the customer id): places orders for itself and reads only its own.
    Customer,
}

impl Role {
    fn parse(raw: &str) -> Option<Self> {
        Some(match raw {
            "admin" => Self::Admin,
            "store_manager" => Self::StoreManager,
            "staff" => Self::Staff,
            "service" => Self::Service,
            "customer" => Self::Customer,
            _ => return None,
        })
    }

    /// Admin and service act for every store; the others only for the stores in their token.
    fn is_store_scoped(self) -> bool {
        matches!(self, Self::StoreManager | Self::Staff)
    }
}

/// What an endpoint needs from its caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// The storefront's reads: no token.
    Public,
    /// A token whose roles grant this permission.
    Requires(Permission),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Back-office reads: low stock, summary, history, reservations.
    ReadBackOffice,
    /// Stock updates and adjustments.
    ChangeStock,
    Reserve,
    Release,
    Complete,
    /// Checkout: `POST /orders`.
    PlaceOrder,
    /// Read orders (a customer only its own).
    ReadOrders,
    /// The status route at all; each step then needs one of the two below.
    ChangeOrder,
    /// Payment taken: `PENDING → CONFIRMED`.
    ConfirmOrder,
    /// The store's work: processing, shipping, delivery, returns, short picks.
    FulfilOrder,
    /// `→ CANCELLED`: the checkout (payment failed) or the store.
    CancelOrder,
    /// Catalog and location writes: the marketplace's shared records, for admins only.
    Administer,
    /// Purchasing decisions (reorder suggestions, with costs and sales): store managers for
    /// their stores, and admins; not staff, who run the shop floor, nor the order system.
    PlanPurchasing,
    /// A store's inventory records: new rows and their settings (levels, prices, shelf
    /// location, lead time). Store managers for their stores, and admins; not staff, who
    /// change stock, nor the order system.
    ManageRecords,
}

impl Permission {
    fn granted_to(self, role: Role) -> bool {
        use Permission::{
            Administer, CancelOrder, ChangeOrder, ChangeStock, Complete, ConfirmOrder, FulfilOrder,
            PlaceOrder, ReadBackOffice, ReadOrders, Release, Reserve,
        };
        match role {
            Role::Admin => true,
            // Checkout is the shopper's and the checkout service's, not the store's.
            Role::StoreManager => !matches!(self, PlaceOrder | ConfirmOrder | Administer),
            Role::Staff => matches!(
                self,
                ReadBackOffice
                    | ChangeStock
                    | Reserve
                    | Release
                    | ReadOrders
                    | ChangeOrder
                    | FulfilOrder
                    | CancelOrder
            ),
            Role::Service => matches!(
                self,
                ReadBackOffice
                    | Reserve
                    | Release
                    | Complete
                    | PlaceOrder
                    | ReadOrders
                    | ChangeOrder
                    | ConfirmOrder
                    | CancelOrder
            ),
            Role::Customer => matches!(self, PlaceOrder | ReadOrders),
        }
    }
}

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The token's subject: recorded as the actor of every change the caller makes.
    pub subject: Actor,
    pub roles: BTreeSet<Role>,
    pub stores: BTreeSet<StoreId>,
}

impl Principal {
    /// Reads the authorizer's claims. Unknown roles and malformed store ids are ignored: they
    /// grant nothing.
    ///
    /// # Errors
    /// 401 when there is no usable subject.
    pub fn from_claims(claims: &HashMap<String, String>) -> Result<Self, AuthError> {
        let subject = claims
            .get("sub")
            .and_then(|s| Actor::parse(s.as_str()).ok())
            .ok_or(AuthError::Unauthenticated(
                "the token has no usable subject",
            ))?;
        let roles = [ROLES_CLAIM, COGNITO_GROUPS_CLAIM]
            .iter()
            .filter_map(|claim| claims.get(*claim))
            .flat_map(|value| claim_list(value))
            .filter_map(|r| Role::parse(&r))
            .collect();
        let stores = [STORES_CLAIM, COGNITO_STORES_CLAIM]
            .iter()
            .filter_map(|claim| claims.get(*claim))
            .flat_map(|value| claim_list(value))
            .filter_map(|s| StoreId::parse(s).ok())
            .collect();
        Ok(Self {
            subject,
            roles,
            stores,
        })
    }

    fn may(&self, permission: Permission) -> bool {
        self.roles.iter().any(|r| permission.granted_to(*r))
    }

    /// Whether the caller may use `permission` for `store`.
    fn may_for(&self, permission: Permission, store: &StoreId) -> bool {
        self.roles.iter().any(|r| {
            permission.granted_to(*r) && (!r.is_store_scoped() || self.stores.contains(store))
        })
    }

    /// Whether some role grants `permission` for every store.
    fn may_everywhere(&self, permission: Permission) -> bool {
        self.roles
            .iter()
            .any(|r| permission.granted_to(*r) && !r.is_store_scoped())
    }
}

/// The caller of one request, and the permission its endpoint needs.
#[derive(Debug, Clone)]
pub struct Caller {
    principal: Option<Principal>,
    permission: Option<Permission>,
}

impl Caller {
    /// Checks the endpoint-level rule: a token for protected endpoints (401), and a role that
    /// grants the endpoint's permission at all (403). Store scope is checked later, by the
    /// handler, once it knows the store.
    ///
    /// # Errors
    /// 401 without claims on a protected endpoint; 403 when no role grants the permission.
    pub fn admit(
        access: Access,
        claims: Option<&HashMap<String, String>>,
    ) -> Result<Self, AuthError> {
        let claims = claims.filter(|c| !c.is_empty());
        let Access::Requires(permission) = access else {
            // A public route serves anyone; a token that names nobody is no identity.
            return Ok(Self {
                principal: claims.and_then(|c| Principal::from_claims(c).ok()),
                permission: None,
            });
        };
        let Some(principal) = claims.map(Principal::from_claims).transpose()? else {
            return Err(AuthError::Unauthenticated(
                "this route needs a bearer token",
            ));
        };
        if !principal.may(permission) {
            return Err(AuthError::Forbidden("your roles do not allow this"));
        }
        Ok(Self {
            principal: Some(principal),
            permission: Some(permission),
        })
    }

    /// A caller for code paths with no HTTP identity (the order Lambda, the sweeper, tests).
    pub fn system() -> Self {
        Self {
            principal: None,
            permission: None,
        }
    }

    /// Whether the caller may see the back office's view of `store` (costs, levels, reserved
    /// stock): on a public route, only a signed-in caller whose roles grant back-office reads
    /// for that store.
    pub fn may_read_back_office(&self, store: &StoreId) -> bool {
        self.principal
            .as_ref()
            .is_some_and(|p| p.may_for(Permission::ReadBackOffice, store))
    }

    /// # Errors
    /// 403 when the caller may not act for `store`.
    pub fn require_store(&self, store: &StoreId) -> Result<(), AuthError> {
        match (&self.principal, self.permission) {
            (Some(p), Some(permission)) if !p.may_for(permission, store) => {
                Err(store_not_covered())
            }
            _ => Ok(()),
        }
    }

    /// For a resource that does not exist: 403, exactly as for another store's resource, unless
    /// the caller covers every store (then the handler answers 404). Ids reveal nothing.
    ///
    /// # Errors
    /// 403 for a store-scoped caller.
    pub fn require_store_of_missing(&self) -> Result<(), AuthError> {
        self.require_every_store().map_err(|_| store_not_covered())
    }

    /// # Errors
    /// 403 unless the caller may act for every store (admin, service).
    pub fn require_every_store(&self) -> Result<(), AuthError> {
        match (&self.principal, self.permission) {
            (Some(p), Some(permission)) if !p.may_everywhere(permission) => Err(
                AuthError::Forbidden("this route covers every store; your token does not"),
            ),
            _ => Ok(()),
        }
    }

    /// # Errors
    /// 403 when no role of the caller grants `permission` for `store` (a step of an order
    /// needs more than the status route's own permission).
    pub fn require_for(&self, permission: Permission, store: &StoreId) -> Result<(), AuthError> {
        match &self.principal {
            Some(p) if p.may_for(permission, store) => Ok(()),
            Some(_) => Err(AuthError::Forbidden(
                "your roles do not allow this step for this store",
            )),
            None => Ok(()),
        }
    }

    /// The customer this caller is limited to: its subject, when only the customer role grants
    /// the endpoint's permission. `None` for staff, service and admin (and system callers).
    ///
    /// # Errors
    /// 401 when a customer's subject is not a usable customer id (never widened to "anyone").
    pub fn own_customer(&self) -> Result<Option<CustomerId>, AuthError> {
        let (Some(p), Some(permission)) = (self.principal.as_ref(), self.permission) else {
            return Ok(None);
        };
        let beyond_customer = p
            .roles
            .iter()
            .any(|r| *r != Role::Customer && permission.granted_to(*r));
        if beyond_customer {
            return Ok(None);
        }
        CustomerId::parse(p.subject.as_str())
            .map(Some)
            .map_err(|_| AuthError::Unauthenticated("the token's subject is not a customer id"))
    }

    /// Who to record in the ledger: the token's subject, never anything from the body.
    pub fn actor(&self) -> Actor {
        self.principal
            .as_ref()
            .map_or_else(Actor::anonymous, |p| p.subject.clone())
    }

    /// # Errors
    /// 403 when a body names an actor other than the token's subject.
    pub fn check_claimed_actor(&self, claimed: Option<&Actor>) -> Result<(), AuthError> {
        match (claimed, &self.principal) {
            (Some(claimed), Some(p)) if *claimed != p.subject => Err(AuthError::Forbidden(
                "created_by must be your own identity (or left out): the ledger records the token's subject",
            )),
            _ => Ok(()),
        }
    }
}

fn store_not_covered() -> AuthError {
    AuthError::Forbidden("your token does not cover this store")
}

/// A list-valued claim as API Gateway passes it: `[a b]` for a JSON array, or a comma- or
/// space-separated string, or a JSON array string.
fn claim_list(value: &str) -> Vec<String> {
    let value = value.trim();
    if let Ok(list) = serde_json::from_str::<Vec<String>>(value) {
        return list;
    }
    value
        .trim_start_matches('[')
        .trim_end_matches(']')
        .split([',', ' '])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn list_claims_are_read_in_every_shape_api_gateway_may_pass() {
        assert_eq!(claim_list("[s1 s2]"), ["s1", "s2"]);
        assert_eq!(claim_list("s1,s2"), ["s1", "s2"]);
        assert_eq!(claim_list(r#"["s1","s2"]"#), ["s1", "s2"]);
        assert_eq!(claim_list("staff"), ["staff"]);
    }

    #[test]
    fn staff_act_only_for_their_stores_and_cannot_complete() {
        let c = Caller::admit(
            Access::Requires(Permission::ChangeStock),
            Some(&claims(&[
                ("sub", "u1"),
                ("roles", "[staff]"),
                ("store_ids", "[s1 s2]"),
            ])),
        )
        .unwrap();
        assert!(c.require_store(&StoreId::parse("s1").unwrap()).is_ok());
        assert!(c.require_store(&StoreId::parse("s3").unwrap()).is_err());
        let staff = claims(&[("sub", "u1"), ("roles", "staff"), ("store_ids", "s1")]);
        assert!(Caller::admit(Access::Requires(Permission::Complete), Some(&staff)).is_err());
    }

    #[test]
    fn service_and_admin_act_for_every_store() {
        for role in ["service", "admin"] {
            let c = Caller::admit(
                Access::Requires(Permission::Reserve),
                Some(&claims(&[("sub", "svc"), ("roles", role)])),
            )
            .unwrap();
            assert!(c.require_store(&StoreId::parse("any").unwrap()).is_ok());
            assert!(c.require_every_store().is_ok());
        }
    }

    #[test]
    fn protected_routes_need_claims_with_a_subject() {
        assert!(matches!(
            Caller::admit(Access::Requires(Permission::Reserve), None),
            Err(AuthError::Unauthenticated(_))
        ));
        let no_sub = claims(&[("roles", "admin")]);
        assert!(matches!(
            Caller::admit(Access::Requires(Permission::Reserve), Some(&no_sub)),
            Err(AuthError::Unauthenticated(_))
        ));
        assert!(Caller::admit(Access::Public, None).is_ok());
    }

    #[test]
    fn cognito_custom_store_claim_scopes_like_store_ids() {
        let c = Caller::admit(
            Access::Requires(Permission::ChangeStock),
            Some(&claims(&[
                ("sub", "u1"),
                ("cognito:groups", "[staff]"),
                ("custom:store_ids", "s1,s2"),
            ])),
        )
        .unwrap();
        assert!(c.require_store(&StoreId::parse("s2").unwrap()).is_ok());
        assert!(c.require_store(&StoreId::parse("s3").unwrap()).is_err());
    }

    #[test]
    fn only_back_office_roles_for_the_store_see_the_back_office_view() {
        let s1 = StoreId::parse("s1").unwrap();
        let staff = claims(&[("sub", "u1"), ("roles", "staff"), ("store_ids", "s1")]);
        let customer = claims(&[("sub", "c1"), ("roles", "customer")]);
        let public =
            |c: Option<&HashMap<String, String>>| Caller::admit(Access::Public, c).unwrap();
        assert!(public(Some(&staff)).may_read_back_office(&s1));
        assert!(!public(Some(&staff)).may_read_back_office(&StoreId::parse("s2").unwrap()));
        assert!(!public(Some(&customer)).may_read_back_office(&s1));
        assert!(!public(None).may_read_back_office(&s1));
    }

    #[test]
    fn only_store_managers_for_their_stores_and_admins_manage_inventory_records() {
        let admit = |pairs: &[(&str, &str)]| {
            Caller::admit(
                Access::Requires(Permission::ManageRecords),
                Some(&claims(pairs)),
            )
        };
        let manager = admit(&[
            ("sub", "m"),
            ("roles", "store_manager"),
            ("store_ids", "s1"),
        ])
        .unwrap();
        assert!(manager
            .require_store(&StoreId::parse("s1").unwrap())
            .is_ok());
        assert!(manager
            .require_store(&StoreId::parse("s2").unwrap())
            .is_err());
        assert!(admit(&[("sub", "a"), ("roles", "admin")]).is_ok());
        for role in ["staff", "service", "customer"] {
            assert!(
                matches!(
                    admit(&[("sub", "x"), ("roles", role), ("store_ids", "s1")]),
                    Err(AuthError::Forbidden(_))
                ),
                "{role}"
            );
        }
    }

    #[test]
    fn unknown_roles_grant_nothing() {
        let c = claims(&[("sub", "u"), ("roles", "superuser"), ("store_ids", "s1")]);
        assert!(matches!(
            Caller::admit(Access::Requires(Permission::ReadBackOffice), Some(&c)),
            Err(AuthError::Forbidden(_))
        ));
    }
}
