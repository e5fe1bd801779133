//! The SMP server: one request packet in, one response packet out.
//!
//! [`Server::handle`] reads the header, dispatches on group and command, and writes the
//! response: the request's op + 1, group, sequence, command id and version bits, then a
//! CBOR body. Uploads are reassembled here (bounded by the `max_upload` the server was
//! built with) and reach [`Control::install`] only whole; an interrupted upload never
//! does, so the installed module stays.

use crate::Rc;
use crate::body::{self, Malformed, WriteError, Writer};
use crate::control::{Control, Install, Refusal};
use crate::header::{HEADER_LEN, Header, Op};
use alloc::vec::Vec;
use minicbor::Encoder;
use sha2::{Digest, Sha256};

/// The OS management group.
pub const OS_GROUP: u16 = 0;
/// The image management group.
pub const IMAGE_GROUP: u16 = 1;
/// The Fireball group: the first user group (see the crate docs).
pub const FIREBALL_GROUP: u16 = 64;

/// OS group: echo.
const OS_ECHO: u8 = 0;
/// OS group: system reset.
const OS_RESET: u8 = 5;
/// OS group: MCUmgr parameters.
const OS_PARAMS: u8 = 6;
/// Image group: state.
const IMAGE_STATE: u8 = 0;
/// Image group: upload.
const IMAGE_UPLOAD: u8 = 1;
/// Image group: erase.
const IMAGE_ERASE: u8 = 5;
/// Fireball group: remove a module.
const FIREBALL_REMOVE: u8 = 0;
/// Fireball group: list modules.
const FIREBALL_LIST: u8 = 1;

/// The highest SMP version bits this server speaks (1 = SMP v2).
const VERSION: u8 = 1;

/// An upload in progress.
#[derive(Debug)]
struct Upload {
    /// Total length announced by the first chunk.
    len: usize,
    /// SHA-256 announced by the first chunk, if any.
    sha: Option<[u8; 32]>,
    /// The bytes so far, in order.
    data: Vec<u8>,
}

/// A response held back while the board finishes an install.
#[derive(Clone, Copy, Debug)]
struct Held {
    request: Header,
    len: usize,
    matched: bool,
}

/// Why a request fails: written as `{"rc": .., "rsn": ..}`.
enum Fail {
    /// The server refuses (a malformed request, an upload out of bounds).
    Server(Rc, &'static str),
    /// The board refuses.
    Board(Refusal),
}

impl From<Malformed> for Fail {
    fn from(m: Malformed) -> Fail {
        Fail::Server(Rc::Invalid, m.0)
    }
}

impl From<WriteError> for Fail {
    fn from(_: WriteError) -> Fail {
        Fail::Server(Rc::Unknown, "response could not be written")
    }
}

/// A handler's outcome when it did not fail.
enum Answer {
    /// The response body is written.
    Written,
    /// The install is deferred: no response now.
    Deferred,
}

/// The SMP server: upload reassembly and the one install that may be in flight.
#[derive(Debug)]
pub struct Server {
    max_upload: usize,
    buf_size: u16,
    buf_count: u16,
    upload: Option<Upload>,
    held: Option<Held>,
}

impl Server {
    /// A server that accepts uploads of at most `max_upload` bytes, announcing buffers of
    /// 512 bytes, 4 of them (change with [`Server::with_buffers`]).
    pub fn new(max_upload: usize) -> Server {
        Server {
            max_upload,
            buf_size: 512,
            buf_count: 4,
            upload: None,
            held: None,
        }
    }

    /// Sets what the MCUmgr parameters command announces: the largest request packet the
    /// transport takes (`buf_size`: header and body over UDP; frame length, packet and CRC
    /// over serial, as Zephyr counts it) and how many such buffers it has. Clients size
    /// their upload chunks to `buf_size`.
    pub fn with_buffers(mut self, buf_size: u16, buf_count: u16) -> Server {
        self.buf_size = buf_size;
        self.buf_count = buf_count;
        self
    }

    /// Bytes of the upload in progress so far and its announced length.
    pub fn upload_progress(&self) -> Option<(usize, usize)> {
        self.upload.as_ref().map(|u| (u.data.len(), u.len))
    }

