//! Shared by the integration tests: a RAM board, request packets, response bodies as
//! values.
#![allow(dead_code)]

use fireball_smp::{Control, Image, Install, Rc, Refusal};
use minicbor::data::Type;
use minicbor::{Decoder, Encoder};

/// A board that keeps packages in RAM: any package is installed under the name `m<n>`
/// unless `refuse` is set; `defer` makes installs finish later.
#[derive(Default)]
pub struct Ram {
    pub installed: Vec<(String, Vec<u8>)>,
    pub installs: usize,
    pub defer: bool,
    pub refuse: Option<Refusal>,
    /// Refuse every upload at its first chunk (a board that trusts no key).
    pub closed: Option<Refusal>,
}

impl Control for Ram {
    fn images(&self) -> Vec<Image> {
        self.installed
            .iter()
            .map(|(name, bytes)| Image {
                name: name.clone(),
                version: "1.2.0".into(),
                hash: sha2::Digest::finalize(<sha2::Sha256 as sha2::Digest>::new_with_prefix(
                    bytes,
                ))
                .into(),
                active: true,
                confirmed: true,
                pending: false,
                permanent: false,
                bootable: true,
            })
            .collect()
    }

    fn install(&mut self, package: Vec<u8>) -> Result<Install, Refusal> {
        self.installs += 1;
        if let Some(r) = &self.refuse {
            return Err(r.clone());
        }
        let name = format!("m{}", self.installed.len());
        self.installed.push((name, package));
        Ok(if self.defer {
            Install::Deferred
        } else {
            Install::Done
        })
    }

    fn accepts_uploads(&self) -> Result<(), Refusal> {
        self.closed.clone().map_or(Ok(()), Err)
    }

    fn remove(&mut self, name: &str) -> Result<(), Refusal> {
        let Some(i) = self.installed.iter().position(|(n, _)| n == name) else {
            return Err(Refusal::new(Rc::NoEntry, "no such module"));
        };
        self.installed.remove(i);
        Ok(())
    }
}

/// A CBOR value, as much of it as responses use.
#[derive(Clone, Debug, PartialEq)]
pub enum V {
    U(u64),
    Text(String),
    Bytes(Vec<u8>),
    Bool(bool),
    Array(Vec<V>),
    Map(Vec<(String, V)>),
}

impl V {
    pub fn get(&self, key: &str) -> Option<&V> {
        match self {
            V::Map(m) => m.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }
    pub fn keys(&self) -> Vec<&str> {
        match self {
            V::Map(m) => m.iter().map(|(k, _)| k.as_str()).collect(),
            _ => Vec::new(),
        }
    }
}

fn value(d: &mut Decoder<'_>) -> V {
    match d.datatype().unwrap() {
        Type::U8 | Type::U16 | Type::U32 | Type::U64 => V::U(d.u64().unwrap()),
        Type::String => V::Text(d.str().unwrap().into()),
        Type::Bytes => V::Bytes(d.bytes().unwrap().into()),
        Type::Bool => V::Bool(d.bool().unwrap()),
        Type::Array => {
            let n = d.array().unwrap().unwrap();
            V::Array((0..n).map(|_| value(d)).collect())
        }
        Type::Map => {
            let n = d.map().unwrap().unwrap();
            V::Map(
                (0..n)
                    .map(|_| (d.str().unwrap().into(), value(d)))
                    .collect(),
            )
        }
        t => panic!("unexpected {t:?}"),
    }
}

/// A response's header fields and body.
#[derive(Debug)]
pub struct Rsp {
    pub op: u8,
    pub version: u8,
    pub group: u16,
    pub seq: u8,
    pub id: u8,
    pub body: V,
}

pub fn parse(packet: &[u8]) -> Rsp {
    let (h, body) = fireball_smp::Header::split(packet).expect("response header");
    let mut d = Decoder::new(body);
    let v = value(&mut d);
    assert_eq!(d.position(), body.len(), "one CBOR value");
    Rsp {
        op: h.op.bits(),
        version: h.version,
        group: h.group,
        seq: h.seq,
        id: h.id,
        body: v,
    }
}

/// `rc` of an error body, checking it has exactly `rc` and `rsn`.
pub fn error_rc(rsp: &Rsp) -> u64 {
    assert_eq!(rsp.body.keys(), ["rc", "rsn"], "{rsp:?}");
    match rsp.body.get("rc") {
        Some(V::U(rc)) => *rc,
        other => panic!("{other:?}"),
    }
}

/// A request packet: op (0 read, 2 write), SMP v2, `group`, `seq`, `id`, CBOR `body`.
pub fn request(op: u8, group: u16, id: u8, seq: u8, body: &[u8]) -> Vec<u8> {
    let mut p = vec![op | 1 << 3, 0];
    p.extend_from_slice(&(body.len() as u16).to_be_bytes());
    p.extend_from_slice(&group.to_be_bytes());
    p.extend_from_slice(&[seq, id]);
    p.extend_from_slice(body);
    p
}

/// The CBOR of an upload chunk.
pub fn chunk(off: usize, data: &[u8], len: Option<usize>, sha: Option<&[u8]>) -> Vec<u8> {
    let mut e = Encoder::new(Vec::new());
    let n = 2 + u64::from(len.is_some()) + u64::from(sha.is_some()) + u64::from(off == 0);
    e.map(n).unwrap();
    e.str("off").unwrap().u64(off as u64).unwrap();
    e.str("data").unwrap().bytes(data).unwrap();
    if off == 0 {
        e.str("image").unwrap().u8(0).unwrap();
    }
    if let Some(len) = len {
        e.str("len").unwrap().u64(len as u64).unwrap();
    }
    if let Some(sha) = sha {
        e.str("sha").unwrap().bytes(sha).unwrap();
    }
    e.into_writer()
}

/// A one-text-field map.
pub fn text_map(key: &str, text: &str) -> Vec<u8> {
    let mut e = Encoder::new(Vec::new());
    e.map(1).unwrap().str(key).unwrap().str(text).unwrap();
    e.into_writer()
}

pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    <sha2::Sha256 as sha2::Digest>::digest(bytes).into()
}
