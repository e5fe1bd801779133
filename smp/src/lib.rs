//! The server side of MCUmgr's Simple Management Protocol (SMP): stock tools — `smpmgr`,
//! the `smpclient` Python library, the `mcumgr` CLI — install, list and remove Fireball
//! modules over a serial line or UDP.
//!
//! # Architecture
//!
//! Pure `no_std` + `alloc` logic, no transport and no board code: the board feeds bytes in
//! and sends bytes out, and implements [`Control`] (what is installed, install, remove).
//!
//! - [`frame`] — the serial ("console") transport: base64 lines with a length and a
//!   CRC16, decoded a byte at a time ([`FrameDecoder`]), encoded with [`encode`]. Over
//!   UDP (and BLE) a datagram is a packet and there is no framing.
//! - [`header`] — the 8-byte SMP header.
//! - `body` (private) — CBOR request fields in, response maps out.
//! - [`server`] — [`Server::handle`]: one request packet in, one response packet out;
//!   upload reassembly; the install the board may finish later.
//! - [`control`] — the [`Control`] trait the board implements, [`Image`], [`Install`],
//!   [`Refusal`]; [`Rc`] (in `rc`) — MCUmgr's return codes.
//!
//! It depends on nothing else in Fireball: a board wires it to its deploy loop.
//!
//! # What is served
//!
//! | group | id | op | request | response |
//! |---|---|---|---|---|
//! | 0 OS | 0 echo | write | `{"d": text}` | `{"r": text}` |
//! | 0 OS | 5 reset | write | `{}` (`force` ignored) | `{}` once [`Control::reset`] agrees; rc 8 by default |
//! | 0 OS | 6 MCUmgr params | read | `{}` | `{"buf_size", "buf_count"}` |
//! | 1 image | 0 state | read | `{}` | `{"images": [{image, slot, version, hash, bootable, pending, confirmed, active, permanent}]}` |
//! | 1 image | 0 state | write | — | rc 8 NOT_SUPPORTED: a module is active once installed |
//! | 1 image | 1 upload | write | `{image, len, off, data, sha, upgrade}` | `{"rc": 0, "off": next}` (`"match": true` after a checked `sha`) |
//! | 1 image | 5 erase | write | `{}` | `{}`; a partial upload is dropped |
//! | 64 Fireball | 0 remove | write | `{"name": text}` | `{}` |
//! | 64 Fireball | 1 list | read | `{}` | `{"modules": [{image, name, version, hash, state}]}` |
//!
//! Images are installed modules: image number = index in [`Control::images`], slot 0,
//! `hash` = the SHA-256 the board reports. Uploads go to image 0 (the package names its
//! module), arrive in order (a chunk at another offset is answered with the offset
//! expected, so the client resends from there), and a chunk at offset 0 starts a new
//! transfer. The whole upload is buffered (at most `max_upload` bytes, else rc 2
//! NO_MEMORY), checked against `sha` when the first chunk carried one (rc 9 CORRUPT on a
//! mismatch) and handed to [`Control::install`] when its last byte arrives. `upgrade` is
//! ignored (the board decides about versions).
//!
//! ## The Fireball group (64)
//!
//! The first user group. `remove` (id 0, write) takes `{"name": text}` and answers `{}` or
//! the board's [`Refusal`] (rc 5 NO_ENTRY for a module that is not installed, say).
//! `list` (id 1, read) answers `{"modules": [...]}`, one map per installed module:
//! `image` (its image number), `name`, `version` (text), `hash` (32 bytes) and `state`:
//! `"active"`, `"pending"` or `"inactive"`.
//!
//! ## Errors
//!
//! Any failure is `{"rc": n, "rsn": reason}`, SMP v1 style with Zephyr's verbose reason,
//! for SMP v1 and v2 requests alike. That is what Zephyr does for MCUmgr's own codes (its
//! `smp_build_err_rsp`); SMP v2's `{"err": {"group", "rc"}}` carries *group-specific*
//! codes (smpclient reads `rc` there as, say, `IMG_MGMT_ERR`, where 9 is not CORRUPT but
//! NO_FREE_SLOT), so [`Rc`] values never go there. smpclient tries the success model,
//! then v1, then v2 error models on every response, whatever the version. `rsn` is always
//! sent: smpclient's upload response model has an optional `rc` field, so a bare
//! `{"rc": 3}` would read as a *successful* upload response without an offset.
//!
//! Unknown groups and commands get rc 8 NOT_SUPPORTED, a body that is not a CBOR map
//! of the expected fields rc 3 INVALID, a request newer than SMP v2 rc 13. Every request
//! gets exactly one response, except the upload whose install the board defers: its
//! response comes from [`Server::finish_install`]. Bytes that are not a request (shorter
//! than a header, a response op) get none.
//!
//! # Tested against the real clients
//!
//! `tests/interop.py` runs smpclient 7.3.0 and smpmgr 0.19.1 (pinned in
//! `tests/requirements.txt`) against `examples/udp_server.rs`: over UDP (echo, parameters,
//! a 20 KB upload with `SMPClient.upload`, image state, the Fireball group, refusals) and,
//! with the example in `--stdio` mode behind a pty, over smpclient's `SMPSerialTransport`.
//! `smpmgr image upload` itself cannot send a Fireball package: it parses the file as an
//! MCUboot image first (magic `0x96f3b83d`) and stops there, before any request.
//! `tests/python_frames.rs` pins the framing against frames the Python `smp` package made.
//!
//! # Dependencies
//!
//! - `minicbor` (CBOR): `no_std` with an optional `alloc`, a borrowing decoder that reads
//!   a map field by field with no derive and no serde (requests carry a handful of
//!   fields, in any order, with unknown ones to skip), an encoder writing straight into
//!   the response `Vec`; kept up (2.x, 2025). `ciborium` needs serde and std-style I/O
//!   traits; `serde_cbor` is unmaintained.
//! - `base64` (the serial lines): the reference Rust implementation, `no_std` without
//!   features through its slice API (`encode_slice`, `decode_slice` on one quad at a time).
//! - `crc` (the serial CRC16-XMODEM): `no_std`, the catalogue's `CRC_16_XMODEM` as a const
//!   table, the same crate the embedded ecosystem uses.
//! - `sha2`: the upload's `sha`; the same crate and version the vSoC and packages use.
//!
//! # Example
//!
//! ```
//! use fireball_smp::{Control, Image, Install, Refusal, Server};
//!
//! struct Board;
//! impl Control for Board {
//!     fn images(&self) -> Vec<Image> { Vec::new() }
//!     fn install(&mut self, _: Vec<u8>) -> Result<Install, Refusal> { Ok(Install::Done) }
//!     fn remove(&mut self, _: &str) -> Result<(), Refusal> { Ok(()) }
//! }
//!
//! let mut server = Server::new(64 * 1024);
//! // smpclient's `EchoWriteRequest(d="hi")`: SMP v2 write, group 0, sequence 7, id 0.
//! let request = b"\x0a\x00\x00\x06\x00\x00\x07\x00\xa1\x61d\x62hi";
//! let response = server.handle(request, &mut Board).unwrap();
//! assert_eq!(response, b"\x0b\x00\x00\x06\x00\x00\x07\x00\xa1\x61r\x62hi");
//! ```
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;

mod body;
pub mod control;
pub mod frame;
pub mod header;
mod rc;
pub mod server;

pub use control::{Control, Image, Install, Refusal};
pub use frame::{FrameDecoder, FrameError, encode};
pub use header::{Header, HeaderError, Op};
pub use rc::Rc;
pub use server::Server;