    /// Answers one request packet: the response packet, or `None` when the install it
    /// completed was deferred (the response comes from [`Server::finish_install`]) or when
    /// `packet` is not a request at all (shorter than a header, a response op, or an op SMP
    /// does not define), which is never answered.
    pub fn handle(&mut self, packet: &[u8], control: &mut dyn Control) -> Option<Vec<u8>> {
        let mut request = Header::parse(packet).ok()?;
        request.op.response()?;
        let body = match Header::split(packet) {
            Ok((_, body)) => body,
            Err(_) => {
                let why = "body length differs from the header's";
                return Some(respond(request, |w| body::error(w, Rc::Invalid, why)));
            }
        };
        if request.version > VERSION {
            request.version = VERSION;
            let why = "this server speaks SMP v1 and v2";
            return Some(respond(request, |w| body::error(w, Rc::TooNew, why)));
        }
        let mut w = Encoder::new(header_room());
        let outcome = self.dispatch(request, body, control, &mut w);
        match outcome {
            Ok(Answer::Written) => Some(finish(request, w.into_writer())),
            Ok(Answer::Deferred) => None,
            Err(fail) => Some(respond_fail(request, fail)),
        }
    }

    /// Ends a deferred install: the held upload response (same sequence number as the
    /// request that completed the upload), or `None` when no install was deferred.
    pub fn finish_install(&mut self, result: Result<(), Refusal>) -> Option<Vec<u8>> {
        let held = self.held.take()?;
        Some(match result {
            Ok(()) => respond(held.request, |w| {
                upload_off(w, held.len, Some(held.matched))
            }),
            Err(refusal) => respond_fail(held.request, Fail::Board(refusal)),
        })
    }

    fn dispatch(
        &mut self,
        request: Header,
        body: &[u8],
        control: &mut dyn Control,
        w: &mut Writer,
    ) -> Result<Answer, Fail> {
        let unknown = match request.group {
            OS_GROUP | IMAGE_GROUP | FIREBALL_GROUP => "unknown command",
            _ => "unknown group",
        };
        match (request.group, request.id, request.op) {
            (OS_GROUP, OS_ECHO, Op::Write) => echo(body, w),
            (OS_GROUP, OS_RESET, Op::Write) => {
                // `{"force": bool}` may come (smpclient's `ResetWrite` sends it); the board
                // decides either way.
                body::fields(body, |_, _| Ok(false))?;
                control.reset().map_err(Fail::Board)?;
                w.map(0)?;
                Ok(Answer::Written)
            }
            (OS_GROUP, OS_PARAMS, Op::Read) => {
                fields_none(body)?;
                w.map(2)?.str("buf_size")?.u16(self.buf_size)?;
                w.str("buf_count")?.u16(self.buf_count)?;
                Ok(Answer::Written)
            }
            (IMAGE_GROUP, IMAGE_STATE, Op::Read) => {
                fields_none(body)?;
                image_state(&*control, w)
            }
            (IMAGE_GROUP, IMAGE_STATE, Op::Write) => Err(Fail::Server(
                Rc::NotSupported,
                "a module is active once installed",
            )),
            (IMAGE_GROUP, IMAGE_UPLOAD, Op::Write) => self.upload(request, body, control, w),
            (IMAGE_GROUP, IMAGE_ERASE, Op::Write) => {
                self.upload = None;
                w.map(0)?;
                Ok(Answer::Written)
            }
            (FIREBALL_GROUP, FIREBALL_REMOVE, Op::Write) => {
                let name = str_field(body, "name")?
                    .ok_or(Fail::Server(Rc::Invalid, "remove needs a name"))?;
                control.remove(name).map_err(Fail::Board)?;
                w.map(0)?;
                Ok(Answer::Written)
            }
            (FIREBALL_GROUP, FIREBALL_LIST, Op::Read) => {
                fields_none(body)?;
                module_list(&*control, w)
            }
            _ => Err(Fail::Server(Rc::NotSupported, unknown)),
        }
    }

