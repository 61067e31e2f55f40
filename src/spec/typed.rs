//! The Rust type of each [`super::Spec`] field, read from the Properties as its property's
//! [`Kind`] says: what lets `spec!` declare a field and its reading in one line (an object
//! property's struct gets its reading from `object!`).

use std::collections::BTreeMap;

use super::health::TargetHealthCheck;
use super::object::{typed, Typed};
use super::reader::Reader;
use super::routing::{HttpHeader, QueryStringValue};
use super::schema::{Kind, Property};
use super::strategy::{CanaryConfiguration, LinearConfiguration};

/// A property's Rust type ([`super::Spec`]'s fields), read from the Properties as the
/// property's [`Kind`] says.
pub trait FromProperty: Sized {
    /// The value of `p` (its default if not set); a bad one is recorded in `r`.
    fn read(r: &mut Reader, p: &Property) -> Self;
}

impl FromProperty for String {
    fn read(r: &mut Reader, p: &Property) -> Self {
        r.text(p)
    }
}

impl FromProperty for Option<String> {
    /// A policy document, or a text property that may be left unset.
    fn read(r: &mut Reader, p: &Property) -> Self {
        match p.kind {
            Kind::PolicyDocument => r.policy_document(p),
            Kind::Overrides { check } => r.overrides(p, check),
            _ => Some(r.text(p)).filter(|t| !t.is_empty()),
        }
    }
}

impl FromProperty for bool {
    /// `true`/`false`; a text property (a switch with one allowed value) is on when given.
    fn read(r: &mut Reader, p: &Property) -> Self {
        match p.kind {
            Kind::Text { .. } => !r.text(p).is_empty(),
            _ => r.boolean(p),
        }
    }
}

impl FromProperty for u32 {
    fn read(r: &mut Reader, p: &Property) -> Self {
        u32::try_from(r.integer(p)).unwrap_or_default()
    }
}

impl FromProperty for u16 {
    fn read(r: &mut Reader, p: &Property) -> Self {
        u16::try_from(r.integer(p)).unwrap_or_default()
    }
}

impl FromProperty for i32 {
    fn read(r: &mut Reader, p: &Property) -> Self {
        i32::try_from(r.integer(p)).unwrap_or_default()
    }
}

impl FromProperty for Option<u32> {
    fn read(r: &mut Reader, p: &Property) -> Self {
        r.optional_integer(p).and_then(|n| u32::try_from(n).ok())
    }
}

impl FromProperty for Vec<String> {
    fn read(r: &mut Reader, p: &Property) -> Self {
        match p.kind {
            Kind::Subnets => r.subnets(p),
            Kind::Values { .. } => r.values(p),
            _ => r.strings(p),
        }
    }
}

impl FromProperty for BTreeMap<String, String> {
    fn read(r: &mut Reader, p: &Property) -> Self {
        r.map(p)
    }
}

impl<T: Typed> FromProperty for Option<T> {
    fn read(r: &mut Reader, p: &Property) -> Self {
        r.object(p).map(|o| T::from(&o))
    }
}

impl<T: Typed> FromProperty for Vec<T> {
    fn read(r: &mut Reader, p: &Property) -> Self {
        typed(&r.objects(p))
    }
}

/// [`FromProperty`] for object properties whose fields all have defaults
/// ([`super::schema::Default::Fields`]): never absent.
macro_rules! all_defaulted {
    ($($t:ty),*) => {$(
        impl FromProperty for $t {
            fn read(r: &mut Reader, p: &Property) -> Self {
                r.object(p).map(|o| Self::from(&o)).unwrap_or_default()
            }
        }
    )*};
}

all_defaulted!(TargetHealthCheck, CanaryConfiguration, LinearConfiguration);

impl FromProperty for Option<HttpHeader> {
    fn read(r: &mut Reader, p: &Property) -> Self {
        r.http_header(p)
    }
}

impl FromProperty for Vec<QueryStringValue> {
    fn read(r: &mut Reader, p: &Property) -> Self {
        r.query_string(p)
    }
}
