//! The messages of the native subsystems' routes, shared by the subsystems that serve them
//! and the SDKs whose clients call them, so both ends agree on every field name.

pub mod hal;
pub mod log;