    /// Image upload: one chunk `{image, len, off, data, sha, upgrade}`.
    fn upload(
        &mut self,
        request: Header,
        body: &[u8],
        control: &mut dyn Control,
        w: &mut Writer,
    ) -> Result<Answer, Fail> {
        if self.held.is_some() {
            return Err(Fail::Server(
                Rc::Busy,
                "the last upload is still being installed",
            ));
        }
        let (mut off, mut data, mut len, mut sha, mut image) = (None, None, None, None, None);
        body::fields(body, |k, d| {
            match k {
                "off" => off = Some(d.u64()?),
                "data" => data = Some(d.bytes()?),
                "len" => len = Some(d.u64()?),
                "sha" => sha = Some(d.bytes()?),
                "image" => image = Some(d.u64()?),
                _ => return Ok(false),
            }
            Ok(true)
        })?;
        let (Some(off), Some(data)) = (off, data) else {
            return Err(Fail::Server(Rc::Invalid, "a chunk needs off and data"));
        };
        if off == 0 {
            control.accepts_uploads().map_err(Fail::Board)?;
            self.start_upload(len, sha, image)?;
        }
        let Some(upload) = self.upload.as_mut() else {
            // No transfer in progress: ask the client to start again at 0.
            return upload_off(w, 0, None)
                .map(|()| Answer::Written)
                .map_err(Fail::from);
        };
        if usize::try_from(off).ok() != Some(upload.data.len()) {
            // Out of order: answer with the offset expected, as MCUmgr does; the client
            // resends from there.
            upload_off(w, upload.data.len(), None)?;
            return Ok(Answer::Written);
        }
        if data.len() > upload.len - upload.data.len() {
            return Err(Fail::Server(
                Rc::Invalid,
                "chunk goes past the announced len",
            ));
        }
        upload.data.extend_from_slice(data);
        if upload.data.len() < upload.len {
            upload_off(w, upload.data.len(), None)?;
            return Ok(Answer::Written);
        }
        let Some(upload) = self.upload.take() else {
            return Err(Fail::Server(Rc::Unknown, "upload vanished"));
        };
        let matched = match upload.sha {
            Some(sha) if Sha256::digest(&upload.data).as_slice() != sha => {
                return Err(Fail::Server(Rc::Corrupt, "upload does not match its sha"));
            }
            Some(_) => true,
            None => false,
        };
        match control.install(upload.data).map_err(Fail::Board)? {
            Install::Done => {
                upload_off(w, upload.len, Some(matched))?;
                Ok(Answer::Written)
            }
            Install::Deferred => {
                self.held = Some(Held {
                    request,
                    len: upload.len,
                    matched,
                });
                Ok(Answer::Deferred)
            }
        }
    }

    /// A chunk at offset 0: a new transfer, replacing any in progress.
    fn start_upload(
        &mut self,
        len: Option<u64>,
        sha: Option<&[u8]>,
        image: Option<u64>,
    ) -> Result<(), Fail> {
        self.upload = None;
        if image.unwrap_or(0) != 0 {
            return Err(Fail::Server(
                Rc::NotSupported,
                "upload to image 0: packages name their module",
            ));
        }
        let len = len.ok_or(Fail::Server(Rc::Invalid, "the first chunk needs len"))?;
        if len == 0 {
            return Err(Fail::Server(Rc::Invalid, "len is 0"));
        }
        let len = usize::try_from(len).ok().filter(|&l| l <= self.max_upload);
        let len = len.ok_or(Fail::Server(
            Rc::NoMemory,
            "upload larger than the server takes",
        ))?;
        let sha = match sha {
            None => None,
            Some(s) => Some(
                <[u8; 32]>::try_from(s)
                    .map_err(|_| Fail::Server(Rc::Invalid, "sha is not a SHA-256"))?,
            ),
        };
        let mut data = Vec::new();
        data.try_reserve_exact(len)
            .map_err(|_| Fail::Server(Rc::NoMemory, "no memory for the upload"))?;
        self.upload = Some(Upload { len, sha, data });
        Ok(())
    }
}

/// A request whose fields are all ignored must still be a CBOR map.
fn fields_none(body: &[u8]) -> Result<(), Malformed> {
    body::fields(body, |_, _| Ok(false))
}

/// The text field `key` of a request body whose other fields are skipped.
fn str_field<'b>(body: &'b [u8], key: &str) -> Result<Option<&'b str>, Malformed> {
    let mut found = None;
    body::fields(body, |k, d| {
        if k == key {
            found = Some(d.str()?);
            return Ok(true);
        }
        Ok(false)
    })?;
    Ok(found)
}

fn echo(body: &[u8], w: &mut Writer) -> Result<Answer, Fail> {
    let text = str_field(body, "d")?.ok_or(Fail::Server(Rc::Invalid, "echo needs d"))?;
    w.map(1)?.str("r")?.str(text)?;
    Ok(Answer::Written)
}

