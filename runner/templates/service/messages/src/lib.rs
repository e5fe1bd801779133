//! `{{name}}-messages` — the `{{name}}` service's routes and their messages, shared by the
//! service and the guests that call it, so both ends agree on every field.
//!
//! | route | method | request | reply |
//! | --- | --- | --- | --- |
//! | `svc://{{name}}/{key}` | write | [`Amount`]: how much to add | [`Total`] after adding it |
//! | | read | — | [`Total`] |
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

use fireball_guests_sdk::route::Route;
use fireball_record::Message;
use serde::{Deserialize, Serialize};

/// `write svc://{{name}}/{key}`: add an [`Amount`] to the key's total; the [`Total`] after.
pub const ADD: Route<Amount, Total> = Route::write("svc://{{name}}/{key}");

/// `read svc://{{name}}/{key}`: the key's [`Total`].
pub const TOTAL: Route<(), Total> = Route::read("svc://{{name}}/{key}");

/// How much to add.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, Message)]
pub struct Amount {
    /// The amount.
    pub value: u32,
}

/// A key's total so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, Message)]
pub struct Total {
    /// The sum of the amounts added (wraps at `u32::MAX`).
    pub value: u32,
    /// How many amounts were added.
    pub count: u32,
}