/// `{"images": [{image, slot, version, hash, bootable, pending, confirmed, active,
/// permanent}, ..]}`, the fields smp's `ImageState` model allows (and no others: it
/// forbids extra fields).
fn image_state(control: &dyn Control, w: &mut Writer) -> Result<Answer, Fail> {
    let images = control.images();
    w.map(1)?.str("images")?.array(images.len() as u64)?;
    for (index, image) in images.iter().enumerate() {
        w.map(9)?
            .str("image")?
            .u64(index as u64)?
            .str("slot")?
            .u8(0)?;
        w.str("version")?
            .str(&image.version)?
            .str("hash")?
            .bytes(&image.hash)?;
        w.str("bootable")?
            .bool(image.bootable)?
            .str("pending")?
            .bool(image.pending)?;
        w.str("confirmed")?
            .bool(image.confirmed)?
            .str("active")?
            .bool(image.active)?;
        w.str("permanent")?.bool(image.permanent)?;
    }
    Ok(Answer::Written)
}

/// `{"modules": [{image, name, version, hash, state}, ..]}`.
fn module_list(control: &dyn Control, w: &mut Writer) -> Result<Answer, Fail> {
    let images = control.images();
    w.map(1)?.str("modules")?.array(images.len() as u64)?;
    for (index, image) in images.iter().enumerate() {
        let state = match (image.active, image.pending) {
            (true, _) => "active",
            (false, true) => "pending",
            (false, false) => "inactive",
        };
        w.map(5)?
            .str("image")?
            .u64(index as u64)?
            .str("name")?
            .str(&image.name)?;
        w.str("version")?
            .str(&image.version)?
            .str("hash")?
            .bytes(&image.hash)?;
        w.str("state")?.str(state)?;
    }
    Ok(Answer::Written)
}

/// `{"rc": 0, "off": off}`, with `"match"` once a whole upload's `sha` was checked.
fn upload_off(w: &mut Writer, off: usize, matched: Option<bool>) -> Result<(), WriteError> {
    let matched = matched.filter(|&m| m);
    w.map(if matched.is_some() { 3 } else { 2 })?;
    w.str("rc")?.u8(0)?.str("off")?.u64(off as u64)?;
    if let Some(m) = matched {
        w.str("match")?.bool(m)?;
    }
    Ok(())
}

/// A `Vec` with room for the header, where the body is written after it.
fn header_room() -> Vec<u8> {
    let mut v = Vec::with_capacity(64);
    v.extend_from_slice(&[0; HEADER_LEN]);
    v
}

/// The response to `request` with the body `write` produces.
fn respond(request: Header, write: impl FnOnce(&mut Writer) -> Result<(), WriteError>) -> Vec<u8> {
    let mut w = Encoder::new(header_room());
    match write(&mut w) {
        Ok(()) => finish(request, w.into_writer()),
        Err(e) => respond_fail(request, Fail::from(e)),
    }
}

fn respond_fail(request: Header, fail: Fail) -> Vec<u8> {
    let (rc, reason) = match &fail {
        Fail::Server(rc, reason) => (*rc, *reason),
        Fail::Board(refusal) => (refusal.rc, clip(&refusal.reason)),
    };
    let mut w = Encoder::new(header_room());
    if body::error(&mut w, rc, reason).is_err() {
        // Unreachable in practice (writes into a Vec do not fail); still one answer.
        let mut v = header_room();
        v.extend_from_slice(&[0xa1, 0x62, b'r', b'c', 0x01]);
        return finish(request, v);
    }
    finish(request, w.into_writer())
}

/// A board's reason cut to at most [`MAX_REASON`] bytes (at a character boundary), so an
/// error response always fits its header's length field.
fn clip(reason: &str) -> &str {
    let mut end = reason.len().min(MAX_REASON);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    reason.get(..end).unwrap_or_default()
}

/// The longest `rsn` sent.
const MAX_REASON: usize = 200;

/// Writes the response header in front of the body in `packet`.
fn finish(request: Header, mut packet: Vec<u8>) -> Vec<u8> {
    let body_len = packet.len().saturating_sub(HEADER_LEN);
    let Ok(len) = u16::try_from(body_len) else {
        return respond_fail(request, Fail::Server(Rc::MsgSize, "response too large"));
    };
    let op = match request.op {
        Op::Read | Op::ReadRsp => Op::ReadRsp,
        Op::Write | Op::WriteRsp => Op::WriteRsp,
    };
    let header = Header { op, len, ..request };
    if let Some(room) = packet.get_mut(..HEADER_LEN) {
        room.copy_from_slice(&header.to_bytes());
    }
    packet
}
